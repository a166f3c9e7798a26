"""The match names of a large facilities file, computed on a connection of its own while the load goes on.

`facilities.match_zh`/`match_en` are `list_match_name` of the names (migration 0029), 12 s of one backend at 1.2M
rows. A bulk load sends the staged names here as it stages them; a thread COPYs them into an unlogged table and
then computes the match names into another (a parallel plan may use both cores), while the load's own backend
makes the companies. The load's insert joins that table on the file's line (rows it lacks, such as those the
per-row checks staged, get the function's value in the insert). The tables are named after the load's backend
(`bulk_match_names_<pid>_<random>`), dropped at the end, and dropped by the next load when that backend is gone.
"""

from __future__ import annotations

import io
import queue
import secrets
import threading

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg import sql

from db.connection import same_target

PREFIX = "bulk_match_names_"
# Files from this size on (bytes) are worth a connection of their own: about 100,000 facilities.
MIN_BYTES = 10_000_000


class MatchNames:
    """Names in (`add`, a block at a time), then `table()`: the name of the table of (line, match_zh, match_en),
    or None when the thread failed (the insert then computes every name itself)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.target = same_target(conn)
        self.pid = conn.info.backend_pid
        self.names = f"{PREFIX}{self.pid}_{secrets.token_hex(4)}"
        self.matches = self.names + "_m"
        self.blocks: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()  # unbounded: staging never waits
        self.error: Exception | None = None
        self.ended = False  # the last block was queued
        self.thread = threading.Thread(target=self._run, name="match-names", daemon=True)
        self.thread.start()

    def add(self, names: pa.Table) -> None:
        """Queue a block's (line, name_zh, name_en)."""
        buf = io.BytesIO()
        pacsv.write_csv(names, buf, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
        self.blocks.put(buf.getvalue())

    def table(self) -> str | None:
        """Wait for the match names; the table holding them, or None."""
        self.close()
        return None if self.error else self.matches

    def end(self) -> None:
        """No more names: the thread makes the match names now (while the load makes the companies)."""
        if not self.ended:
            self.ended = True
            self.blocks.put(None)

    def close(self) -> None:
        """End the thread (its tables stay)."""
        self.end()
        self.thread.join()

    def drop(self) -> None:
        """Drop both tables, once the load's transaction has ended (the load's insert reads one of them)."""
        self.close()
        with psycopg.connect(self.target, autocommit=True) as c:
            c.execute(sql.SQL("DROP TABLE IF EXISTS {}, {}").format(sql.Identifier(self.names),
                                                                   sql.Identifier(self.matches)))

    def _run(self) -> None:
        names, matches = sql.Identifier(self.names), sql.Identifier(self.matches)
        ended = False  # the load's last block came
        try:
            with psycopg.connect(self.target, autocommit=True) as c:
                _drop_orphans(c, self.pid)
                c.execute(sql.SQL("CREATE UNLOGGED TABLE {} (line int, name_zh text, name_en text)").format(names))
                with c.cursor().copy(sql.SQL("COPY {} FROM STDIN (FORMAT csv)").format(names)) as copy:
                    while (block := self.blocks.get()) is not None:
                        copy.write(block)
                    ended = True
                c.execute(sql.SQL("""CREATE UNLOGGED TABLE {} AS SELECT line, list_match_name(name_zh) AS match_zh,
                                                                   list_match_name(name_en) AS match_en FROM {}""")
                          .format(matches, names))
                c.execute(sql.SQL("ANALYZE {}").format(matches))
        except Exception as exc:  # noqa: BLE001  (the insert then computes the names itself)
            self.error = exc
            while not ended and self.blocks.get() is not None:  # what the load still sends, until its end
                pass


def _drop_orphans(c: psycopg.Connection, pid: int) -> None:
    """Drop the tables of loads whose backend is gone, or is `pid` (the load's: it runs one load at a time), left by
    a load stopped before its end."""
    alive = {r[0] for r in c.execute("SELECT pid FROM pg_stat_activity")} - {pid}
    for (name,) in c.execute("SELECT relname FROM pg_class WHERE relkind = 'r' AND starts_with(relname, %s)",
                             (PREFIX,)).fetchall():
        owner = name[len(PREFIX):].split("_", 1)[0]
        if owner.isdigit() and int(owner) not in alive:
            c.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
