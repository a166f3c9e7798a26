"""Large loads into mostly-new tables: their secondary indexes and foreign keys dropped for the insert, and made
again in one sorted build each, the indexes after the commit on connections of their own (`deferred_indexes`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

from db.connection import same_target
from db.staging import REFRESH_DERIVED

# A load of at least REBUILD_ROWS rows into a table holding at most EXISTING_RATIO times as many drops the
# secondary indexes and foreign keys and makes them again after: one sorted build per index and one set-based
# check per foreign key beat a million index insertions and a million single-row key lookups.
REBUILD_ROWS = 100_000
EXISTING_RATIO = 1.0
# Memory for the load's sorts, hashes and index builds (transaction-local): at 4 MB they spill to disk.
WORK_MEM = "256MB"
MAINTENANCE_WORK_MEM = "512MB"
# Deferred indexes are made on this many connections at once, each with this much memory for its build.
BUILDERS = max(2, min(4, os.cpu_count() or 2))
BUILD_MEMORY = "256MB"
LOCK_WAIT = "100ms"
DERIVED = "(derived tables)"  # the job in the builders' queue that refreshes them
KEYS = {"facilities": "id, dataset_id, ext_id, company_id, area_code, geom",  # what ANALYZE looks at after
        "violations": "id, dataset_id, ext_id, facility_id"}


def tune(conn: psycopg.Connection) -> None:
    """Give the current transaction the memory of a bulk load, and no statement timeout: a national refresh on a
    busy machine may take longer than any interactive limit, and stopping it half way would only roll it back."""
    conn.execute("SET LOCAL statement_timeout = 0")
    conn.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
    conn.execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
    # An autovacuum holding a lock the load asks for (of the facilities a load just wrote) is cancelled once the
    # load has waited deadlock_timeout (1 s by default): a superuser's load waits a tenth of that.
    if conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone() == (True,):
        conn.execute(f"SET LOCAL deadlock_timeout = '{LOCK_WAIT}'")


@contextmanager
def rebuilt_indexes(conn: psycopg.Connection, table: str, rows: int, also: tuple[str, ...] = (),
                    unique: tuple[str, ...] = (), made_here: tuple[str, ...] = ()) -> Iterator[bool]:
    """For a large load into a mostly-new `table`: the non-unique indexes and the foreign keys of it and of the
    tables in `also` (filled by its triggers) dropped, and the unique constraints no key refers to of the tables in
    `unique` that are mostly new too (the load must then insert no duplicate itself: the tables are locked, and they
    are added back, so checked, in the load's transaction); the keys added again (one validating join each) and the
    table analysed in the transaction, the indexes recorded in deferred_indexes for `build_deferred` to make after
    the commit (a failed load rolls all of it back). The keys named in `made_here` hold by construction (dropping a
    key locks the table it refers to until the commit, so what the load found there stays): added NOT VALID, so
    enforced from then on, and validated after the commit beside the indexes. Yields whether it did."""
    row = conn.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", (table,)).fetchone()
    if rows < REBUILD_ROWS or (row is not None and row[0] > rows * EXISTING_RATIO):
        yield False
        return
    # Costliest first (GIN, then GiST, then B-tree, larger before smaller, an expression before a column, one
    # calling an interpreted function first), so the builders finish together; sizes tell little in a new table.
    defs = conn.execute("""SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid),
                                  (greatest(pg_relation_size(i.indexrelid), 8192)
                                   * CASE a.amname WHEN 'gin' THEN 16 WHEN 'gist' THEN 4 ELSE 1 END
                                   * CASE WHEN i.indexprs IS NULL THEN 4 ELSE 5 END
                                   * CASE WHEN EXISTS (SELECT FROM pg_depend d JOIN pg_proc p ON p.oid = d.refobjid
                                                       JOIN pg_language l ON l.oid = p.prolang
                                                       WHERE d.classid = 'pg_class'::regclass
                                                       AND d.objid = i.indexrelid AND l.lanname NOT IN
                                                       ('internal', 'c')) THEN 3 ELSE 2 END)::bigint,
                                  i.indrelid::regclass::text
                           FROM pg_index i JOIN pg_class r ON r.oid = i.indexrelid JOIN pg_am a ON a.oid = r.relam
                           WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary
                           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
                        ([table, *also],)).fetchall()
    fks = conn.execute("""SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
                          WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY conrelid, conname""",
                       ([table, *also],)).fetchall()
    uniques = conn.execute("""SELECT u.conrelid::regclass::text, u.conname, pg_get_constraintdef(u.oid)
                              FROM pg_constraint u JOIN pg_class r ON r.oid = u.conrelid
                              WHERE u.conrelid = ANY(%s::regclass[]) AND u.contype = 'u' AND r.reltuples <= %s
                              AND NOT EXISTS (SELECT 1 FROM pg_constraint f
                                              WHERE f.contype = 'f' AND f.conindid = u.conindid)""",
                           (list(unique), rows * EXISTING_RATIO)).fetchall()
    for name, _, _, _ in defs:
        conn.execute(f"DROP INDEX {name}")
    for rel, name, _ in fks:
        conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.SQL(rel), sql.Identifier(name)))
    for rel, name, _ in uniques:  # made again by one sorted build instead of a million inserts in random key order
        conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.SQL(rel), sql.Identifier(name)))
    yield True
    for rel, name, ddl in uniques:
        conn.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(sql.SQL(rel), sql.Identifier(name),
                                                                           sql.SQL(ddl)))
    with conn.cursor() as cur:
        cur.executemany("""INSERT INTO deferred_indexes (name, table_name, ddl, cost) VALUES (%s, %s, %s, %s)
                           ON CONFLICT (name) DO UPDATE SET ddl = excluded.ddl, cost = excluded.cost""",
                        [(name, rel, ddl.replace(" INDEX ", " INDEX IF NOT EXISTS ", 1), cost)
                         for name, ddl, cost, rel in defs]
                        + [(name, rel, f"ALTER TABLE {rel} VALIDATE CONSTRAINT {name}", 0)
                           for rel, name, _ in fks if name in made_here])
    for rel, name, ddl in fks:  # validated by one join over the table, not row by row
        conn.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
            sql.SQL(rel), sql.Identifier(name), sql.SQL(ddl + (" NOT VALID" if name in made_here else ""))))
    conn.execute(f"ANALYZE {table} ({KEYS[table]})")  # the columns loads join on (index expressions are dear)


