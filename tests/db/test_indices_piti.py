"""PITI-like city scores: assessor scoring with evidence, a second assessor's check, the published ranking with
its choropleth and year-on-year change, synthetic demo scores flagged."""

import psycopg
import pytest

from core.datasets import Dataset
from db.staging import register_dataset
from indices import piti
from tests.supply_helpers import csrf_token, login, make_user

DS = Dataset("test:piti", "PITI test prefectures", "CC0", None, "test", None, synthetic=True)
A, B = "990100", "990200"  # test-only prefecture codes (no real code starts with 99)
SQUARE = "ST_Multi(ST_MakeEnvelope(%s, %s, %s, %s, 4326))"


@pytest.fixture(scope="module")
def cities(db_url):
    with psycopg.connect(db_url) as c:
        register_dataset(c, DS)
        for code, x in ((A, 100), (B, 102)):
            c.execute(f"""INSERT INTO admin_areas (code, level, name_zh, name_en, geom, dataset_id)
                          VALUES (%s, 'prefecture', %s, %s, {SQUARE}, %s) ON CONFLICT (code) DO NOTHING""",
                      (code, f"测试市{code}", f"Test city {code}", x, 30, x + 1, 31, DS.id))
    return make_user(db_url, "assessor"), make_user(db_url, "assessor")


def _client(app, email):
    c = app.test_client()
    login(c, email)
    return c


def _score(client, **body):
    return client.post("/api/piti/scores", json=body, headers={"X-CSRF-Token": csrf_token(client, "/ghg")})


def test_score_check_publish(app, db_url, cities):
    first, second = _client(app, cities[0]), _client(app, cities[1])
    ev = "https://example.gov.cn/xxgk/1"
    ids = [_score(first, year=2041, code=A, item="penalty_decisions", points=10, evidence_url=ev).get_json()["id"],
           _score(first, year=2041, code=A, item="realtime_data", points=7.5, evidence_url=ev).get_json()["id"],
           _score(first, year=2041, code=B, item="realtime_data", points=4, evidence_url=ev).get_json()["id"],
           _score(first, year=2040, code=A, item="realtime_data", points=5, evidence_url=ev).get_json()["id"]]
    # nothing is published before a second assessor agrees
    assert client_rank(app, 2041) == {}
    own = first.post(f"/assess/check/{ids[0]}", json={"status": "agreed"},
                     headers={"X-CSRF-Token": csrf_token(first, "/assess")})
    assert own.status_code == 403
    token = csrf_token(second, "/assess")
    for sid, status in zip(ids, ("agreed", "agreed", "disputed", "agreed"), strict=True):
        assert second.post(f"/assess/check/{sid}", json={"status": status},
                           headers={"X-CSRF-Token": token}).status_code == 200
    ranks = client_rank(app, 2041)
    # A: 10 + 7.5 agreed = 17.5, last year 5 -> +12.5; B: its only score is disputed -> not published
    assert ranks[A]["total"] == 17.5 and ranks[A]["previous"] == 5 and B not in ranks
    page = app.test_client().get("/rankings/cities?year=2041&lang=en").get_data(as_text=True)
    assert 'id="piti-map"' in page and f'data-code="{A}"' in page and "+12.5" in page
    assert "Test city 990100" in page
    city = app.test_client().get(f"/rankings/cities/{A}?year=2041&lang=zh").get_data(as_text=True)
    assert "行政处罚决定书全文公开" in city and ev in city and "同意" in city


def client_rank(app, year):
    return {r["code"]: r for r in app.test_client().get(f"/api/rankings/cities?year={year}").get_json()["cities"]}


def test_bad_scores_and_roles(app, db_url, cities):
    first = _client(app, cities[0])
    ev = "https://example.gov.cn/x"
    assert _score(first, year=2041, code=A, item="penalty_decisions", points=13, evidence_url=ev).status_code == 400
    assert _score(first, year=2041, code=A, item="nope", points=1, evidence_url=ev).status_code == 400
    bad_link = _score(first, year=2041, code=A, item="eia_reports", points=1, evidence_url="javascript:x")
    assert bad_link.status_code == 400
    assert _score(first, year=2041, code="110000", item="eia_reports", points=1, evidence_url=ev).status_code == 404
    member = _client(app, make_user(db_url, "member"))
    assert _score(member, year=2041, code=A, item="eia_reports", points=1, evidence_url=ev).status_code == 403
    assert app.test_client().post("/api/piti/scores", json={}).status_code in (401, 403)


def test_demo_scores_are_flagged_synthetic(app, db_url, cities):
    with psycopg.connect(db_url) as c:
        n = piti.demo(c, 2039, cities=5)
    assert n == 5 * len(piti.methodology()["items"])
    rows = app.test_client().get("/api/rankings/cities?year=2039").get_json()["cities"]
    assert rows and all(r["synthetic"] for r in rows)
    page = app.test_client().get("/rankings/cities?year=2039&lang=en").get_data(as_text=True)
    assert 'id="piti-synthetic"' in page and "synthetic" in page
