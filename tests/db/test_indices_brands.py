"""Brand indices: values recomputed by hand for a small fixture, reproducible snapshots, pages, CSV, privacy."""

import os
import subprocess
import sys

import psycopg
import pytest

from core.datasets import Dataset
from db.staging import register_dataset
from indices import brands as bi
from tests.supply_helpers import login, make_brand, make_user, unique

YEAR = 2030
DS = Dataset("test:indices", "Index test fixture", "CC0", None, "test", None, synthetic=True)


def _facility(c, name: str) -> int:
    return c.execute(
        """INSERT INTO facilities (dataset_id, ext_id, name_zh, name_en, industry, geom)
           VALUES (%s, %s, %s, %s, 'textiles', ST_SetSRID(ST_MakePoint(120.1, 30.2), 4326)) RETURNING id""",
        (DS.id, unique("f"), name, name)).fetchone()[0]


def _violation(c, fid: int, day: str) -> int:
    return c.execute(
        """INSERT INTO violations (dataset_id, ext_id, facility_id, violation_date, authority, category, source)
           VALUES (%s, %s, %s, %s, 'bureau', 'waste water', 'test') RETURNING id""",
        (DS.id, unique("v"), fid, day)).fetchone()[0]


@pytest.fixture(scope="module")
def fixture(db_url):
    """Brand with 4 suppliers (2 public, 2 private) in 3 tiers; records, follow-ups and PRTR in 2029-2030."""
    bid, slug = make_brand(db_url, "idx")
    secret = unique("私有供应商")
    with psycopg.connect(db_url) as c:
        register_dataset(c, DS)
        f = [_facility(c, unique("公开供应商")), _facility(c, unique("公开供应商")), _facility(c, secret),
             _facility(c, secret + "二")]
        lst = c.execute("""INSERT INTO supplier_lists (brand_id, name, dataset_id, uploaded_at)
                           VALUES (%s, 'l', %s, '2030-06-01') RETURNING id""", (bid, DS.id)).fetchone()[0]
        for fid, tier, public in zip(f, ("direct_supplier", "processing", "raw_materials", "direct_supplier"),
                                     (True, True, False, False), strict=True):
            c.execute("""INSERT INTO brand_facility_links (brand_id, facility_id, list_id, tier, is_public, dataset_id)
                         VALUES (%s, %s, %s, %s, %s, %s)""", (bid, fid, lst, tier, public, DS.id))
        v1 = _violation(c, f[0], "2030-03-01")  # explained 20 days later
        c.execute("""INSERT INTO explanations (violation_id, submitted_at, body, dataset_id)
                     VALUES (%s, '2030-03-21 10:00+08', 'fixed', %s)""", (v1, DS.id))
        _violation(c, f[1], "2030-05-01")  # never followed up
        v3 = _violation(c, f[2], "2030-02-01")  # rectified 59 days later
        c.execute("UPDATE violations SET status = 'rectified' WHERE id = %s", (v3,))
        c.execute("""UPDATE violation_status_history SET changed_at = '2030-04-01 09:00+08'
                     WHERE violation_id = %s AND to_status = 'rectified'""", (v3,))
        _violation(c, f[3], "2029-05-01")  # another year: not counted
        for fid, year, ghg in ((f[0], 2030, 100), (f[0], 2029, 120), (f[2], 2030, 50), (f[2], 2029, 40),
                               (f[1], 2030, None)):
            c.execute("INSERT INTO prtr_disclosures (facility_id, year, ghg_tco2e, dataset_id) VALUES (%s,%s,%s,%s)",
                      (fid, year, ghg, DS.id))
    return {"id": bid, "slug": slug, "secret": secret, "facilities": f}


def _points(value, bands, higher=True):
    return max((p for t, p in bands if (value >= t if higher else value <= t)), default=0)


def test_values_match_a_hand_computation(db_url, fixture):
    with psycopg.connect(db_url) as c:
        snaps = {s["index_id"]: s for s in bi.compute(c, YEAR) if s["brand_id"] == fixture["id"]}
    citi = {r["id"]: r for r in snaps["citi"]["indicators"]["rows"]}
    # public 2/4 = 0.5 -> 3; tiers 3 -> 3; followed 2 of 3 with a record -> 3; median(20, 59) = 39.5 days -> 3;
    # PRTR 3/4 = 0.75 -> 4; alerts and audits missing. Score = 100 x (25*3/4 + 15*3/4 + 25*3/4 + 10*3/4 + 15*4/4) / 90
    assert citi["public_share"]["value"] == 0.5 and citi["public_share"]["points"] == 3
    assert citi["tiers_covered"]["value"] == 3 and citi["followup_share"]["value"] == round(2 / 3, 4)
    assert citi["followup_days"]["value"] == 39.5 and citi["followup_days"]["points"] == 3
    assert citi["prtr_share"]["points"] == 4
    assert citi["alert_followup"]["status"] == "missing" and citi["audits_done"]["status"] == "missing"
    assert snaps["citi"]["score"] == round(100 * (25 * .75 + 15 * .75 + 25 * .75 + 10 * .75 + 15 * 1) / 90, 2) == 79.17
    scti = {r["id"]: r for r in snaps["scti"]["indicators"]["rows"]}
    # GHG 2/4 = 0.5 -> 3; reduced: 100 < 120 yes, 50 < 40 no -> 0.5 -> 3; targets missing -> 100 x 52.5 / 70
    assert scti["ghg_share"]["value"] == 0.5 and scti["ghg_reduced_share"]["value"] == 0.5
    assert scti["brand_targets"]["status"] == "missing" and snaps["scti"]["score"] == 75.0
    assert snaps["citi"]["indicators"]["private"]["suppliers"] == 4


