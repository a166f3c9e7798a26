"""Shared fixtures: a throwaway PostGIS cluster with the bundled data loaded, and the app on top of it."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from ops.cluster import Cluster, ClusterError

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(app) -> Iterator[str]:
    """`app` served over HTTP on a free loopback port (werkzeug, threaded): its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", _free_port(), app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def _unavailable(reason: str):
    """Skip locally; under CI a missing database is a failure, never a skip."""
    if CI:
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def cluster():
    """A private PostgreSQL/PostGIS cluster for this test session, deleted afterwards."""
    root = Path(tempfile.mkdtemp(prefix="bluemap-test-"))
    c = Cluster(root, _free_port(), database="bluemap_test")
    try:
        c.start()
    except ClusterError as exc:
        c.destroy()
        _unavailable(f"cannot start a PostGIS cluster: {exc}")
    yield c
    c.destroy()


@pytest.fixture(scope="session")
def db_url(cluster) -> str:
    """URL of the migrated test database holding all the bundled data."""
    from data.loaders import registry
    from db import migrations as migrate
    from db.staging import bump_data_version

    migrate.upgrade(cluster.url)
    with psycopg.connect(cluster.url) as conn:
        for load in registry().values():
            load(conn)
            conn.commit()
        bump_data_version(conn)
    return cluster.url


@pytest.fixture(scope="session")
def settings(db_url, tmp_path_factory):
    from app.settings import get_settings

    return get_settings(database_url=db_url, var_dir=tmp_path_factory.mktemp("var"))


@pytest.fixture(scope="session")
def app(settings):
    from app import create_app

    application = create_app(settings)
    application.testing = True
    yield application
    application.extensions["pool"].close()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def conn(db_url):
    """A connection whose changes are rolled back after the test."""
    with psycopg.connect(db_url) as c:
        yield c
        c.rollback()


@pytest.fixture()
def scratch_db(cluster):
    """An empty database (PostGIS only, no migrations) in the test cluster, dropped afterwards."""
    name = f"scratch_{os.getpid()}_{_free_port()}"
    admin = cluster.url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    url = cluster.url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("CREATE EXTENSION postgis")
    yield url
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def pytest_sessionfinish(session, exitstatus):
    """Under CI=true a skipped test fails the run: nothing may silently not run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if CI and reporter and reporter.stats.get("skipped") and exitstatus == 0:
        reporter.write_line(f"CI=true: {len(reporter.stats['skipped'])} skipped tests count as failures", red=True)
        session.exitstatus = 1
