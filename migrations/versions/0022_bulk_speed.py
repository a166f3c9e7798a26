"""Bulk speed, for the database side of large loads.

- Facilities pages keep half their room free, so the summary columns a violations load then writes (violation
  count, worst status, latest record) are heap-only updates that touch none of the table's fifteen indexes
  (0002 left 30 % free: room for about half of a page's rows).
- The cluster cells' full rebuild (at the data-version bump after a statement changed more than 50,000
  facilities) empties the cells with TRUNCATE instead of DELETE: each zoom's cells were inserted among the index
  entries of the deleted rows (the same keys), which cost as much again. Tiles reading the cells wait for the
  rebuilding transaction's end (a bulk load already holds the facilities table) instead of reading the old cells.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

# As 0009 left it (for the downgrade).
REFRESH_0009 = r"""
CREATE OR REPLACE FUNCTION refresh_facility_cells(force boolean DEFAULT false) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    r constant double precision := 20037508.342789244;  -- half the web-mercator world, metres
    top smallint;
BEGIN
    SELECT maxzoom INTO top FROM facility_cells_state WHERE force OR dirty FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    DELETE FROM facility_cells;  -- (not TRUNCATE: tiles being rendered keep reading the old cells meanwhile)
    -- Each zoom's cells are written in tile order, so a tile's cells sit on few table pages.
    INSERT INTO facility_cells
    SELECT * FROM (
        SELECT top AS z, least(greatest(floor((p.x + r) / c.size), 0), c.n - 1)::int AS cx,
               least(greatest(floor((r - p.y) / c.size), 0), c.n - 1)::int AS cy,
               p.worst_status, p.key_monitored, count(*), sum(p.violation_count), sum(p.x), sum(p.y), sum(p.id)
        FROM (SELECT id, worst_status, key_monitored, violation_count, ST_X(m) AS x, ST_Y(m) AS y
              FROM facilities, LATERAL ST_Transform(geom, 3857) AS m WHERE facilities.private_to_brand IS NULL) p,
             (SELECT 2 * r / (2 ^ (top + 4)) AS size, (2 ^ (top + 4))::bigint AS n) c
        GROUP BY 2, 3, 4, 5) g
    ORDER BY g.cx / 16, g.cy / 16;
    FOR zoom IN REVERSE top - 1 .. 0 LOOP
        INSERT INTO facility_cells
        SELECT * FROM (
            SELECT zoom AS z, cx / 2 AS cx, cy / 2 AS cy, status, key_monitored, sum(n), sum(violations), sum(sx),
                   sum(sy), sum(id_sum)
            FROM facility_cells WHERE z = zoom + 1
            GROUP BY 2, 3, 4, 5) g
        ORDER BY g.cx / 16, g.cy / 16;
    END LOOP;
    UPDATE facility_cells_state SET dirty = false, built_at = now();
    ANALYZE facility_cells;
    RETURN true;
END $$;
"""

# As 0009's, but emptying the cells with TRUNCATE: inserting each zoom's cells among the deleted rows' index entries
# (same keys) cost as much again as the inserts themselves.
REFRESH = REFRESH_0009.replace(
    "DELETE FROM facility_cells;  -- (not TRUNCATE: tiles being rendered keep reading the old cells meanwhile)",
    "TRUNCATE facility_cells;  -- (tiles reading cells wait for this transaction: a bulk load's end)")


def upgrade() -> None:
    """Half-full facilities pages from now on (existing pages keep theirs until rewritten); cells truncated."""
    op.execute("ALTER TABLE facilities SET (fillfactor = 50)")
    op.execute(REFRESH)


def downgrade() -> None:
    """Back to the fill factor of 0002 and the cell rebuild of 0009."""
    op.execute(REFRESH_0009)
    op.execute("ALTER TABLE facilities SET (fillfactor = 70)")
