"""SQL fragments shared by the layers' feature SQL and the read queries, each written once."""

from __future__ import annotations

from psycopg import sql

# Violation statuses from worst to best; a facility's worst status is the first any of its records has.
WORST_FIRST = ("open", "explained", "rectified", "none")


def in_envelope(column: str) -> sql.Composable:
    """`column && envelope`: the GiST-index filter on the 4326 envelope %(w)s, %(s)s, %(e)s, %(n)s."""
    return sql.SQL("{} && ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326)").format(
        sql.Identifier(*column.split(".")))


def worst_status(status: str = "v.status") -> str:
    """Aggregate: the worst of the `status` values of a group of violation records ('none' when it has none)."""
    ranked = WORST_FIRST[:-1]
    cases = " ".join(f"WHEN '{s}' THEN {len(ranked) - i}" for i, s in enumerate(ranked))
    names = ", ".join(f"'{s}'" for s in reversed(WORST_FIRST))
    return f"(ARRAY[{names}])[1 + coalesce(max(CASE {status} {cases} END), 0)]"


def attr_flag(name: str, row: str = "f") -> str:
    """A boolean flag kept in the `attrs` of a facility row (false when absent)."""
    return f"coalesce(({row}.attrs->>'{name}')::boolean, false)"


# Values shown with a facility whose synthetic flags live apart from the facility's own.
COMPANY_SYNTHETIC = "coalesce(c.synthetic, false)"
USCC_SYNTHETIC = attr_flag("uscc_synthetic")
RECORDS_SYNTHETIC = "(f.violation_count > 0 AND f.violations_synthetic)"


def facility_synthetic(*shown: str) -> str:
    """A facility's (alias f) synthetic flag: its own, its Chinese name's, or any of the `shown` values' flags."""
    return "(" + " OR ".join(("f.synthetic", attr_flag("name_zh_synthetic"), *shown)) + ")"
