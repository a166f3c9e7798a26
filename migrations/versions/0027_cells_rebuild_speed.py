"""The full rebuild of the factories' cluster cells fills them without indexes, and without JIT.

After a bulk load the cells are rebuilt from scratch (1.2 M facilities give 1.25 M cells over twelve zooms).
Inserting them through the primary key and the tile index cost more than building both once at the end, and
compiling the rebuild's statements (JIT) more than it saved: 9.9 s became 8.0 s. The rebuild already holds the
table alone (TRUNCATE), so dropping the indexes changes nothing for readers, who wait for its commit as before.

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-30
"""

from alembic import op
from sqlalchemy import text

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

FUNCTION = "refresh_facility_cells(boolean)"
# (as 0022 left the function, the new function) text pairs
CHANGES = [
    ("    TRUNCATE facility_cells;  -- (tiles reading cells wait for this transaction: a bulk load's end)",
     "    TRUNCATE facility_cells;  -- (tiles reading cells wait for this transaction: a bulk load's end)\n"
     "    ALTER TABLE facility_cells DROP CONSTRAINT facility_cells_pkey;  -- made again once, at the end\n"
     "    DROP INDEX facility_cells_tile_idx;"),
    ("    UPDATE facility_cells_state SET dirty = false",
     "    ALTER TABLE facility_cells ADD CONSTRAINT facility_cells_pkey"
     " PRIMARY KEY (z, cx, cy, status, key_monitored);\n"
     "    CREATE INDEX facility_cells_tile_idx ON facility_cells (z, (cx / 16), (cy / 16));\n"
     "    UPDATE facility_cells_state SET dirty = false"),
]


def _rewrite(forward: bool) -> None:
    """The function's stored definition with CHANGES applied (or undone), each exactly once."""
    conn = op.get_bind()
    ddl = conn.execute(text(f"SELECT pg_get_functiondef('{FUNCTION}'::regprocedure)")).scalar_one()
    for old, new in CHANGES:
        a, b = (old, new) if forward else (new, old)
        if ddl.count(a) != 1:
            raise RuntimeError(f"{FUNCTION} is not as expected: {a.strip()!r} found {ddl.count(a)} times")
        ddl = ddl.replace(a, b)
    op.execute(text(ddl).execution_options(no_parameters=True))  # (a plpgsql body, not a template)


def upgrade() -> None:
    """Rebuild without indexes (made at the end), with JIT off."""
    _rewrite(True)
    op.execute(f"ALTER FUNCTION {FUNCTION} SET jit = off")


def downgrade() -> None:
    """The rebuild of 0022."""
    op.execute(f"ALTER FUNCTION {FUNCTION} RESET jit")
    _rewrite(False)
