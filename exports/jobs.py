"""Asynchronous export jobs whose state lives in files, so they survive a restart of the service.

Each job is a folder `<root>/<id>/` holding `job.json` (request, state, progress), the output file and its
`metadata.json`. The web process only validates, admits and queues jobs (and cancels them); the worker
process (`bluemap worker`, `exports.jobrunner`) runs them. A job is run by whichever process holds its `lock`
(an advisory flock taken without waiting, so claiming is atomic, and released by the kernel when a process
dies). A job found `queued` or `running` with a free lock is due: a new one, or one interrupted by a stop or a
crash, which is run again from the start (its partial file is discarded). Exports are deterministic for a
given data version, so a re-run gives the file the interrupted run would have given.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from core.errors import Conflict, TooLarge, TooManyRequests
from exports import service

ACTIVE = ("queued", "running")
STATES = (*ACTIVE, "done", "failed", "cancelled")
KEEP_DAYS = 7
RETRY_AFTER_S = 30  # what a client told "too many jobs" should wait before asking again


@dataclass(frozen=True)
class Limits:
    """Bounds of export jobs (from the settings): size, time, bytes, concurrency and attempts."""

    max_rows: int = 2_000_000
    max_tiles: int = 200_000
    max_seconds: int = 1800
    max_bytes: int = 2_000_000_000
    per_client: int = 2
    max_active: int = 20
    attempts: int = 3

    @classmethod
    def of(cls, settings: Any) -> Limits:
        """The limits configured in the service settings."""
        return cls(settings.export_job_max_rows, settings.export_job_max_tiles, settings.export_job_max_seconds,
                   settings.export_job_max_bytes, settings.export_jobs_per_client, settings.export_jobs_max_active,
                   settings.export_job_attempts)


def now_text() -> str:
    """The current UTC time as RFC 3339 text (seconds)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def check_size(p: service.Plan, limits: Limits) -> None:
    """Refuse (TooLarge) a job larger than the configured caps, saying how to narrow it."""
    if p.request.format == "html" and p.size > service.HTML_MAX_FEATURES:
        raise TooLarge(f"{p.size} features are too many for an HTML map (at most {service.HTML_MAX_FEATURES}); "
                       "narrow the filters or export GeoPackage", rows=p.size, limit=service.HTML_MAX_FEATURES)
    unit, limit = ("tiles", limits.max_tiles) if p.request.format == "pmtiles" else ("rows", limits.max_rows)
    if p.size > limit:
        hint = "lower maxzoom or narrow bbox/area" if unit == "tiles" else "narrow the filters"
        raise TooLarge(f"this export job has {p.size} {unit}, more than the {limit} an export job may have: {hint}",
                       **{unit: p.size, "limit": limit})


