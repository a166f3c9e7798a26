"""Health and statistics over HTTP, against the real database."""

from app import create_app
from app.settings import get_settings


def test_healthz_ok(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json["status"] == "ok"


def test_healthz_503_when_migrations_not_current(scratch_db, tmp_path):
    app = create_app(get_settings(database_url=scratch_db, var_dir=tmp_path))
    r = app.test_client().get("/healthz")
    assert r.status_code == 503
    assert "migrations not current" in r.json["reason"]
    app.extensions["pool"].close()


def test_healthz_503_when_database_unreachable(tmp_path):
    app = create_app(get_settings(database_url="postgresql://nobody@127.0.0.1:1/none", var_dir=tmp_path))
    r = app.test_client().get("/healthz")
    assert r.status_code == 503
    assert "unreachable" in r.json["reason"]
    app.extensions["pool"].close()


def test_stats_counts_by_table_and_dataset(client):
    r = client.get("/api/stats")
    assert r.status_code == 200
    t = r.json["tables"]
    assert t["facilities"]["real"] >= 4000
    assert t["air_readings"]["total"] == 420768
    # the records are synthetic but for the 1,000 real penalty decisions of Taiwan's environment ministry (and
    # those other tests of the session loaded from files of their own)
    assert t["violations"]["total"] - t["violations"]["synthetic"] == t["violations"]["real"] >= 1000
    assert t["facilities"]["by_dataset"]["sfi-cement-steel"] == 1347
    assert r.json["provinces"] >= 31 and r.json["air_stations"] == 12
    licences = {d["id"]: d["licence"] for d in r.json["datasets"]}
    assert licences["gppd-china"] == "CC BY 4.0"


def test_unknown_route_is_json_404(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "error" in r.json
