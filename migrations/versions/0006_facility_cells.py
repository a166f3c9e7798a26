"""Pre-aggregated cluster cells of the factories layer, rebuilt with each data version.

A low-zoom factories tile groups facilities into cells of 1/16 tile. Reading every facility of a z3 tile
(a million rows) for that takes seconds, so the cells of zooms 0..11 are kept here, keyed by the columns
the tile filters can select on (worst status, key-monitored). Cell (cx, cy) at zoom z is the 1/16 tile
cell counted from the top-left of the web-mercator world, so cells nest (a z cell is four z+1 cells) and
every facility lies in exactly one cell per zoom.

A statement that changes up to 50,000 facilities (their place, worst status, key-monitored flag or violation
count) updates the cells it touches in its own transaction: the old rows' sums are taken away and the new
rows' added, so a violation record or a new facility costs milliseconds at any scale. A larger statement, or
a TRUNCATE, marks the cells dirty instead: the data-version bump that ends every load rebuilds them in the
same transaction, and tiles use the live aggregate while they are dirty.

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
    id_sum        bigint NOT NULL,  -- sum of the facility ids: the facility's id when n = 1
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
CREATE TRIGGER facilities_cells_truncate AFTER TRUNCATE ON facilities
    FOR EACH STATEMENT EXECUTE FUNCTION mark_facility_cells_dirty();

-- Adds each changed row's share (sign +1 for new rows, -1 for old ones, from the staged delta) to the cells
-- of every cluster zoom. Cells left empty keep a row with n = 0, which tiles skip and a rebuild drops.
CREATE FUNCTION apply_facility_cells_delta() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r constant double precision := 20037508.342789244;
    top smallint;
BEGIN
    SELECT maxzoom INTO top FROM facility_cells_state;
    INSERT INTO facility_cells AS c (z, cx, cy, status, key_monitored, n, violations, sx, sy, id_sum)
    SELECT zz.z, least(greatest(floor((d.x + r) / (2 * r / 2 ^ (zz.z + 4))), 0), 2 ^ (zz.z + 4) - 1)::int,
           least(greatest(floor((r - d.y) / (2 * r / 2 ^ (zz.z + 4))), 0), 2 ^ (zz.z + 4) - 1)::int,
           d.worst_status, d.key_monitored, sum(d.sign), sum(d.sign * d.violation_count), sum(d.sign * d.x),
           sum(d.sign * d.y), sum(d.sign * d.id)
    FROM facility_cells_delta d CROSS JOIN generate_series(0, top) AS zz(z)
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(d.sign) <> 0 OR sum(d.sign * d.violation_count) <> 0 OR sum(d.sign * d.id) <> 0
        OR abs(sum(d.sign * d.x)) > 1e-6 OR abs(sum(d.sign * d.y)) > 1e-6
    ORDER BY 1, 2, 3, 4, 5  -- rows locked in one order: concurrent writers cannot deadlock here
    ON CONFLICT (z, cx, cy, status, key_monitored) DO UPDATE
        SET n = c.n + EXCLUDED.n, violations = c.violations + EXCLUDED.violations, sx = c.sx + EXCLUDED.sx,
            sy = c.sy + EXCLUDED.sy, id_sum = c.id_sum + EXCLUDED.id_sum;
END $$;

CREATE FUNCTION facility_cells_on_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed bigint;
BEGIN
    IF (SELECT dirty FROM facility_cells_state) THEN
        RETURN NULL;  -- a rebuild is due anyway
    END IF;
    IF TG_OP = 'DELETE' THEN
        SELECT count(*) INTO changed FROM old_rows;
    ELSE
        SELECT count(*) INTO changed FROM new_rows;
    END IF;
    IF changed > 50000 THEN  -- a bulk load: one rebuild at its end is cheaper
        UPDATE facility_cells_state SET dirty = true WHERE NOT dirty;
        RETURN NULL;
    END IF;
    IF to_regclass('pg_temp.facility_cells_delta') IS NULL THEN
        CREATE TEMP TABLE facility_cells_delta (
            sign int, id bigint, worst_status text, key_monitored boolean, violation_count int,
            x double precision, y double precision) ON COMMIT DELETE ROWS;
    ELSE
        TRUNCATE facility_cells_delta;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO facility_cells_delta
        SELECT 1, id, worst_status, key_monitored, violation_count, ST_X(m), ST_Y(m)
        FROM new_rows, LATERAL ST_Transform(geom, 3857) AS m;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        INSERT INTO facility_cells_delta
        SELECT -1, id, worst_status, key_monitored, violation_count, ST_X(m), ST_Y(m)
        FROM old_rows, LATERAL ST_Transform(geom, 3857) AS m;
    END IF;
    PERFORM apply_facility_cells_delta();
    RETURN NULL;
END $$;
CREATE TRIGGER facilities_cells_insert AFTER INSERT ON facilities
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION facility_cells_on_change();
CREATE TRIGGER facilities_cells_update AFTER UPDATE ON facilities
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION facility_cells_on_change();
CREATE TRIGGER facilities_cells_delete AFTER DELETE ON facilities
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION facility_cells_on_change();

CREATE FUNCTION refresh_facility_cells(force boolean DEFAULT false) RETURNS boolean LANGUAGE plpgsql AS $$
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
              FROM facilities, LATERAL ST_Transform(geom, 3857) AS m) p,
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
SELECT refresh_facility_cells(true);
"""

DOWNGRADE = """
DROP TRIGGER facilities_cells_truncate ON facilities;
DROP TRIGGER facilities_cells_insert ON facilities;
DROP TRIGGER facilities_cells_update ON facilities;
DROP TRIGGER facilities_cells_delete ON facilities;
DROP FUNCTION facility_cells_on_change();
DROP FUNCTION apply_facility_cells_delta();
DROP FUNCTION refresh_facility_cells(boolean);
DROP FUNCTION mark_facility_cells_dirty();
DROP TABLE facility_cells_state;
DROP TABLE facility_cells;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
