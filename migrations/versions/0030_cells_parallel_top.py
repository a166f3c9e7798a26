"""The cell rebuild aggregates the finest zoom with CREATE TABLE AS, which may use a parallel plan.

The finest zoom is the one costly step of the rebuild (every facility transformed to web mercator and grouped:
4.8 s of 8.7 s at 1.2 M facilities); an INSERT ... SELECT is always planned without parallel workers, a
CREATE TABLE AS may have them. The cells are then written from that temporary table in tile order, as before,
and the coarser zooms are made from the finest as before.

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-30
"""

from alembic import op
from sqlalchemy import text

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

FUNCTION = "refresh_facility_cells(boolean)"
# (as 0027 left the function, the new function) text pairs
CHANGES = [
    ("    -- Each zoom's cells are written in tile order, so a tile's cells sit on few table pages.\n"
     "    INSERT INTO facility_cells\n"
     "    SELECT * FROM (\n"
     "        SELECT top AS z,",
     "    -- Each zoom's cells are written in tile order, so a tile's cells sit on few table pages. The finest zoom\n"
     "    -- is grouped first by CREATE TABLE AS, which may use parallel workers (an INSERT's SELECT may not).\n"
     "    DROP TABLE IF EXISTS pg_temp.facility_cells_top;\n"
     "    CREATE TEMP TABLE facility_cells_top ON COMMIT DROP AS\n"
     "        SELECT top AS z,"),
    ("count(*), sum(p.violation_count), sum(p.x), sum(p.y), sum(p.id)\n",
     "count(*) AS n, sum(p.violation_count) AS violations,\n"
     "               sum(p.x) AS sx, sum(p.y) AS sy, sum(p.id) AS id_sum\n"),
    ("        GROUP BY 2, 3, 4, 5) g\n"
     "    ORDER BY g.cx / 16, g.cy / 16;\n"
     "    FOR zoom",
     "        GROUP BY 2, 3, 4, 5;\n"
     "    INSERT INTO facility_cells SELECT * FROM facility_cells_top g ORDER BY g.cx / 16, g.cy / 16;\n"
     "    DROP TABLE facility_cells_top;\n"
     "    FOR zoom"),
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
    """The finest zoom grouped by CREATE TABLE AS."""
    _rewrite(True)


def downgrade() -> None:
    """The rebuild of 0027."""
    _rewrite(False)
