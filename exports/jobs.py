"""Asynchronous export jobs whose state lives in files, so they survive a restart of the service.

Each job is a folder `<root>/<id>/` holding `job.json` (request, state, progress), the output file and its
`metadata.json`. A job is run by whichever process holds its `lock` (an advisory flock, released by the
kernel when a process dies). A job found `queued` or `running` with a free lock was interrupted (the
service stopped or crashed): it is run again from the start (its partial file is discarded) the next time
any process asks for jobs (`resume`). Exports are deterministic for a given data version, so a re-run gives
the file the interrupted run would have given.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from exports import service

ConnFactory = Callable[[], AbstractContextManager[Any]]
STATES = ("queued", "running", "done", "failed")
KEEP_DAYS = 7


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class JobStore:
    """Jobs under `root`, run one at a time per process by a background thread."""

    def __init__(self, root: Path, connect: ConnFactory, workers: int = 1) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.connect = connect
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="export-job")
        self._mine: set[str] = set()
        self._lock = threading.Lock()
        self._resumed = False

    # ------------------------------------------------------------------ state files

    def _dir(self, job_id: str) -> Path:
        if not job_id.isalnum() or len(job_id) != 32:
            raise KeyError(job_id)
        return self.root / job_id

    def get(self, job_id: str) -> dict[str, Any]:
        """The job's state; KeyError when there is none."""
        try:
            return json.loads((self._dir(job_id) / "job.json").read_text())
        except (FileNotFoundError, ValueError):
            raise KeyError(job_id) from None

    def _save(self, job: dict[str, Any]) -> None:
        d = self._dir(job["id"])
        tmp = d / f".job.{os.getpid()}.{threading.get_ident()}.tmp"
        tmp.write_text(json.dumps(job, ensure_ascii=False, indent=1))
        os.replace(tmp, d / "job.json")

    def _update(self, job_id: str, **changes: Any) -> dict[str, Any]:
        job = self.get(job_id) | changes | {"updated_at": _now()}
        self._save(job)
        return job

    def output(self, job_id: str) -> Path | None:
        """The finished file of a done job."""
        job = self.get(job_id)
        if job["state"] != "done":
            return None
        return self._dir(job_id) / job["filename"]

    def metadata(self, job_id: str) -> Path:
        """Where the job's provenance document is (or will be)."""
        return self._dir(job_id) / "metadata.json"

    # ------------------------------------------------------------------ lifecycle

    def create(self, layer: str, fmt: str, args: dict[str, str]) -> dict[str, Any]:
        """Validate (NotFound or Invalid when bad) and queue a job; returns its state."""
        req = service.parse(layer, fmt, args)
        job_id = uuid.uuid4().hex
        self._dir(job_id).mkdir()
        job = {"id": job_id, "layer": layer, "format": req.format, "args": args, "state": "queued",
               "created_at": _now(), "updated_at": _now(), "started_at": None, "finished_at": None,
               "rows_done": 0, "rows_total": None, "attempts": 0, "error": None, "filename": req.filename(),
               "media_type": req.media_type, "bytes": None}
        self._save(job)
        self.submit(job_id)
        return job

    def submit(self, job_id: str) -> None:
        """Run the job in this process's pool, unless it is queued here already."""
        with self._lock:
            if job_id in self._mine:
                return
            self._mine.add(job_id)
        self._pool.submit(self._run, job_id)

    def resume(self, force: bool = False) -> list[str]:
        """Queue every interrupted job (queued or running, nobody holding its lock); once per process
        unless `force`. Also deletes jobs older than KEEP_DAYS."""
        if self._resumed and not force:
            return []
        self._resumed = True
        found = []
        cutoff = time.time() - KEEP_DAYS * 86400
        for d in self.root.iterdir():
            if not d.is_dir() or not (d / "job.json").exists():
                continue
            if (d / "job.json").stat().st_mtime < cutoff:
                shutil.rmtree(d, ignore_errors=True)
                continue
            try:
                job = self.get(d.name)
            except KeyError:
                continue
            if job["state"] in ("queued", "running") and not self._locked(d.name):
                found.append(d.name)
                self.submit(d.name)
        return found

    def check(self, job_id: str) -> dict[str, Any]:
        """The job's state; an interrupted job is queued again here."""
        job = self.get(job_id)
        if job["state"] in ("queued", "running") and job_id not in self._mine and not self._locked(job_id):
            self.submit(job_id)
        return job

    def _locked(self, job_id: str) -> bool:
        with open(self._dir(job_id) / "lock", "a") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(f, fcntl.LOCK_UN)
            return False

    def _run(self, job_id: str) -> None:
        d = self._dir(job_id)
        with open(d / "lock", "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # another process runs it
            try:
                job = self.get(job_id)
                if job["state"] not in ("queued", "running"):
                    return
                self._execute(job)
            finally:
                with self._lock:
                    self._mine.discard(job_id)
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _execute(self, job: dict[str, Any]) -> None:
        job_id = job["id"]
        d = self._dir(job_id)
        for leftover in d.iterdir():  # a partial file of an interrupted run
            if leftover.name not in ("job.json", "lock"):
                leftover.unlink()
        job = self._update(job_id, state="running", started_at=_now(), attempts=job["attempts"] + 1,
                           rows_done=0, error=None)
        done = 0
        last = time.monotonic()

        def progress(n: int) -> None:
            nonlocal done, last
            done += n
            if time.monotonic() - last > 0.5:
                last = time.monotonic()
                self._update(job_id, rows_done=done)

        try:
            req = service.parse(job["layer"], job["format"], job["args"])
            with self.connect() as conn:
                p = service.plan(conn, req)
                self._update(job_id, rows_total=p.size)
                (d / "metadata.json").write_text(service.metadata_json(p.meta), encoding="utf-8")
                out = service.produce(conn, p, d / job["filename"], progress)
            csv_sidecar = out.with_name(out.name + ".metadata.json")
            if csv_sidecar.exists():
                csv_sidecar.unlink()  # the job's metadata.json is the same document
            self._update(job_id, state="done", finished_at=_now(), rows_done=p.size, bytes=out.stat().st_size)
        except Exception as exc:  # noqa: BLE001 - recorded in the job for the client
            self._update(job_id, state="failed", finished_at=_now(), error=f"{exc.__class__.__name__}: {exc}")

    def wait(self, job_id: str, timeout: float = 60) -> dict[str, Any]:
        """Until the job is done or failed (tests and the CLI)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.get(job_id)
            if job["state"] in ("done", "failed"):
                return job
            time.sleep(0.1)
        raise TimeoutError(job_id)

    def shutdown(self) -> None:
        """Stop the pool after the running job; queued ones resume on the next start."""
        self._pool.shutdown(wait=True, cancel_futures=True)
