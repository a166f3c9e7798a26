"""The report page on a phone-sized screen: a photo carrying EXIF GPS places the report, a place search and the
map move it, the report is sent and stored without the photo's metadata; then moderated and seen on the map."""

from __future__ import annotations

import io

import psycopg
from PIL import Image

from tests.browser.conftest import wait_for_map
from tests.conftest import ARTIFACTS
from tests.db.test_reports import PHOTO_LAT, PHOTO_LON, jpeg_with_gps
from tests.supply_helpers import csrf_token, login, make_user

PHONE = {"width": 390, "height": 844}


def test_report_from_a_phone_with_an_exif_photo(page, app, live_url, db_url, settings):
    page.set_viewport_size(PHONE)
    page.goto(live_url + "/report?lang=en", wait_until="load")
    wait_for_map(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    page.check("input[name=kind][value=smoke]")
    page.fill("#report-description", "Black smoke from the chimney")
    photo = jpeg_with_gps(seed=77, size=(320, 240))
    page.set_input_files("#report-photos", files=[{"name": "smoke.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    info = page.locator("#report-photo-info li").first
    info.wait_for(timeout=15000)
    assert f"{PHOTO_LAT:.5f}, {PHOTO_LON:.5f}" in info.inner_text() and "2026-11-28 09:30" in info.inner_text()
    page.wait_for_function("document.getElementById('report-lon').value !== ''")
    assert page.input_value("#report-source") == "photo"
    assert float(page.input_value("#report-lat")) == round(PHOTO_LAT, 6)

    # a place search moves the point; the photo's position can be taken again
    page.fill("#report-place", "武汉")
    page.click("#report-place-go")
    page.wait_for_function("document.getElementById('report-source').value === 'place'")
    assert 30 < float(page.input_value("#report-lat")) < 31
    page.click("#report-photo-info .use-photo-place")
    page.click("#report-photo-info .use-photo-time")
    assert page.input_value("#report-when") == "2026-11-28T09:30"
    page.wait_for_function("document.getElementById('report-source').value === 'photo'")

    page.check("#report-rights")
    ARTIFACTS.mkdir(exist_ok=True)  # phone-sized views of the filled-in form (a full-page shot resizes the map)
    for part in ("report-where", "report-photos-box"):
        page.locator(f"#{part}").scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        page.screenshot(path=str(ARTIFACTS / f"report_page_phone_{part.removeprefix('report-')}.png"))
    page.click("#report-submit")
    page.locator("#report-message.ok").wait_for(timeout=15000)
    report = page.evaluate("window.bluemap.lastReport")
    message = page.inner_text("#report-message")
    assert "Thank you" in message and f"R{report['id']}" in message
    page.evaluate("window.scrollTo(0, 0)")
    assert not page.problems, page.problems.items

    with psycopg.connect(db_url) as c:
        row = c.execute("""SELECT r.kind, r.location_source, r.observed_at AT TIME ZONE 'Asia/Shanghai', p.filename
                           FROM reports r JOIN report_photos p ON p.report_id = r.id WHERE r.id = %s""",
                        (report["id"],)).fetchone()
    kind, source, observed, filename = row
    assert (kind, source, observed.isoformat()) == ("smoke", "photo", "2026-11-28T09:30:00")
    stored = (settings.var_dir / "uploads" / filename[:2] / filename).read_bytes()
    assert b"SecretCam" not in stored and not Image.open(io.BytesIO(stored)).getexif()
    assert Image.open(io.BytesIO(stored)).size == (320, 240)

    # a moderator publishes it; the Blue Map then draws it (at its rounded position)
    moderator = app.test_client()
    login(moderator, make_user(db_url, "moderator"))
    r = moderator.post(f"/api/reports/{report['id']}/moderation", json={"action": "publish"},
                       headers={"X-CSRF-Token": csrf_token(moderator, "/report")})
    assert r.status_code == 200
    page.goto(live_url + f"/?lang=en#15/{PHOTO_LAT}/{PHOTO_LON}", wait_until="load")
    wait_for_map(page)
    page.wait_for_function(f"window.bluemap.map.querySourceFeatures('reports', {{sourceLayer: 'reports'}})"
                           f".some((f) => f.properties.id === {report['id']})", timeout=15000)
    assert page.locator("#toggle-reports").is_checked()
