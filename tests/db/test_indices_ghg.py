"""GHG calculator over HTTP: the page in both languages, the JSON API, saving into a facility's PRTR figure."""

import psycopg

from core.datasets import Dataset
from db.staging import register_dataset
from tests.supply_helpers import csrf_token, login, make_user

DS = Dataset("test:ghg", "GHG test fixture", "CC0", None, "test", None, synthetic=True)


def _facility(db_url) -> int:
    with psycopg.connect(db_url) as c:
        return c.execute("SELECT id FROM facilities WHERE private_to_brand IS NULL ORDER BY id LIMIT 1").fetchone()[0]


def test_page_in_both_languages_shows_the_factor_table(client):
    zh = client.get("/ghg?lang=zh").get_data(as_text=True)
    en = client.get("/ghg?lang=en").get_data(as_text=True)
    assert "温室气体排放计算器" in zh and "华北" in zh and "0.6776" in zh
    assert "Greenhouse gas calculator" in en and "North China" in en and "IPCC default" in en
    assert "Hebei" in en and "Coke" in en and "燃料油" in zh and "云南" in zh


def test_the_form_computes_scope_1_and_2(client):
    token = csrf_token(client, "/ghg")
    # 1,000 MWh North China 2022 x 0.6776 = 677.6; diesel 10 t x 43.0 GJ/t x 74.1 t/TJ / 1000 = 31.863
    r = client.post("/ghg?lang=en", data={"_csrf": token, "year": "2022", "region_0": "north", "mwh_0": "1000",
                                           "fuel_0": "diesel", "quantity_0": "10"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert 'id="ghg-scope1">31.863<' in html and 'id="ghg-scope2">677.6' in html


def test_the_form_names_a_bad_value(client):
    token = csrf_token(client, "/ghg")
    r = client.post("/ghg?lang=en", data={"_csrf": token, "year": "2022", "fuel_0": "diesel", "quantity_0": "-4"})
    assert r.status_code == 400 and "fuels.quantity" in r.get_data(as_text=True)


def test_json_api(client):
    f = client.get("/api/ghg/factors").get_json()
    assert f["version"] == "cn-2024.1" and any(g["region"] == "south" and g["tco2_per_mwh"] == 0.3869
                                               for g in f["grid"])
    token = csrf_token(client, "/ghg")
    r = client.post("/api/ghg/calculate", json={"year": 2022, "heat_gj": 500}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.get_json()["scope2_tco2e"] == 55.0
    bad = client.post("/api/ghg/calculate", json={"year": 2022, "electricity": [{"region": "atlantis", "mwh": 1}]},
                      headers={"X-CSRF-Token": token})
    assert bad.status_code == 400 and "no published factor" in bad.get_json()["error"]
    assert client.post("/api/ghg/calculate", json={"year": 2022, "heat_gj": 1}).status_code == 403  # no CSRF


def _company_user(db_url) -> tuple[int, str]:
    """A facility with a company, and a member user with an approved claim on that company."""
    email = make_user(db_url, "member")
    with psycopg.connect(db_url) as c:
        register_dataset(c, DS)
        cid = c.execute("""INSERT INTO companies (name_zh, dataset_id) VALUES ('温室气体测试企业', %s)
                           RETURNING id""", (DS.id,)).fetchone()[0]
        fid = c.execute("""INSERT INTO facilities (dataset_id, ext_id, company_id, name_zh, industry, geom)
                           VALUES (%s, %s, %s, '温室气体测试工厂', 'cement',
                                   ST_SetSRID(ST_MakePoint(116.4, 39.9), 4326)) RETURNING id""",
                        (DS.id, f"ghg-test-{cid}", cid)).fetchone()[0]
        uid = c.execute("SELECT id FROM users WHERE email = %s", (email,)).fetchone()[0]
        file_id = c.execute("""INSERT INTO workflow_files (stored_name, kind, bytes, purpose, uploaded_by)
                               VALUES ('x', 'pdf', 1, 'licence', %s) RETURNING id""", (uid,)).fetchone()[0]
        c.execute("""INSERT INTO company_claims (user_id, company_id, contact_name, position, licence_file_id, status)
                     VALUES (%s, %s, 'x', 'y', %s, 'approved')""", (uid, cid, file_id))
    return fid, email


def test_saving_into_the_prtr_draft_needs_the_company(app, db_url):
    fid, email = _company_user(db_url)
    body = {"year": 2024, "clinker_t": 1000, "electricity": [{"mwh": 100}]}  # 530.4 + 100 x 0.5366 = 53.66
    anon = app.test_client()
    assert anon.post(f"/api/facilities/{fid}/ghg", json=body,
                     headers={"X-CSRF-Token": csrf_token(anon, "/ghg")}).status_code == 401
    for stranger in (make_user(db_url, "member"), make_user(db_url, "admin")):
        c = app.test_client()
        login(c, stranger)
        assert c.post(f"/api/facilities/{fid}/ghg", json=body,
                      headers={"X-CSRF-Token": csrf_token(c, "/ghg")}).status_code == 403
    own = app.test_client()
    login(own, email)
    r = own.post(f"/api/facilities/{fid}/ghg", json=body, headers={"X-CSRF-Token": csrf_token(own, "/ghg")})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["scope1_tco2e"] == 530.4 and r.get_json()["scope2_tco2e"] == 53.66
    with psycopg.connect(db_url) as c:
        form = c.execute("""SELECT status, form FROM prtr_forms WHERE facility_id = %s AND year = 2024
                            ORDER BY version DESC LIMIT 1""", (fid,)).fetchone()
        stored = c.execute("SELECT scope1_tco2e, saved_to_prtr FROM ghg_calculations WHERE id = %s",
                           (r.get_json()["id"],)).fetchone()
    assert form[0] == "draft" and form[1]["normalised"]["ghg"] == {"scope1_tco2e": 530.4, "scope2_tco2e": 53.66}
    assert stored == (530.4, True)
    missing = own.post("/api/facilities/999999999/ghg", json=body, headers={"X-CSRF-Token": csrf_token(own, "/ghg")})
    assert missing.status_code == 404