class JobStore:
    """Jobs under `root`: their state files, admission, cancelling and claiming."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------ state files

    def dir(self, job_id: str) -> Path:
        """The job's folder (KeyError for an id that cannot be one)."""
        if not job_id.isalnum() or len(job_id) != 32:
            raise KeyError(job_id)
        return self.root / job_id

    def get(self, job_id: str) -> dict[str, Any]:
        """The job's state; KeyError when there is none."""
        try:
            return json.loads((self.dir(job_id) / "job.json").read_text())
        except (FileNotFoundError, ValueError):
            raise KeyError(job_id) from None

    def save(self, job: dict[str, Any]) -> None:
        """Write the job's state atomically (a reader sees the old or the new file, never half of one)."""
        d = self.dir(job["id"])
        tmp = d / f".job.{os.getpid()}.{threading.get_ident()}.tmp"
        tmp.write_text(json.dumps(job, ensure_ascii=False, indent=1))
        os.replace(tmp, d / "job.json")

    def update(self, job_id: str, **changes: Any) -> dict[str, Any]:
        """Change some members of the job's state."""
        job = self.get(job_id) | changes | {"updated_at": now_text()}
        self.save(job)
        return job

    def output(self, job_id: str) -> Path | None:
        """The finished file of a done job."""
        job = self.get(job_id)
        if job["state"] != "done":
            return None
        return self.dir(job_id) / job["filename"]

    def metadata(self, job_id: str) -> Path:
        """Where the job's provenance document is (or will be)."""
        return self.dir(job_id) / "metadata.json"

    def jobs(self) -> Iterator[dict[str, Any]]:
        """Every job's state (in no particular order)."""
        for d in self.root.iterdir():
            if d.is_dir() and len(d.name) == 32:
                try:
                    yield self.get(d.name)
                except KeyError:
                    continue

    # ------------------------------------------------------------------ admission

    @contextmanager
    def _admission(self) -> Iterator[None]:
        """Serialise admissions across the web processes (so limits hold under concurrent requests)."""
        with open(self.root / ".admission", "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def create(self, conn: Any, layer: str, fmt: str, args: dict[str, str], client: str,
               limits: Limits) -> dict[str, Any]:
        """Validate, size and admit a job, then queue it for the worker; returns its state.

        Invalid or NotFound for a bad request, TooLarge above the caps, TooManyRequests when the client or
        the service has too many jobs queued or running. Nothing runs here."""
        req = service.parse(layer, fmt, args)
        p = service.plan(conn, req)  # checks what needs the database too (area codes, values' ranges)
        check_size(p, limits)
        with self._admission():
            active = [j for j in self.jobs() if j["state"] in ACTIVE]
            if len(active) >= limits.max_active:
                raise TooManyRequests(f"the service has {len(active)} export jobs queued or running (at most "
                                      f"{limits.max_active}): try again later", retry_after=RETRY_AFTER_S)
            mine = sum(1 for j in active if j.get("client") == client)
            if mine >= limits.per_client:
                raise TooManyRequests(f"you have {mine} export jobs queued or running (at most "
                                      f"{limits.per_client}): wait for one to finish or cancel it",
                                      retry_after=RETRY_AFTER_S)
            job_id = uuid.uuid4().hex
            self.dir(job_id).mkdir()
            job = {"id": job_id, "layer": layer, "format": req.format, "args": args, "state": "queued",
                   "client": client, "created_at": now_text(), "updated_at": now_text(), "started_at": None,
                   "finished_at": None, "rows_done": 0, "rows_total": p.size, "attempts": 0, "error": None,
                   "not_before": 0, "filename": req.filename(), "media_type": req.media_type, "bytes": None}
            self.save(job)
        return job

    # ------------------------------------------------------------------ cancelling and claiming

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Cancel a queued or running job (a running one stops at its next batch); Conflict when finished."""
        job = self.get(job_id)
        if job["state"] not in ACTIVE:
            raise Conflict(f"job is {job['state']}: only queued or running jobs can be cancelled",
                           state=job["state"])
        (self.dir(job_id) / "cancel").touch()
        lock = self.claim(job_id)
        if lock is None:  # the worker runs it and will see the request
            return job
        try:
            job = self.get(job_id)
            if job["state"] in ACTIVE:
                job = self.finish(job_id, "cancelled", error="cancelled by the client")
            return job
        finally:
            release(lock)

    def cancelled(self, job_id: str) -> bool:
        """Whether cancelling the job was asked for."""
        return (self.dir(job_id) / "cancel").exists()

    def claim(self, job_id: str) -> IO[str] | None:
        """The job's lock, taken without waiting (None when another process holds it)."""
        f = open(self.dir(job_id) / "lock", "a")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.close()
            return None
        return f

    def finish(self, job_id: str, state: str, **changes: Any) -> dict[str, Any]:
        """End a job (the caller holds its lock): done, failed or cancelled; the partial file of one that
        did not finish is removed."""
        if state != "done":
            self.clear(job_id)
        return self.update(job_id, state=state, finished_at=now_text(), **changes)

    def clear(self, job_id: str) -> None:
        """Remove what a run left in the job's folder (a partial file)."""
        for leftover in self.dir(job_id).iterdir():
            if leftover.name not in ("job.json", "lock", "cancel") and not leftover.name.startswith(".job."):
                if leftover.is_dir():
                    shutil.rmtree(leftover, ignore_errors=True)
                else:
                    leftover.unlink(missing_ok=True)

    def due(self) -> list[dict[str, Any]]:
        """Queued or interrupted jobs whose retry time has come, oldest first."""
        now = time.time()
        return sorted((j for j in self.jobs() if j["state"] in ACTIVE and j.get("not_before", 0) <= now),
                      key=lambda j: j["created_at"])

    def prune(self) -> int:
        """Delete jobs older than KEEP_DAYS; returns how many."""
        cutoff = time.time() - KEEP_DAYS * 86400
        n = 0
        for d in self.root.iterdir():
            if d.is_dir() and (d / "job.json").exists() and (d / "job.json").stat().st_mtime < cutoff:
                shutil.rmtree(d, ignore_errors=True)
                n += 1
        return n


def release(lock: IO[str]) -> None:
    """Give a job's lock back."""
    fcntl.flock(lock, fcntl.LOCK_UN)
    lock.close()
