"""BLUEMAP_BASEMAP_URL in the style builder: the embedded basemap sources give way to one external source."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from layers import styles

SPEC = Path(__file__).resolve().parents[2] / "node_modules/@maplibre/maplibre-gl-style-spec"
VALIDATOR = SPEC / "dist/gl-style-validate.cjs"


def _validate(style: dict, tmp_path: Path) -> None:
    path = tmp_path / "style.json"
    path.write_text(json.dumps(style))
    node = shutil.which("node")
    assert node and VALIDATOR.exists(), "make test installs node_modules (npm ci)"
    res = subprocess.run([node, str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("name", sorted(styles.STYLES))
@pytest.mark.parametrize(("url", "source_url"), [
    ("https://maps.example.org/cn/basemap.pmtiles", "pmtiles://https://maps.example.org/cn/basemap.pmtiles"),
    ("https://maps.example.org/basemap.json?key=1", "https://maps.example.org/basemap.json?key=1"),
])
def test_external_basemap_replaces_the_embedded_sources(name, url, source_url, tmp_path):
    embedded = styles.build(name, "http://svc.test/", {}, version=7)
    style = styles.with_basemap(embedded, url)
    _validate(style, tmp_path)
    assert "streets" not in style["sources"]
    assert style["sources"]["basemap"] == {"type": "vector", "url": source_url,
                                           "attribution": style["sources"]["basemap"]["attribution"]}
    assert "OpenStreetMap" in style["sources"]["basemap"]["attribution"]
    context = [la for la in style["layers"] if la.get("source-layer") in ("basemap", "streets")]
    assert len(context) == len([la for la in embedded["layers"] if la.get("source") in ("basemap", "streets")])
    assert context and all(la["source"] == "basemap" for la in context)
    assert all(la.get("minzoom", 0) >= 10 for la in context if la["source-layer"] == "streets")
    others = [la for la in style["layers"] if la.get("source") not in (None, "basemap")]
    assert others and all("/tiles/" in style["sources"][la["source"]]["tiles"][0] for la in others)
    assert style["metadata"]["bluemap:basemap"] == url


def test_archive_copies_leave_the_external_basemap_alone(tmp_path):
    style = styles.with_archive(styles.with_basemap(styles.build("blue-map", "http://svc.test/", {}, version=7),
                                                    "https://maps.example.org/b.pmtiles"),
                                "http://svc.test/pmtiles/low.pmtiles", 5)
    _validate(style, tmp_path)
    ids = [la["id"] for la in style["layers"]]
    assert "factories-clusters@published" in ids and not [i for i in ids if i.startswith("basemap-") and "@" in i]


def test_archive_copies_skip_filtered_sources(tmp_path):
    style = styles.with_archive(styles.build("blue-map", "http://svc.test/", {"industry": "steel"}, version=7),
                                "http://svc.test/pmtiles/low.pmtiles", 5)
    _validate(style, tmp_path)
    ids = [la["id"] for la in style["layers"]]
    assert "factories-clusters@published" not in ids and "air-stations@published" in ids
    copy = next(la for la in style["layers"] if la["id"] == "air-stations@published")
    assert copy["metadata"]["bluemap:source"] == "air_stations" and copy["maxzoom"] == 6
