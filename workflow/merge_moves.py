"""Moving every row that refers to a duplicate facility onto the surviving one, in the caller's transaction.

The referring columns are found in the catalog, not listed by hand: every single-column foreign key to
facilities(id), plus every bigint column named `facility_id` / `*_facility_id` without one (the alerts outbox,
the online-monitoring readings keyed through permit limits). A row whose move would collide with a unique key
the survivor already holds (a brand link on the same list, a PRTR disclosure of the same year, a reading of the
same hour) is not moved: it is dropped and kept, whole, in the merge's snapshot, so that nothing is lost. A
brand link dropped that way first lends the survivor's link its visibility (public wins, active wins).
"""

from __future__ import annotations

from collections import defaultdict

import psycopg
from psycopg import sql

SKIP = ("facility_merges", "facility_redirects", "facility_aliases")  # the merge's own bookkeeping

COLUMNS = """
SELECT DISTINCT n.nspname, cl.relname, a.attname
FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace
JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE cl.relkind IN ('r', 'p') AND NOT cl.relispartition AND NOT cl.relname = ANY(%(skip)s) AND (
      EXISTS (SELECT 1 FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = cl.oid AND c.conparentid = 0
              AND c.confrelid = 'facilities'::regclass AND c.conkey = ARRAY[a.attnum])
   OR (n.nspname = current_schema() AND a.attname ~ '(^|_)facility_id$' AND a.atttypid = 'bigint'::regtype
       AND cl.relname <> 'facilities'))
ORDER BY 1, 2, 3"""

# Tables whose (facility, ...) key other tables refer to by a composite foreign key (permit limits <- readings).
PARENTS = """
SELECT DISTINCT c.conrelid::regclass::text FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = ANY(c.confkey)
WHERE c.contype = 'f' AND c.conparentid = 0 AND c.confrelid = to_regclass(%s) AND a.attname = %s
  AND c.conrelid <> c.confrelid"""

UNIQUE_KEYS = """
SELECT array_agg(a.attname::text ORDER BY k.ord) FROM pg_index i
CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.ord <= i.indnkeyatts
WHERE i.indrelid = to_regclass(%s) AND i.indisunique AND i.indpred IS NULL AND NOT 0 = ANY(i.indkey::int2[])
GROUP BY i.indexrelid"""

# The visibility a dropped twin lends the survivor's row before it goes.
LEND = {"brand_facility_links": "is_public = s.is_public OR d.is_public, active = s.active OR d.active"}


