"""Big supplier lists matched in the background: queue an upload, run it in the worker, report its progress.

A list of more than `inline_rows` rows is not matched in the web request: the upload (file and options) is
queued, `bluemap worker` picks it up with `FOR UPDATE SKIP LOCKED` and runs the same `supply.lists.upload`
in one transaction that also marks the queue row done, so the list version and "done" commit together. A
worker that dies rolls both back and the upload is taken again (up to MAX_ATTEMPTS). Progress, attempts and
cancel requests live in a side table written on a second connection, because the running upload holds the
queue row's lock until it commits.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import psycopg
from psycopg.rows import dict_row

from core.errors import Conflict, DomainError, NotFound
from supply.rows import ListError

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
ConnFactory = Callable[[], AbstractContextManager[Any]]


class Cancelled(Exception):
    """The brand cancelled the upload while it ran."""


def enqueue(conn: psycopg.Connection, brand_id: int, user_id: int | None, data: bytes, file_name: str,
            name: str | None, options: dict, rows_total: int) -> int:
    """Queue an upload (the caller commits); its id."""
    row = conn.execute("""INSERT INTO supplier_list_uploads (brand_id, user_id, file_name, name, options, content,
                          rows_total) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id""",
                       (brand_id, user_id, file_name[:200], name, json.dumps(options), data, rows_total)).fetchone()
    conn.execute("INSERT INTO supplier_list_progress (upload_id, stage) VALUES (%s, 'queued')", (row[0],))
    return row[0]


def status(conn: psycopg.Connection, brand_id: int, upload_id: int) -> dict:
    """An upload's state and progress; NotFound unless it is this brand's."""
    with conn.cursor(row_factory=dict_row) as cur:
        found = cur.execute("""SELECT u.id, u.file_name, u.name, u.rows_total, u.list_id, u.error, u.created_at,
                                      u.finished_at, p.rows_done, p.attempts, p.cancel, p.updated_at,
                                      CASE WHEN u.state = 'queued' AND p.stage <> 'queued' THEN 'running'
                                           ELSE u.state END AS state, p.stage
                               FROM supplier_list_uploads u JOIN supplier_list_progress p ON p.upload_id = u.id
                               WHERE u.id = %s AND u.brand_id = %s""", (upload_id, brand_id)).fetchone()
    if found is None:
        raise NotFound(f"no upload {upload_id} of this brand")
    return found


def cancel(conn: psycopg.Connection, brand_id: int, upload_id: int) -> dict:
    """Ask for an upload to stop (a queued one ends at once, a running one at its next batch)."""
    st = status(conn, brand_id, upload_id)
    if st["state"] in ("done", "failed", "cancelled"):
        raise Conflict(f"the upload has already ended ({st['state']})")
    conn.execute("UPDATE supplier_list_progress SET cancel = true, updated_at = now() WHERE upload_id = %s",
                 (upload_id,))
    return status(conn, brand_id, upload_id)


class _Progress:
    """Writes the running upload's stage and rows done on its own autocommit connection, at most twice a
    second, and raises Cancelled when the brand asked to stop."""

    def __init__(self, conn: psycopg.Connection, upload_id: int) -> None:
        self.conn, self.upload_id, self.done, self.last = conn, upload_id, 0, 0.0

    def stage(self, name: str) -> None:
        """Enter a stage (reading, matching, storing)."""
        self._write(name)

    def __call__(self, n: int) -> None:
        self.done += n
        if time.monotonic() - self.last > 0.5:
            self._write(None)

    def _write(self, stage: str | None) -> None:
        self.last = time.monotonic()
        row = self.conn.execute("""UPDATE supplier_list_progress SET stage = coalesce(%s, stage), rows_done = %s,
                                   updated_at = now() WHERE upload_id = %s RETURNING cancel""",
                                (stage, self.done, self.upload_id)).fetchone()
        if row and row[0]:
            raise Cancelled()


def run_next(connect: ConnFactory, upload: Callable[..., Any]) -> int | None:
    """Run the oldest queued upload with `upload` (supply.lists.upload); its id, or None when none waits."""
    with connect() as work, connect() as side:
        side.autocommit = True
        job = work.execute("""SELECT u.id, u.brand_id, u.user_id, u.file_name, u.name, u.options, u.content,
                                     p.attempts, p.cancel
                              FROM supplier_list_uploads u JOIN supplier_list_progress p ON p.upload_id = u.id
                              WHERE u.state = 'queued' ORDER BY u.created_at, u.id
                              LIMIT 1 FOR UPDATE OF u SKIP LOCKED""").fetchone()
        if job is None:
            return None
        upload_id, brand_id, user_id, file_name, name, options, content, attempts, cancelled = job
        if cancelled or attempts >= MAX_ATTEMPTS:
            why = None if cancelled else f"gave up after {attempts} attempts (the worker stopped while matching)"
            _end(work, upload_id, "cancelled" if cancelled else "failed", why)
            return upload_id
        side.execute("UPDATE supplier_list_progress SET attempts = attempts + 1, rows_done = 0 WHERE upload_id = %s",
                     (upload_id,))
        progress = _Progress(side, upload_id)
        try:
            progress.stage("matching")
            result = upload(work, brand_id, bytes(content), file_name, user_id=user_id, name=name,
                            progress=progress, **options)
            progress.stage("done")
        except Cancelled:
            work.rollback()
            _end(work, upload_id, "cancelled", None)
            return upload_id
        except (DomainError, ListError) as exc:
            work.rollback()
            _end(work, upload_id, "failed", str(exc))
            return upload_id
        work.execute("UPDATE supplier_list_uploads SET state = 'done', list_id = %s, finished_at = now(), "
                     "content = ''::bytea WHERE id = %s", (result.list_id, upload_id))
        work.commit()
        log.info("supplier list upload %s matched: list %s version %s", upload_id, result.list_id, result.version)
        return upload_id


def _end(conn: psycopg.Connection, upload_id: int, state: str, error: str | None) -> None:
    """Record how an upload ended without a list version (the file is dropped: it will not run again)."""
    conn.execute("""UPDATE supplier_list_uploads SET state = %s, error = %s, finished_at = now(), content = ''::bytea
                    WHERE id = %s""", (state, error, upload_id))
    conn.execute("UPDATE supplier_list_progress SET stage = %s, updated_at = now() WHERE upload_id = %s",
                 (state, upload_id))
    conn.commit()
