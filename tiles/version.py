"""The data version a process believes current, kept up to date by LISTEN/NOTIFY on 'bluemap_data'."""

from __future__ import annotations

import threading
import time

import psycopg


class DataVersion:
    """Reads data_version once, then listens; falls back to polling when the listener connection drops."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._value: int | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def current(self) -> int:
        """The current data version (starting the listener in this process on first use)."""
        import os

        if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                    self._value = self._read()
                    self._pid = os.getpid()
                    self._thread = threading.Thread(target=self._listen, daemon=True, name="data-version")
                    self._thread.start()
        assert self._value is not None
        return self._value

    def _read(self) -> int:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
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
