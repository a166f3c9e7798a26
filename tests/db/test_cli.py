"""The `bluemap` command as a user runs it: status, loading, and serving over real HTTP with gunicorn."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from alembic.script import ScriptDirectory


def run(settings, *args):
    env = {**os.environ, "DATABASE_URL": settings.database_url, "BLUEMAP_VAR_DIR": str(settings.var_dir)}
    return subprocess.run([sys.executable, "-m", "ops.cli", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_db_status_reports_the_migration(settings):
    res = run(settings, "db", "status")
    assert res.returncode == 0, res.stderr
    head = ScriptDirectory(str(Path(__file__).parents[2] / "migrations")).get_current_head()
    assert "external database" in res.stdout and f"migration: {head}" in res.stdout


def test_load_unknown_dataset_is_a_clear_error(settings):
    res = run(settings, "load", "nonsense")
    assert res.returncode != 0
    assert "unknown data set 'nonsense'" in res.stderr


def test_load_if_empty_keeps_the_data(settings):
    res = run(settings, "load", "all", "--if-empty")
    assert res.returncode == 0 and "already loaded" in res.stdout


def test_load_if_empty_adds_the_data_sets_not_loaded_yet(settings):
    """An upgraded database gets the bundled data sets it has not had (here: one), and nothing twice."""
    import psycopg

    from data.loaders import registry

    names = [n for n in registry() if n != "population"]
    with psycopg.connect(settings.database_url) as c:
        c.execute("DELETE FROM loaded_sets")
        c.execute("INSERT INTO loaded_sets (name) SELECT unnest(%s::text[])", (names,))
    res = run(settings, "load", "all", "--if-empty")
    assert res.returncode == 0, res.stderr
    assert "population" in res.stdout and "synthetic-demo" not in res.stdout
    with psycopg.connect(settings.database_url) as c:
        assert c.execute("SELECT count(*) FROM loaded_sets").fetchone()[0] == len(names) + 1
    again = run(settings, "load", "all", "--if-empty")
    assert again.returncode == 0 and "already loaded" in again.stdout


def test_serve_answers_over_http(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": settings.database_url, "BLUEMAP_VAR_DIR": str(settings.var_dir)}
    proc = subprocess.Popen([sys.executable, "-m", "ops.cli", "serve", "--port", str(port), "--workers", "1"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body = json.load(r)
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert body["status"] == "ok"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/stats", timeout=10) as r:
            stats = json.load(r)
        assert stats["tables"]["facilities"]["real"] >= 4000
    finally:
        proc.terminate()
        proc.wait(timeout=10)
