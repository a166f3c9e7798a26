"""Admin areas a test needs: the loaded rows where the bundled data has them, squares made for the test otherwise."""

from __future__ import annotations

from contextlib import contextmanager

import psycopg

from db.staging import bump_data_version

HANGZHOU_XIAOSHAN = [("330100", "prefecture", "330000", "杭州市", "Hangzhou", (119.0, 29.2, 120.8, 30.6)),
                     ("330109", "county", "330100", "萧山区", "Xiaoshan", (120.1, 29.9, 120.6, 30.4))]


@contextmanager
def areas_present(db_url: str, rows):
    """Make each (code, level, parent, zh, en, box) area exist for the block; remove those it made afterwards."""
    made = []
    with psycopg.connect(db_url, autocommit=True) as c:
        province = rows[0][0][:2] + "0000"
        ds = c.execute("SELECT dataset_id FROM admin_areas WHERE code = %s", (province,)).fetchone()[0]
        for code, level, parent, zh, en, b in rows:
            if c.execute("SELECT 1 FROM admin_areas WHERE code = %s", (code,)).fetchone():
                continue
            c.execute("INSERT INTO admin_areas (code, level, parent_code, name_zh, name_en, geom, label_point, "
                      "dataset_id) VALUES (%s, %s, %s, %s, %s, ST_Multi(ST_MakeEnvelope(%s, %s, %s, %s, 4326)), "
                      "ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s)",
                      (code, level, parent, zh, en, *b, (b[0] + b[2]) / 2, (b[1] + b[3]) / 2, ds))
            made.append(code)
        bump_data_version(c)
    try:
        yield
    finally:
        with psycopg.connect(db_url, autocommit=True) as c:
            for code in reversed(made):
                c.execute("DELETE FROM admin_areas WHERE code = %s", (code,))
            bump_data_version(c)