def test_bands_by_hand():
    m = bi.methodologies()[0]
    days = next(i for i in m.indicators if i.id == "followup_days")
    assert days.points(30) == 4 and days.points(31) == 3 and days.points(400) == 0
    assert _points(0.25, [(0.1, 1), (0.25, 2)]) == next(i for i in m.indicators if i.id == "public_share").points(.25)


def test_cli_compute_is_reproducible(settings, db_url, fixture):
    env = {**os.environ, "DATABASE_URL": settings.database_url, "BLUEMAP_VAR_DIR": str(settings.var_dir)}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "ops.cli", "indices", "compute", *args], capture_output=True,
                              text=True, env=env, timeout=300)

    first = run("--year", str(YEAR))
    assert first.returncode == 0, first.stderr
    check = run("--year", str(YEAR), "--check")
    assert check.returncode == 0 and "reproduced exactly" in check.stdout, check.stderr
    with psycopg.connect(db_url) as c:
        score = c.execute("""SELECT score FROM index_snapshots WHERE brand_id = %s AND index_id = 'citi'
                             AND year = %s""", (fixture["id"], YEAR)).fetchone()[0]
        c.execute("UPDATE index_snapshots SET score = score + 1 WHERE brand_id = %s AND year = %s",
                  (fixture["id"], YEAR))
    assert score == 79.17
    tampered = run("--year", str(YEAR), "--check")
    assert tampered.returncode != 0 and "differ" in tampered.stderr
    assert run("--year", str(YEAR)).returncode == 0
    assert run("--year", "nineteen").returncode != 0


def test_pages_api_and_csv_never_reveal_private_links(app, db_url, fixture):
    with psycopg.connect(db_url) as c:
        bi.store(c, bi.compute(c, YEAR))
    other = app.test_client()
    _, other_slug = make_brand(db_url, "other")
    with psycopg.connect(db_url) as c:
        other_id = c.execute("SELECT id FROM brands WHERE slug = %s", (other_slug,)).fetchone()[0]
    login(other, make_user(db_url, "brand", other_id))
    slug = fixture["slug"]
    for client in (app.test_client(), other):
        for path in (f"/rankings/brands?year={YEAR}&lang=en", f"/rankings/brands?year={YEAR}&lang=zh&sort=score",
                     f"/api/rankings/brands?year={YEAR}&index=scti", f"/rankings/brands.csv?year={YEAR}",
                     f"/rankings/brands/{slug}", f"/rankings/brands/{slug}?index=scti&lang=en",
                     f"/api/rankings/brands/{slug}"):
            r = client.get(path)
            body = r.get_data(as_text=True)
            assert r.status_code == 200, path
            assert fixture["secret"] not in body, path
            assert 'id="idx-private"' not in body, path
            if r.is_json:
                assert '"private"' not in body and '"suppliers"' not in body, path
            for fid in fixture["facilities"][2:]:
                assert f'"facility_id": {fid}' not in body
    public = app.test_client().get(f"/api/rankings/brands/{slug}").get_json()
    assert public["snapshots"][-1]["indicators"][0]["id"] == "public_share"
    own = app.test_client()
    login(own, make_user(db_url, "brand", fixture["id"]))
    mine = own.get(f"/api/rankings/brands/{slug}")
    assert mine.get_json()["snapshots"][-1]["indicators"]["private"]["suppliers"] == 4
    assert "private" in mine.headers["Cache-Control"]
    assert 'id="idx-private"' in own.get(f"/rankings/brands/{slug}").get_data(as_text=True)


def test_ranking_page_csv_and_bad_arguments(app, db_url, fixture):
    with psycopg.connect(db_url) as c:
        bi.store(c, bi.compute(c, YEAR))
    client = app.test_client()
    en = client.get(f"/rankings/brands?year={YEAR}&lang=en").get_data(as_text=True)
    zh = client.get(f"/rankings/brands?year={YEAR}&lang=zh").get_data(as_text=True)
    assert "Share of suppliers disclosed publicly" in en and "input missing" in en
    assert f'data-slug="{fixture["slug"]}"' in en
    assert "公开供应商比例" in zh and "缺少数据" in zh
    rows = client.get(f"/api/rankings/brands?year={YEAR}&sort=score").get_json()["brands"]
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    csv_text = client.get(f"/rankings/brands.csv?year={YEAR}").get_data(as_text=True)
    assert "public_share_value" in csv_text and "79.17" in csv_text
    assert client.get("/api/rankings/brands?index=nope").status_code == 400
    assert client.get("/api/rankings/brands?year=abc").status_code == 400
    assert client.get("/api/rankings/brands/no-such-brand").status_code == 404
    assert client.get("/api/methodology/citi-v1").get_json()["version"] == "citi-v1"
