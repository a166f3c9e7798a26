"""Read replicas, for real: a streaming standby of the test cluster made by `bluemap db replica create`.

Routing (public reads to the replica, writes and the writer's next reads to the primary), replay lag (paused
with pg_wal_replay_pause()), the data version read from the database each tile comes from, failover to the
primary when the replica stops, /healthz, and `db replica status|promote|drop`.
"""

from __future__ import annotations

import socket
import time

import psycopg
import pytest
from click.testing import CliRunner
from prometheus_client import REGISTRY

from db.staging import bump_data_version
from ops.cli import main as cli
from ops.cluster import Cluster

pytestmark = pytest.mark.db
IMMUTABLE = "public, max-age=31536000, immutable"
TILE = "/tiles/factories,basemap/5/26/12.mvt"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bluemap(cluster: Cluster, *args: str):
    """Run the CLI with the test cluster as the embedded one."""
    env = {"DATABASE_URL": None, "BLUEMAP_DATABASE_URL": None, "BLUEMAP_VAR_DIR": str(cluster.root),
           "BLUEMAP_PG_PORT": str(cluster.port), "BLUEMAP_PG_USER": cluster.user,
           "BLUEMAP_PG_DATABASE": cluster.database}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture(scope="module")
def replica(cluster, db_url):
    port = _free_port()
    res = _bluemap(cluster, "db", "replica", "create", "--port", str(port))
    assert res.exit_code == 0, res.output
    r = Cluster(cluster.root / "replicas" / str(port), port, cluster.user, cluster.database)
    yield r
    r.destroy()


def _app(settings, tmp_path, replica: Cluster, max_lag: float = 2.0):
    from app import create_app

    app = create_app(settings.model_copy(update={
        "replica_urls": replica.url, "replica_max_lag_s": max_lag, "replica_check_s": 0.2, "tile_cache": False,
        "var_dir": tmp_path}))
    app.testing = True
    return app


def _used(family: str, database: str) -> float:
    return REGISTRY.get_sample_value("bluemap_db_seconds_count", {"family": family, "database": database}) or 0.0


def _version(url: str) -> int:
    with psycopg.connect(url) as c:
        return c.execute("SELECT version FROM data_version").fetchone()[0]


def _bump(url: str) -> int:
    with psycopg.connect(url) as c:
        v = bump_data_version(c)
        c.commit()
    return v


