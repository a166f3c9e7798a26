"""TileJSON, style sources and OGC collection extents come from the data, and follow it when it changes."""

from __future__ import annotations

import time

import psycopg
import pytest

from db.staging import bump_data_version
from exports.extents import PAD
from layers.factories import VISIBLE


def _extent(conn, sql):
    return conn.execute(f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e "
                        f"FROM ({sql}) q) x").fetchone()


def _close(bounds, extent):
    """The served bounds are the features' extent with a margin of PAD degrees."""
    w, s, e, n = extent
    assert bounds == pytest.approx([w - PAD, s - PAD, e + PAD, n + PAD], abs=1e-3)


def test_factories_tilejson_covers_every_facility_abroad_too(client, conn):
    bounds = client.get("/tiles/factories.json").json["bounds"]
    extent = _extent(conn, f"SELECT f.geom FROM facilities f WHERE {VISIBLE}")
    _close(bounds, extent)
    assert bounds[0] < 73 or bounds[2] > 135.5 or bounds[1] < 17  # suppliers abroad: wider than China's box
    centre = client.get("/tiles/factories.json").json["center"]
    assert bounds[0] <= centre[0] <= bounds[2]


def test_air_stations_bounds_are_where_the_stations_are(client, conn):
    bounds = client.get("/tiles/air_stations.json").json["bounds"]
    _close(bounds, _extent(conn, "SELECT geom FROM stations WHERE kind = 'air'"))
    both = client.get("/tiles/factories,air_stations.json").json["bounds"]
    fac = client.get("/tiles/factories.json").json["bounds"]
    assert both == [min(bounds[0], fac[0]), min(bounds[1], fac[1]), max(bounds[2], fac[2]), max(bounds[3], fac[3])]


def test_style_sources_and_ogc_collections_carry_the_same_extents(client):
    sources = client.get("/styles/blue-map.json").json["sources"]
    for layer in ("factories", "air_stations"):
        tilejson = client.get(f"/tiles/{layer}.json").json["bounds"]
        assert sources[layer]["bounds"] == tilejson
        ogc = client.get(f"/ogc/collections/{layer}").json["extent"]["spatial"]["bbox"][0]
        assert ogc == tilejson


@pytest.fixture()
def far_station(db_url):
    """An air station in Kashgar (far west of the bundled ones), committed and announced, removed afterwards."""
    with psycopg.connect(db_url, autocommit=True) as c:
        ds = c.execute("SELECT dataset_id FROM stations WHERE kind = 'air' LIMIT 1").fetchone()[0]
        c.execute("INSERT INTO stations (code, kind, name_en, geom, dataset_id) VALUES "
                  "('test-kashgar', 'air', 'Kashgar test', ST_SetSRID(ST_MakePoint(75.99, 39.47), 4326), %s)", (ds,))
        bump_data_version(c)
    yield
    with psycopg.connect(db_url, autocommit=True) as c:
        c.execute("DELETE FROM stations WHERE code = 'test-kashgar'")
        bump_data_version(c)


def test_extents_follow_a_data_change(client, far_station):
    for _ in range(50):  # the data version reaches the app by LISTEN/NOTIFY
        bounds = client.get("/tiles/air_stations.json").json["bounds"]
        if bounds[0] < 76:
            break
        time.sleep(0.1)
    assert bounds[0] == pytest.approx(75.99 - PAD, abs=1e-3)
    assert client.get("/styles/blue-map.json").json["sources"]["air_stations"]["bounds"] == bounds


def test_a_layer_without_its_default_data_keeps_its_declared_bounds(db_url):
    """A database without the default carbon series (only loaded files) still gets extents for every layer."""
    from exports.extents import layer_extent
    from layers.carbon import DEFAULT_SERIES
    from layers.registry import LAYERS

    carbon = next(la for la in LAYERS if la.id == "carbon")
    with psycopg.connect(db_url) as conn:
        conn.execute("DELETE FROM area_carbon WHERE dataset_id = %s", (DEFAULT_SERIES["province"],))
        assert layer_extent(conn, carbon) == carbon.bounds
        factories = next(la for la in LAYERS if la.id == "factories")
        assert layer_extent(conn, factories) != factories.bounds
        conn.rollback()
