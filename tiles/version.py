"""The data version a process believes current: kept up to date by LISTEN/NOTIFY on a primary, by polling a replica."""

from __future__ import annotations

import os
import threading
import time

import psycopg
from psycopg import pq


def read_version(conn: psycopg.Connection) -> int:
    """The data version in this connection's snapshot (REPEATABLE READ when a transaction starts here).

    Read in the same transaction as a tile's rows, it names the version those rows belong to, on a primary or
    on a replica that has not replayed the newest change yet.
    """
    if conn.info.transaction_status == pq.TransactionStatus.IDLE and not conn.autocommit:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    row = conn.execute("SELECT version FROM data_version").fetchone()
    return int(row[0]) if row else 0


class DataVersion:
    """Reads data_version once, then listens; falls back to polling when the listener connection drops.

    A hot standby cannot LISTEN, so with `listen=False` (replicas) the value is read again when it is older
    than `poll_s` seconds.
    """

    def __init__(self, dsn: str, listen: bool = True, poll_s: float = 1.0) -> None:
        self.dsn = dsn
        self.listen = listen
        self.poll_s = poll_s
        self._value: int | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def current(self) -> int:
        """The current data version (starting the listener in this process on first use)."""
        if not self.listen:
            return self._polled()
        if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                    self._value = self._read()
                    self._pid = os.getpid()
                    self._thread = threading.Thread(target=self._listen, daemon=True, name="data-version")
                    self._thread.start()
        assert self._value is not None
        return self._value

    def _polled(self) -> int:
        if self._value is None or time.monotonic() - self._read_at > self.poll_s or self._pid != os.getpid():
            with self._lock:
                self._value = self._read()
                self._read_at = time.monotonic()
                self._pid = os.getpid()
        return self._value

    def _read(self) -> int:
        with psycopg.connect(self.dsn, autocommit=True, connect_timeout=3) as conn:
            row = conn.execute("SELECT version FROM data_version").fetchone()
            return int(row[0]) if row else 0

    def _listen(self) -> None:
        while True:
            try:
                with psycopg.connect(self.dsn, autocommit=True) as conn:
                    conn.execute("LISTEN bluemap_data")
                    self._value = self._read()  # nothing missed between the first read and LISTEN
                    for note in conn.notifies():
                        self._value = max(self._value or 0, int(note.payload))
            except Exception:  # noqa: BLE001 - reconnect after any failure
                time.sleep(1.0)
                try:
                    self._value = self._read()
                except Exception:  # noqa: BLE001
                    pass