def _until(check, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError("condition not reached")


def _replica_health(client) -> dict:
    return next(d for d in client.get("/healthz").json["databases"] if d["name"] == "replica1")


def test_reads_go_to_the_replica_writes_and_the_writers_next_reads_to_the_primary(settings, tmp_path, replica):
    app = _app(settings, tmp_path, replica)
    try:
        client = app.test_client()
        health = client.get("/healthz").json
        assert [d["name"] for d in health["databases"]] == ["primary", "replica1"]
        assert health["databases"][1]["healthy"] is True and health["databases"][1]["lag_s"] < 2
        rep, pri = _used("tiles", "replica1"), _used("tiles", "primary")
        assert client.get(TILE).status_code == 200
        assert (_used("tiles", "replica1") - rep, _used("tiles", "primary") - pri) == (1, 0)
        search = _used("search", "replica1")
        assert client.get("/api/search?q=a").status_code == 200
        assert _used("search", "replica1") - search >= 1
        # A write goes to the primary, and so do this client's reads for a while after it.
        exp = _used("exports", "primary")
        r = client.post("/exports/jobs", json={"layer": "air_stations", "format": "csv"})
        assert r.status_code == 202, r.json
        assert _used("exports", "primary") - exp >= 1 and "bluemap_rw" in r.headers["Set-Cookie"]
        rep, pri = _used("tiles", "replica1"), _used("tiles", "primary")
        assert client.get(TILE).status_code == 200
        assert (_used("tiles", "replica1") - rep, _used("tiles", "primary") - pri) == (0, 1)
        other = app.test_client()  # another client, which wrote nothing, still reads from the replica
        assert other.get(TILE).status_code == 200
        assert _used("tiles", "replica1") - rep == 1
    finally:
        app.extensions["databases"].primary.pool.close()
        app.extensions["databases"].replicas[0].pool.close()


def test_a_lagging_replica_never_serves_under_the_new_version_and_is_skipped_past_the_bound(
        settings, tmp_path, replica, db_url):
    fresh = _bump(db_url)
    _until(lambda: _version(replica.url) == fresh)  # caught up, and its last replayed change is recent
    patient = _app(settings, tmp_path / "patient", replica, max_lag=120.0)
    strict = _app(settings, tmp_path / "strict", replica, max_lag=1.0)
    with psycopg.connect(replica.url, autocommit=True) as rc:
        rc.execute("SELECT pg_wal_replay_pause()")
        try:
            new = _bump(db_url)
            time.sleep(0.5)
            assert _version(replica.url) == fresh  # replay paused: the replica still has the old rows
            client = patient.test_client()
            tj = client.get("/tiles/factories.json").json["tiles"][0]
            assert tj.endswith(f"v={fresh}")  # the TileJSON comes from the replica: its own version
            r = client.get(TILE + f"?v={new}")  # a map that got the new version from the primary
            assert r.status_code == 200 and r.headers["X-Data-Version"] == str(fresh)
            assert r.headers["Cache-Control"] == "public, no-cache"  # old rows never cached as the new version
            assert client.get(TILE + f"?v={fresh}").headers["Cache-Control"] == IMMUTABLE
            # Past the bound the replica is skipped: reads (and the TileJSON's version) come from the primary.
            sc = strict.test_client()
            lagging = _until(lambda: (h := _replica_health(sc)) and not h["healthy"] and h)
            assert lagging["lag_s"] > 1.0 and lagging["error"] is None
            pri = _used("tiles", "primary")
            r = sc.get(TILE + f"?v={new}")
            assert r.headers["X-Data-Version"] == str(new) and r.headers["Cache-Control"] == IMMUTABLE
            assert _used("tiles", "primary") - pri == 1
            assert sc.get("/tiles/factories.json").json["tiles"][0].endswith(f"v={new}")
        finally:
            rc.execute("SELECT pg_wal_replay_resume()")
    _until(lambda: _replica_health(strict.test_client())["healthy"])
    assert _version(replica.url) == new
    for app in (patient, strict):
        for d in app.extensions["databases"].all():
            d.pool.close()


def test_failover_to_the_primary_when_the_replica_stops(settings, tmp_path, replica):
    app = _app(settings, tmp_path, replica)
    client = app.test_client()
    try:
        assert client.get(TILE).status_code == 200  # opens the replica's pool
        replica.stop()
        pri = _used("tiles", "primary")
        assert client.get(TILE).status_code == 200  # at once, whether or not a check has noticed yet
        assert client.get("/api/stations").status_code == 200
        assert _used("tiles", "primary") - pri == 1
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json["status"] == "ok"
        assert _replica_health(client)["healthy"] is False and _replica_health(client)["error"]
        replica.start()
        _until(lambda: _replica_health(client)["healthy"])
        rep = _used("tiles", "replica1")
        # back in use once a check finds it well (this process's own check may come a moment after /healthz's)
        _until(lambda: client.get(TILE).status_code == 200 and _used("tiles", "replica1") > rep)
    finally:
        if not replica.running():
            replica.start()
        for d in app.extensions["databases"].all():
            d.pool.close()


def test_cli_status_promote_and_drop(cluster, replica, db_url):
    res = _bluemap(cluster, "db", "replica", "status")
    assert res.exit_code == 0 and f":{replica.port}: running, standby" in res.output
    assert "WAL receiver streaming" in res.output
    res = _bluemap(cluster, "db", "replica", "promote", "--port", str(replica.port))
    assert res.exit_code == 0, res.output
    _until(lambda: "promoted" in _bluemap(cluster, "db", "replica", "status").output)
    with psycopg.connect(replica.url, autocommit=True) as c:  # writable now, and no longer following
        c.execute("CREATE TABLE promoted_here (a int)")
    res = _bluemap(cluster, "db", "replica", "drop", "--port", str(replica.port))
    assert res.exit_code == 0 and not replica.root.exists()
    res = _bluemap(cluster, "db", "replica", "drop", "--port", str(replica.port))
    assert res.exit_code != 0 and "no replica" in res.output
    assert "no replicas" in _bluemap(cluster, "db", "replica", "status").output