def referring_columns(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    """(schema, table, column) of every column that refers to a facility."""
    return [tuple(r) for r in conn.execute(COLUMNS, {"skip": list(SKIP)}).fetchall()]  # type: ignore[misc]


def _qualified(schema: str, table: str) -> str:
    return f'"{schema}"."{table}"'


def _twin(keys: list[list[str]], col: str) -> sql.Composable | None:
    """The condition that a duplicate row `d` has a twin `s` under the survivor, by any unique key with `col`."""
    ors = []
    for key in keys:
        if col not in key:
            continue
        same = [sql.SQL("s.{c} = d.{c}").format(c=sql.Identifier(k)) for k in key if k != col]
        ors.append(sql.SQL(" AND ").join([sql.SQL("true"), *same]))
    if not ors:
        return None
    return sql.SQL("({})").format(sql.SQL(" OR ").join(sql.SQL("({})").format(o) for o in ors))


class Mover:
    """Moves the rows of one duplicate onto one survivor; counts what moved and keeps what was dropped."""

    def __init__(self, conn: psycopg.Connection, duplicate: int, survivor: int) -> None:
        """Bind the pair; nothing is read yet."""
        self.conn, self.dup, self.sur = conn, duplicate, survivor
        self.moved: dict[str, int] = {}
        self.dropped: dict[str, list] = defaultdict(list)

    def run(self) -> None:
        """Move every referring column: composite-key parents first copied, then the rest, then parents cleared."""
        columns = referring_columns(self.conn)
        by_table: dict[tuple[str, str], list[str]] = defaultdict(list)
        for schema, table, col in columns:
            by_table[(schema, table)].append(col)
        parents = [(s, t, c) for s, t, c in columns
                   if self.conn.execute(PARENTS, (_qualified(s, t), c)).fetchone() is not None]
        for s, t, c in parents:
            self._copy_parent(s, t, c)
        for (s, t), cols in by_table.items():
            if len(cols) > 1:
                self._drop_self_links(s, t, cols)
            for c in cols:
                if (s, t, c) not in parents:
                    self._move(s, t, c)
        for s, t, c in parents:
            self._clear_parent(s, t, c)

    def _keys(self, schema: str, table: str) -> list[list[str]]:
        return [r[0] for r in self.conn.execute(UNIQUE_KEYS, (_qualified(schema, table),)).fetchall()]

    def _drop(self, name: str, query: sql.Composed, params: dict) -> None:
        rows = [r[0] for r in self.conn.execute(query, params).fetchall()]
        self.dropped[name].extend(rows)

    def _move(self, schema: str, table: str, col: str) -> None:
        """Drop (keeping them) the rows whose twin the survivor holds, then re-point the others."""
        tab, ident = sql.Identifier(schema, table), sql.Identifier(col)
        params = {"dup": self.dup, "sur": self.sur}
        twin = _twin(self._keys(schema, table), col)
        if twin is not None:
            if table in LEND:
                self.conn.execute(sql.SQL("UPDATE {t} s SET " + LEND[table] + " FROM {t} d WHERE s.{c} = %(sur)s "
                                          "AND d.{c} = %(dup)s AND {twin}").format(t=tab, c=ident, twin=twin), params)
            self._drop(f"{table}.{col}", sql.SQL(
                "DELETE FROM {t} d WHERE d.{c} = %(dup)s AND EXISTS (SELECT 1 FROM {t} s WHERE s.{c} = %(sur)s "
                "AND {twin}) RETURNING to_jsonb(d)").format(t=tab, c=ident, twin=twin), params)
        cur = self.conn.execute(sql.SQL("UPDATE {t} SET {c} = %(sur)s WHERE {c} = %(dup)s").format(t=tab, c=ident),
                                params)
        if cur.rowcount:
            self.moved[f"{table}.{col}"] = cur.rowcount

    def _drop_self_links(self, schema: str, table: str, cols: list[str]) -> None:
        """Rows joining the duplicate to the survivor (a supplier edge between the two) would join it to itself."""
        tab = sql.Identifier(schema, table)
        pairs = [sql.SQL("({a} = %(dup)s AND {b} = %(sur)s)").format(a=sql.Identifier(a), b=sql.Identifier(b))
                 for a in cols for b in cols if a != b]
        self._drop(f"{table}.self", sql.SQL("DELETE FROM {t} d WHERE {w} RETURNING to_jsonb(d)").format(
            t=tab, w=sql.SQL(" OR ").join(pairs)), {"dup": self.dup, "sur": self.sur})

    def _copy_parent(self, schema: str, table: str, col: str) -> None:
        """Keep the duplicate's keyed rows the survivor already has a twin of; copy the others onto the survivor."""
        tab, ident = sql.Identifier(schema, table), sql.Identifier(col)
        params = {"dup": self.dup, "sur": self.sur}
        twin = _twin(self._keys(schema, table), col)
        if twin is not None:
            self._drop(f"{table}.{col}", sql.SQL("SELECT to_jsonb(d) FROM {t} d WHERE d.{c} = %(dup)s AND EXISTS "
                                                 "(SELECT 1 FROM {t} s WHERE s.{c} = %(sur)s AND {twin})").format(
                t=tab, c=ident, twin=twin), params)
        cur = self.conn.execute(sql.SQL(
            "INSERT INTO {t} SELECT (jsonb_populate_record(NULL::{t}, to_jsonb(d) || jsonb_build_object({n}, "
            "%(sur)s::bigint))).* FROM {t} d WHERE d.{c} = %(dup)s ON CONFLICT DO NOTHING").format(
            t=tab, c=ident, n=sql.Literal(col)), params)
        if cur.rowcount:
            self.moved[f"{table}.{col}"] = cur.rowcount

    def _clear_parent(self, schema: str, table: str, col: str) -> None:
        """Delete the duplicate's keyed rows, now copied (or kept in the snapshot), once no child refers to them."""
        self.conn.execute(sql.SQL("DELETE FROM {t} WHERE {c} = %s").format(
            t=sql.Identifier(schema, table), c=sql.Identifier(col)), (self.dup,))
