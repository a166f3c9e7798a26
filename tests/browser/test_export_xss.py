"""A facility name carrying HTML must stay text in the exported HTML map: no script of it runs."""

from __future__ import annotations

import psycopg
import pytest

pytestmark = [pytest.mark.db, pytest.mark.browser]

PAYLOAD = '<img src=x onerror="window.__xss=1">"><script>window.__xss=2</script>'
BBOX = "120.001,20.001,120.011,20.011"  # open sea off Luzon Strait: nothing else is there


@pytest.fixture()
def hostile_facility(db_url):
    with psycopg.connect(db_url) as c:
        c.execute("""INSERT INTO datasets (id, title, licence, attribution, synthetic)
                     VALUES ('test-xss', 'XSS test', 'CC0', 'test', true) ON CONFLICT DO NOTHING""")
        fid = c.execute("""INSERT INTO facilities (dataset_id, ext_id, name_zh, name_en, industry, geom)
                           VALUES ('test-xss', 'x1', %s, %s, 'other', ST_SetSRID(ST_MakePoint(120.006, 20.006), 4326))
                           RETURNING id""", (PAYLOAD, PAYLOAD)).fetchone()[0]
        c.execute("UPDATE data_version SET version = version + 1")
    yield fid
    with psycopg.connect(db_url) as c:
        c.execute("DELETE FROM facilities WHERE dataset_id = 'test-xss'")
        c.execute("UPDATE data_version SET version = version + 1")


def test_html_export_is_a_sandboxed_download(client, hostile_facility):
    resp = client.get(f"/exports/factories.html?bbox={BBOX}")
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in resp.headers["Content-Security-Policy"]
    html = resp.get_data(as_text=True)
    assert "<script>window.__xss" not in html and 'onerror="window' not in html


def test_popup_shows_the_name_as_text_and_runs_nothing(client, page, hostile_facility):
    html = client.get(f"/exports/factories.html?bbox={BBOX}").get_data(as_text=True)
    page.set_content(html, wait_until="load")
    page.wait_for_selector(".leaflet-container")
    # The map draws on a canvas: open every feature's popup as a click would.
    opened = page.evaluate("""() => { let n = 0;
        for (const k of Object.keys(window)) {
            if (k.startsWith('geo_json_') && window[k].eachLayer) {
                window[k].eachLayer(l => {
                    const at = l.getLatLng ? l.getLatLng() : l.getBounds().getCenter();
                    l.fire('click', {latlng: at, layer: l}, true);  // propagates to the group's popup
                    n += 1;
                });
            }
        }
        return n; }""")
    assert opened >= 1
    popup = page.wait_for_selector(".leaflet-popup-content")
    assert "<img src=x" in popup.inner_text()  # shown literally
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__xss") is None
