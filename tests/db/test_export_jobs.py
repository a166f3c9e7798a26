"""Export jobs through HTTP and a real worker: checked and sized before they are accepted, capped, limited per
client and in all, cancellable, run by the worker process (never the web), retried after losing the database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

import psycopg
import pyogrio
import pytest

from db.connection import connect
from exports import jobrunner, jobs

BBOX = "114.0,37.5,119.5,42.0"
JOB = {"layer": "factories", "format": "gpkg", "filters": {"bbox": BBOX}}


@pytest.fixture()
def job_settings(settings, tmp_path):
    """Settings with a var folder of this test's own (so its jobs are the only ones) and small caps."""
    return settings.model_copy(update={"var_dir": tmp_path, "export_max_rows": 10, "export_job_max_tiles": 5000,
                                       "export_jobs_per_client": 2, "export_jobs_max_active": 3})


@contextmanager
def app_for(s):
    from app import create_app

    application = create_app(s)
    try:
        yield application
    finally:
        application.extensions["pool"].close()


@pytest.fixture()
def web(job_settings):
    with app_for(job_settings) as application:
        yield application.test_client()


def store(s) -> jobs.JobStore:
    return jobs.JobStore(s.var_dir / "exports" / "jobs")


def runner(s, conn_factory=None, **limits) -> jobrunner.Runner:
    """The worker's runner, in this process (the web request is long over when it runs)."""

    @contextmanager
    def real():
        with connect(s) as c:
            yield c

    return jobrunner.Runner(store(s), conn_factory or real, jobs.Limits.of(s.model_copy(update=limits)),
                            retry_delay=0)


def local(url: str) -> str:
    return url.replace("http://localhost", "")


