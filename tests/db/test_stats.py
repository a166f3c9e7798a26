"""/api/stats counts private supply-chain links only for administrators."""

from __future__ import annotations

import psycopg
import pytest

from tests.supply_helpers import login, make_brand, make_user

pytestmark = pytest.mark.db


@pytest.fixture()
def private_link(db_url):
    bid, _ = make_brand(db_url, "statspriv")
    with psycopg.connect(db_url) as c:
        c.execute("""INSERT INTO datasets (id, title, licence, attribution, synthetic)
                     VALUES ('test-stats', 'stats test', 'CC0', 'test', true) ON CONFLICT DO NOTHING""")
        list_id = c.execute("""INSERT INTO supplier_lists (brand_id, name, dataset_id)
                               VALUES (%s, 'private', 'test-stats') RETURNING id""", (bid,)).fetchone()[0]
        fid = c.execute("SELECT min(id) FROM facilities").fetchone()[0]
        c.execute("""INSERT INTO brand_facility_links (brand_id, facility_id, list_id, tier, is_public, dataset_id)
                     VALUES (%s, %s, %s, 'raw_materials', false, 'test-stats')""", (bid, fid, list_id))
    yield
    with psycopg.connect(db_url) as c:
        c.execute("DELETE FROM brand_facility_links WHERE dataset_id = 'test-stats'")
        c.execute("DELETE FROM supplier_lists WHERE dataset_id = 'test-stats'")


def test_anonymous_stats_count_public_links_only(app, db_url, private_link):
    anonymous = app.test_client().get("/api/stats").json["tables"]["brand_facility_links"]
    admin = app.test_client()
    assert login(admin, make_user(db_url, "admin")).status_code == 302
    everything = admin.get("/api/stats").json["tables"]["brand_facility_links"]
    with psycopg.connect(db_url) as c:
        public, total = c.execute("SELECT count(*) FILTER (WHERE is_public), count(*) "
                                  "FROM brand_facility_links").fetchone()
    assert anonymous["total"] == public and everything["total"] == total and total > public
    assert "test-stats" not in anonymous["by_dataset"]
