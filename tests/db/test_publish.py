"""`bluemap tiles publish`: the low zooms of the public layers as one PMTiles archive, and styles that use it."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys

import mapbox_vector_tile
import mercantile
import pytest
from pmtiles.reader import MmapSource, Reader, all_tiles
from pmtiles.tile import Compression, TileType

from layers.registry import LAYERS
from tiles.render import render_many

pytestmark = pytest.mark.db
SOME = ("basemap", "water_stations", "factories", "air_stations")  # (without --layers: every layer)


def run(settings, *args):
    env = {**os.environ, "DATABASE_URL": settings.database_url, "BLUEMAP_VAR_DIR": str(settings.var_dir)}
    return subprocess.run([sys.executable, "-m", "ops.cli", *args], capture_output=True, text=True, env=env,
                          timeout=600)


def _features(tile: bytes) -> dict[str, list[str]]:
    """Each layer's features (properties and geometry), in a stable order: the tile's content, not its bytes."""
    return {name: sorted(json.dumps([f["properties"], f["geometry"]], sort_keys=True) for f in layer["features"])
            for name, layer in mapbox_vector_tile.decode(tile).items()}


def test_publish_writes_the_map_tiles_of_one_version(settings, tmp_path, conn):
    out = tmp_path / "low.pmtiles"
    res = run(settings, "tiles", "publish", "--maxzoom", "4", "--layers", ",".join(SOME), "-o", str(out))
    assert res.returncode == 0, res.stderr
    version = conn.execute("SELECT version FROM data_version").fetchone()[0]
    with open(out, "rb") as f:
        reader = Reader(MmapSource(f))
        header, meta = reader.header(), reader.metadata()
        assert header["tile_type"] == TileType.MVT and header["tile_compression"] == Compression.GZIP
        assert header["min_zoom"] == 0 and header["max_zoom"] == 4
        assert meta["bluemap:data_version"] == version
        assert [v["id"] for v in meta["vector_layers"]] == list(SOME)
        assert "CC BY 4.0" in meta["attribution"]
        lon, lat = conn.execute("SELECT ST_X(geom), ST_Y(geom) FROM facilities ORDER BY id LIMIT 1").fetchone()
        t = mercantile.tile(lon, lat, 4)
        stored = gzip.decompress(reader.get(t.z, t.x, t.y))
        shown = [la for la in (LAYERS.get(i) for i in SOME) if la.minzoom <= 4 <= la.maxzoom]
        live = render_many(conn, shown, 4, t.x, t.y, {la.id: la.parse_filters({}) for la in shown})
        assert _features(stored) == _features(live) and _features(stored)["factories"]
        zooms = {z for (z, _, _), _ in all_tiles(MmapSource(f))}
        assert zooms == {0, 1, 2, 3, 4}
    assert f"data version {version}" in res.stdout and not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize(("args", "reason"), [
    (["--maxzoom", "11"], "maxzoom must be between 0 and 10"),
    (["--layers", "nope"], "unknown layer 'nope'"),
])
def test_publish_refuses_bad_input_and_writes_nothing(settings, tmp_path, args, reason):
    out = tmp_path / "x.pmtiles"
    res = run(settings, "tiles", "publish", *args, "-o", str(out))
    assert res.returncode != 0 and reason in res.stderr and not out.exists()


def test_styles_read_the_low_zooms_from_the_archive(settings):
    from app import create_app

    app = create_app(settings.model_copy(update={"pmtiles_url": "https://cdn.example.org/bluemap.pmtiles",
                                                 "pmtiles_maxzoom": 5}))
    try:
        style = app.test_client().get("/styles/blue-map.json").get_json()
    finally:
        app.extensions["pool"].close()
    assert style["sources"]["published"]["url"] == "pmtiles://https://cdn.example.org/bluemap.pmtiles"
    archived = [la for la in style["layers"] if la.get("source") == "published"]
    live = [la for la in style["layers"] if la.get("source") == "factories"]
    assert archived and all(la["maxzoom"] <= 6 for la in archived)
    assert live and all(la["minzoom"] >= 6 for la in live)
    assert len({la["id"] for la in style["layers"]}) == len(style["layers"])