def test_jobs_run_in_the_worker_process_and_stop_with_it(web, job_settings, conn, tmp_path):
    created = web.post("/exports/jobs", json=JOB)
    assert created.status_code == 202, created.json
    job = created.json
    n = conn.execute("SELECT count(*) FROM facilities WHERE geom && ST_MakeEnvelope(114, 37.5, 119.5, 42, 4326)"
                     ).fetchone()[0]
    assert job["state"] == "queued" and job["rows_total"] == n and created.headers["Location"].endswith(job["id"])
    time.sleep(1)
    assert web.get(f"/exports/jobs/{job['id']}").json["state"] == "queued"  # nothing runs in the web process
    env = {**os.environ, "DATABASE_URL": job_settings.database_url, "BLUEMAP_VAR_DIR": str(tmp_path)}
    worker = subprocess.Popen([sys.executable, "-m", "ops.cli", "worker", "--poll", "0.2"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 120
        while job["state"] not in ("done", "failed") and time.time() < deadline:
            time.sleep(0.3)
            job = web.get(f"/exports/jobs/{job['id']}").json
        assert job["state"] == "done", job
        assert job["rows_total"] == job["rows_done"] == n and job["progress"] == 1.0 and job["attempts"] == 1
    finally:
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    download = web.get(local(job["download_url"]))
    assert download.status_code == 200
    (tmp_path / "job.gpkg").write_bytes(download.data)
    assert len(pyogrio.read_dataframe(tmp_path / "job.gpkg", layer="factories")) == n
    assert web.get(local(job["metadata_url"])).json["rows"] == n


@pytest.mark.parametrize("body, status, words", [
    ({"layer": "nowhere", "format": "gpkg"}, 404, "unknown layer"),
    ({"layer": "factories", "format": "doc"}, 400, "unknown format"),
    ({"layer": "factories", "format": "gpkg", "filters": {"bbox": "1,2"}}, 400, "bbox"),
    ({"layer": "factories", "format": "gpkg", "extra": 1}, 400, "unknown member"),
    ({"layer": "factories", "format": "gpkg", "filters": {"area": "999999"}}, 400, "no area"),
    ({"layer": "factories", "format": "gpkg", "filters": {"since": "2021-13-01"}}, 400, "date"),
    ({"layer": "carbon", "format": "csv", "filters": {"year": "2147483648"}}, 400, "year"),
    ({"layer": "factories", "format": "pmtiles", "filters": {"minzoom": "9", "maxzoom": "3"}}, 400, "minzoom"),
    ({"layer": "factories", "format": "pmtiles", "filters": {"minzoom": "0", "maxzoom": "22"}}, 413, "tiles"),
    ("not json", 400, "JSON"),
    ("[" * 5000, 400, "nested"),
])
def test_bad_jobs_are_refused_before_they_are_accepted(web, job_settings, body, status, words):
    resp = web.post("/exports/jobs", json=body) if isinstance(body, dict) else web.post(
        "/exports/jobs", data=body, content_type="application/json")
    assert resp.status_code == status, resp.json
    assert words in resp.json["error"]
    assert list(store(job_settings).jobs()) == []
    assert web.get("/exports/jobs/" + "0" * 32).status_code == 404
    assert web.get("/exports/jobs/../../etc").status_code == 404


def test_jobs_over_the_row_cap_are_413_with_the_reason(job_settings):
    with app_for(job_settings.model_copy(update={"export_job_max_rows": 50})) as application:
        resp = application.test_client().post("/exports/jobs", json=JOB)
    assert resp.status_code == 413
    assert resp.json["limit"] == 50 and resp.json["rows"] > 50 and "narrow the filters" in resp.json["error"]
    catalog_limits = {"rows", "tiles", "seconds", "bytes", "per_client", "active"}
    with app_for(job_settings) as application:
        assert set(application.test_client().get("/exports").json["job_limits"]) == catalog_limits


def test_per_client_and_global_limits_answer_429_with_retry_after(web):
    def post(ip):
        return web.post("/exports/jobs", json=JOB, environ_base={"REMOTE_ADDR": ip})

    first = [post("10.0.0.1") for _ in range(2)]
    assert [r.status_code for r in first] == [202, 202]
    third = post("10.0.0.1")
    assert third.status_code == 429 and int(third.headers["Retry-After"]) > 0
    assert "you have 2 export jobs" in third.json["error"]
    assert post("10.0.0.2").status_code == 202  # another client still may
    full = post("10.0.0.2")
    assert full.status_code == 429 and "the service has 3" in full.json["error"]
    assert web.delete(f"/exports/jobs/{first[0].json['id']}").status_code == 200  # a cancelled job frees a place
    assert post("10.0.0.1").status_code == 202


def test_cancel_a_queued_job(web, job_settings):
    job = web.post("/exports/jobs", json=JOB).json
    resp = web.delete(f"/exports/jobs/{job['id']}")
    assert resp.status_code == 200 and resp.json["state"] == "cancelled"
    assert runner(job_settings).run_all() == 0
    assert web.get(f"/exports/jobs/{job['id']}").json["state"] == "cancelled"
    assert web.get(f"/exports/jobs/{job['id']}/download").status_code == 409
    again = web.delete(f"/exports/jobs/{job['id']}")
    assert again.status_code == 409 and "cancelled" in again.json["error"]
    assert web.delete("/exports/jobs/" + "0" * 32).status_code == 404


def test_cancel_a_running_job(web, job_settings):
    job = web.post("/exports/jobs", json={"layer": "factories", "format": "geojson"}).json
    answers = []

    @contextmanager
    def cancelled_as_it_starts():
        with connect(job_settings) as c:
            answers.append(web.delete(f"/exports/jobs/{job['id']}"))  # the worker holds the job: 202
            yield c

    assert runner(job_settings, cancelled_as_it_starts).run_once() == job["id"]
    assert answers[0].status_code == 202 and answers[0].json["state"] == "running"
    done = web.get(f"/exports/jobs/{job['id']}").json
    assert done["state"] == "cancelled" and done["rows_done"] < done["rows_total"]
    assert sorted(p.name for p in (store(job_settings).dir(job["id"])).iterdir()) == ["cancel", "job.json", "lock"]


def test_a_job_over_its_byte_or_time_cap_fails_with_the_reason(web, job_settings):
    job = web.post("/exports/jobs", json={"layer": "factories", "format": "geojson"}).json
    runner(job_settings, export_job_max_bytes=100_000).run_all()
    failed = web.get(f"/exports/jobs/{job['id']}").json
    assert failed["state"] == "failed" and "100000 bytes" in failed["error"]
    assert not (store(job_settings).dir(job["id"]) / job["filename"]).exists()


def test_a_job_that_loses_the_database_is_tried_again(web, job_settings):
    """The job's connection is ended by the server (as in a restart): queued again, then done."""
    job = web.post("/exports/jobs", json={"layer": "air_stations", "format": "csv"}).json

    @contextmanager
    def restarted():
        with connect(job_settings) as c:
            with psycopg.connect(job_settings.database_url, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (c.info.backend_pid,))
            yield c

    assert runner(job_settings, restarted).run_once() == job["id"]
    again = web.get(f"/exports/jobs/{job['id']}").json
    assert again["state"] == "queued" and again["attempts"] == 1 and "database unavailable" in again["error"]
    assert runner(job_settings).run_all() == 1
    done = web.get(f"/exports/jobs/{job['id']}").json
    assert done["state"] == "done" and done["attempts"] == 2 and done["error"] is None
    assert web.get(local(done["download_url"])).data.count(b"\n") == done["rows_total"] + 1


def test_attempts_are_bounded(web, job_settings):
    job = web.post("/exports/jobs", json={"layer": "air_stations", "format": "csv"}).json

    @contextmanager
    def down():
        with psycopg.connect("postgresql://nobody@127.0.0.1:1/none", connect_timeout=2):
            yield None

    for _ in range(3):
        runner(job_settings, down).run_once()
    failed = web.get(f"/exports/jobs/{job['id']}").json
    assert failed["state"] == "failed" and failed["attempts"] == 3 and "after 3 attempts" in failed["error"]


def test_a_job_left_running_by_a_dead_worker_is_run_again(web, job_settings):
    s = store(job_settings)
    job = web.post("/exports/jobs", json={"layer": "air_stations", "format": "geojson"}).json
    s.save(s.get(job["id"]) | {"state": "running", "attempts": 1})
    (s.dir(job["id"]) / job["filename"]).write_text("partial")
    assert runner(job_settings).run_all() == 1
    done = s.get(job["id"])
    assert done["state"] == "done" and done["attempts"] == 2
    assert b'"features"' in web.get(local(web.get(f"/exports/jobs/{job['id']}").json["download_url"])).data
    crash = web.post("/exports/jobs", json={"layer": "air_stations", "format": "geojson"}).json
    s.save(s.get(crash["id"]) | {"state": "running", "attempts": 3})  # it kept killing its worker
    runner(job_settings).run_all()
    assert s.get(crash["id"])["state"] == "failed" and "interrupted 3 times" in s.get(crash["id"])["error"]
