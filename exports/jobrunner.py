"""The worker side of export jobs: claim a due job, run it within its limits, record how it ended.

A job that loses its database (a restart, a connection refused) goes back to the queue and is tried again
after a pause, up to `Limits.attempts` times; a job over a limit (time, bytes) or cancelled by its client
ends at its next batch of rows or tiles.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import psycopg

from core.errors import DomainError, TooLarge, Unavailable
from exports import jobs, service

log = logging.getLogger(__name__)
ConnFactory = Callable[[], AbstractContextManager[Any]]


class Cancelled(Exception):
    """The job's client asked to cancel it."""


class Stopping(BaseException):
    """The worker process is being stopped: the running job goes back to the queue."""


class _Guard:
    """Progress callback that records rows done and stops the job when cancelled or over its limits."""

    def __init__(self, store: jobs.JobStore, job: dict[str, Any], limits: jobs.Limits) -> None:
        self.store, self.job_id, self.limits = store, job["id"], limits
        self.path = store.dir(job["id"]) / job["filename"]
        self.started = time.monotonic()
        self.last = 0.0  # the first batch is checked
        self.done = 0
        self.stopped: Exception | None = None  # why the guard stopped the job (writers may wrap the raise)

    def __call__(self, n: int) -> None:
        self.done += n
        if time.monotonic() - self.last > 0.5:
            self.last = time.monotonic()
            self.check()
            self.store.update(self.job_id, rows_done=self.done)

    def check(self, path: Path | None = None) -> None:
        """Raise Cancelled or TooLarge when the job must stop."""
        if self.store.cancelled(self.job_id):
            self.stopped = Cancelled()
        elif time.monotonic() - self.started > self.limits.max_seconds:
            self.stopped = TooLarge(f"the export job ran longer than its limit of {self.limits.max_seconds} s: "
                                    "narrow the filters")
        elif _size(path or self.path) > self.limits.max_bytes:
            self.stopped = TooLarge(f"the export file grew past the limit of {self.limits.max_bytes} bytes: "
                                    "narrow the filters")
        if self.stopped:
            raise self.stopped


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


class Runner:
    """Runs due jobs of a store, one at a time, on connections from `connect`."""

    def __init__(self, store: jobs.JobStore, connect: ConnFactory, limits: jobs.Limits,
                 retry_delay: float = 10.0) -> None:
        self.store, self.connect, self.limits, self.retry_delay = store, connect, limits, retry_delay
        self._conn: Any = None  # the running job's connection (to tell a lost database from other errors)

    def run_once(self) -> str | None:
        """Claim and run the oldest due job; its id, or None when no job is due."""
        for job in self.store.due():
            lock = self.store.claim(job["id"])
            if lock is None:
                continue  # another worker runs it
            try:
                job = self.store.get(job["id"])
                if job["state"] not in jobs.ACTIVE:
                    continue
                self._run(job)
                return job["id"]
            finally:
                jobs.release(lock)
        return None

    def run_all(self) -> int:
        """Run due jobs until none is left (jobs waiting for a retry are left); how many runs."""
        n = 0
        while self.run_once():
            n += 1
        return n

    def _run(self, job: dict[str, Any]) -> None:
        """Run a claimed job and record how it ended."""
        job_id = job["id"]
        if self.store.cancelled(job_id):
            self.store.finish(job_id, "cancelled", error="cancelled by the client")
            return
        if job["state"] == "running" and job["attempts"] >= self.limits.attempts:
            self.store.finish(job_id, "failed", error=f"interrupted {job['attempts']} times; not tried again")
            return
        self.store.clear(job_id)
        attempts = job["attempts"]
        job = self.store.update(job_id, state="running", started_at=jobs.now_text(), attempts=attempts + 1,
                                rows_done=0, error=None)
        guard = _Guard(self.store, job, self.limits)
        self._conn = None
        try:
            size, nbytes = self._produce(job, guard)
        except Stopping:
            self.store.clear(job_id)
            self.store.update(job_id, state="queued", attempts=attempts, rows_done=0)
            raise
        except Exception as exc:  # noqa: BLE001 - every failure is recorded in the job for the client
            self._failed(job_id, attempts + 1, guard.stopped or exc)
        else:
            self.store.finish(job_id, "done", rows_done=size, bytes=nbytes)

    def _failed(self, job_id: str, attempt: int, exc: Exception) -> None:
        """Record why a run ended early: cancelled, over a limit, the database gone (retried) or an error."""
        if isinstance(exc, Cancelled):
            self.store.finish(job_id, "cancelled", error="cancelled by the client")
        elif isinstance(exc, psycopg.errors.QueryCanceled):
            self.store.finish(job_id, "failed", error=f"the export job ran longer than its limit of "
                                                      f"{self.limits.max_seconds} s: narrow the filters")
        elif isinstance(exc, psycopg.OperationalError | Unavailable) or getattr(self._conn, "broken", False):
            self._retry_or_fail(job_id, attempt, exc)
        elif isinstance(exc, DomainError):
            self.store.finish(job_id, "failed", error=exc.reason)
        else:
            log.error("export job %s failed", job_id, exc_info=exc)
            self.store.finish(job_id, "failed", error=f"{exc.__class__.__name__}: {exc}")

    def _retry_or_fail(self, job_id: str, attempt: int, exc: Exception) -> None:
        """The database went away: queue the job again after a pause, unless its attempts are used up."""
        reason = f"database unavailable: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc}"
        log.warning("export job %s, attempt %d: %s", job_id, attempt, reason)
        if attempt >= self.limits.attempts:
            self.store.finish(job_id, "failed", error=f"{reason} (after {attempt} attempts)")
            return
        self.store.clear(job_id)
        self.store.update(job_id, state="queued", rows_done=0, not_before=time.time() + self.retry_delay * attempt,
                          error=f"{reason}; attempt {attempt} of {self.limits.attempts}, tried again shortly")

    def _produce(self, job: dict[str, Any], guard: _Guard) -> tuple[int, int]:
        """Plan and write the job's file; its size (rows or tiles) and bytes."""
        d = self.store.dir(job["id"])
        req = service.parse(job["layer"], job["format"], job["args"])
        with self.connect() as conn:
            self._conn = conn
            conn.execute(f"SET statement_timeout = {int(self.limits.max_seconds * 1000)}")
            conn.commit()
            p = service.plan(conn, req)
            jobs.check_size(p, self.limits)  # the data may have grown since the job was accepted
            self.store.update(job["id"], rows_total=p.size)
            (d / "metadata.json").write_text(service.metadata_json(p.meta), encoding="utf-8")
            out = service.produce(conn, p, d / job["filename"], guard)
        csv_sidecar = out.with_name(out.name + ".metadata.json")
        if csv_sidecar.exists():
            csv_sidecar.unlink()  # the job's metadata.json is the same document
        guard.check(out)
        return p.size, out.stat().st_size