def build_deferred(conn: psycopg.Connection, builders: int = BUILDERS) -> int:
    """Make the indexes in deferred_indexes, `builders` at a time on connections of their own (PostgreSQL 15
    builds a GIN index on one core; two CREATE INDEX on one table share its lock), and the derived tables a bulk
    change left stale alongside: the number of indexes made."""
    target = same_target(conn)
    with psycopg.connect(target, autocommit=True) as c:
        names = [n for (n,) in c.execute("SELECT name FROM deferred_indexes ORDER BY cost DESC, name")]
        stale = c.execute("SELECT dirty FROM facility_cells_state").fetchone()
    if stale and stale[0]:
        names.insert(min(1, len(names)), DERIVED)  # after the costliest index: both cores busy from the start
    queue, lock = list(reversed(names)), threading.Lock()
    made: list[int] = []
    failed: list[Exception] = []

    def builder() -> None:
        try:
            with psycopg.connect(target) as c:
                made.append(_build_queued(c, queue, lock))
        except Exception as exc:  # noqa: BLE001  (raised again in the caller's thread; its row stays pending)
            failed.append(exc)

    threads = [threading.Thread(target=builder) for _ in range(min(builders, len(names)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failed:
        raise failed[0]
    return sum(made)


def _build_queued(c: psycopg.Connection, queue: list[str], lock: threading.Lock) -> int:
    """Make deferred indexes taken from `queue` until it is empty, each made and its row deleted in one
    transaction; one another builder holds is skipped (it is making it). The number made."""
    c.execute("SET statement_timeout = 0")
    c.execute(f"SET maintenance_work_mem = '{BUILD_MEMORY}'")
    c.execute(f"SET work_mem = '{BUILD_MEMORY}'")  # the cells' sorts and aggregates, in memory
    made = 0
    while True:
        with lock:
            if not queue:
                return made
            name = queue.pop()
        if name == DERIVED:
            c.execute(REFRESH_DERIVED)
            c.commit()
            continue
        row = c.execute("SELECT ddl FROM deferred_indexes WHERE name = %s FOR UPDATE SKIP LOCKED",
                        (name,)).fetchone()
        if row is not None:
            c.execute(row[0])
            c.execute("DELETE FROM deferred_indexes WHERE name = %s", (name,))
            made += 1
        c.commit()
