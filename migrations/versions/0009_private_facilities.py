"""Facilities made from private supplier-list rows are seen only by the brand that listed them.

`facilities.private_to_brand` names that brand while the facility is known only from its private rows; the
public surfaces (factory tiles and their cluster cells, exports, OGC, search, near, the facility page and
API) leave such a facility out. It is cleared once the facility is linked publicly.

The cluster cells of migration 0006 count visible facilities only: the trigger function and the rebuild
are replaced with versions that skip hidden rows (clearing the column adds the facility to its cells).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _cell_functions(visible: str) -> str:
    """The trigger function and the rebuild of migration 0006, counting only the rows `visible` allows."""
    new_rows, old_rows, table = (f"WHERE {visible.format(t)}" if visible else "" for t in
                                 ("new_rows", "old_rows", "facilities"))
    return f"""
CREATE OR REPLACE FUNCTION facility_cells_on_change() RETURNS trigger LANGUAGE plpgsql AS $$
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
        FROM new_rows, LATERAL ST_Transform(geom, 3857) AS m {new_rows};
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        INSERT INTO facility_cells_delta
        SELECT -1, id, worst_status, key_monitored, violation_count, ST_X(m), ST_Y(m)
        FROM old_rows, LATERAL ST_Transform(geom, 3857) AS m {old_rows};
    END IF;
    PERFORM apply_facility_cells_delta();
    RETURN NULL;
END $$;

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
              FROM facilities, LATERAL ST_Transform(geom, 3857) AS m {table}) p,
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


UPGRADE = """
ALTER TABLE facilities ADD COLUMN private_to_brand bigint REFERENCES brands(id);
-- Facilities already made from one brand's private rows alone, and linked publicly by no one, become its own.
UPDATE facilities f SET private_to_brand = p.brand_id
FROM (SELECT r.facility_id, min(l.brand_id) AS brand_id
      FROM supplier_list_rows r JOIN supplier_lists l ON l.id = r.list_id
      WHERE r.facility_id IS NOT NULL AND r.outcome IN ('linked', 'new_facility')
      GROUP BY r.facility_id
      HAVING count(DISTINCT l.brand_id) = 1 AND NOT bool_or(r.is_public)) p
WHERE f.id = p.facility_id AND f.dataset_id = 'upload:supplier-lists'
  AND NOT EXISTS (SELECT 1 FROM brand_facility_links k WHERE k.facility_id = f.id AND k.is_public);
""" + _cell_functions("{}.private_to_brand IS NULL") + """
SELECT refresh_facility_cells(true);
"""

DOWNGRADE = _cell_functions("") + """
ALTER TABLE facilities DROP COLUMN private_to_brand;
SELECT refresh_facility_cells(true);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
