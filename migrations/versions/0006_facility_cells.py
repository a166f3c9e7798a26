"""Pre-aggregated cluster cells of the factories layer, rebuilt with each data version.

A low-zoom factories tile groups facilities into cells of 1/16 tile. Reading every facility of a z3 tile
(a million rows) for that takes seconds, so the cells of zooms 0..11 are kept here, keyed by the columns
the tile filters can select on (worst status, key-monitored). Cell (cx, cy) at zoom z is the 1/16 tile
cell counted from the top-left of the web-mercator world, so cells nest (a z cell is four z+1 cells) and
every facility lies in exactly one cell per zoom.

Any statement touching facilities marks the cells dirty; the data-version bump that ends every load
rebuilds them in the same transaction; tiles use the live query while they are dirty.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE facility_cells (
    z             smallint NOT NULL,
    cx            int NOT NULL,
    cy            int NOT NULL,
    status        text NOT NULL,
    key_monitored boolean NOT NULL,
    n             int NOT NULL,
    violations    bigint NOT NULL,
    sx            double precision NOT NULL,  -- sums of EPSG:3857 coordinates: the cluster sits at their mean
    sy            double precision NOT NULL,
    min_id        bigint NOT NULL,
    PRIMARY KEY (z, cx, cy, status, key_monitored)
);
-- A tile reads the cells of one (z, tile x, tile y): 16 x 16 cells per tile.
CREATE INDEX facility_cells_tile_idx ON facility_cells (z, (cx / 16), (cy / 16));
CREATE TABLE facility_cells_state (
    one     boolean PRIMARY KEY DEFAULT true CHECK (one),
    dirty   boolean NOT NULL,
    maxzoom smallint NOT NULL,
    built_at timestamptz
);
INSERT INTO facility_cells_state (dirty, maxzoom) VALUES (true, 11);

CREATE FUNCTION mark_facility_cells_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE facility_cells_state SET dirty = true WHERE NOT dirty;
    RETURN NULL;
END $$;
CREATE TRIGGER facilities_cells_dirty AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON facilities
    FOR EACH STATEMENT EXECUTE FUNCTION mark_facility_cells_dirty();

CREATE FUNCTION refresh_facility_cells(force boolean DEFAULT false) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    r constant double precision := 20037508.342789244;  -- half the web-mercator world, metres
    top smallint;
BEGIN
    SELECT maxzoom INTO top FROM facility_cells_state WHERE force OR dirty FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    DELETE FROM facility_cells;
    -- Each zoom's cells are written in tile order, so a tile's cells sit on few table pages.
    INSERT INTO facility_cells
    SELECT * FROM (
        SELECT top AS z, least(greatest(floor((p.x + r) / c.size), 0), c.n - 1)::int AS cx,
               least(greatest(floor((r - p.y) / c.size), 0), c.n - 1)::int AS cy,
               p.worst_status, p.key_monitored, count(*), sum(p.violation_count), sum(p.x), sum(p.y), min(p.id)
        FROM (SELECT id, worst_status, key_monitored, violation_count, ST_X(m) AS x, ST_Y(m) AS y
              FROM facilities, LATERAL ST_Transform(geom, 3857) AS m) p,
             (SELECT 2 * r / (2 ^ (top + 4)) AS size, (2 ^ (top + 4))::bigint AS n) c
        GROUP BY 2, 3, 4, 5) g
    ORDER BY g.cx / 16, g.cy / 16;
    FOR zoom IN REVERSE top - 1 .. 0 LOOP
        INSERT INTO facility_cells
        SELECT * FROM (
            SELECT zoom AS z, cx / 2 AS cx, cy / 2 AS cy, status, key_monitored, sum(n), sum(violations), sum(sx),
                   sum(sy), min(min_id)
            FROM facility_cells WHERE z = zoom + 1
            GROUP BY 2, 3, 4, 5) g
        ORDER BY g.cx / 16, g.cy / 16;
    END LOOP;
    UPDATE facility_cells_state SET dirty = false, built_at = now();
    ANALYZE facility_cells;
    RETURN true;
END $$;
SELECT refresh_facility_cells(true);
"""

DOWNGRADE = """
DROP TRIGGER facilities_cells_dirty ON facilities;
DROP FUNCTION refresh_facility_cells(boolean);
DROP FUNCTION mark_facility_cells_dirty();
DROP TABLE facility_cells_state;
DROP TABLE facility_cells;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
