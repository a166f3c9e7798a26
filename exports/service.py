"""One entry point for every export, shared by the web endpoints, the jobs and the CLI: parse a request
(layer, format, arguments), then produce the file."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core import parse as parsing
from core.errors import Invalid, TooLarge
from core.parse import MAX_ZOOM
from exports import formats as export_formats
from exports import provenance, selection, writers
from exports.selection import Selection, Source

HTML_MAX_FEATURES = 50_000  # an HTML map holds every feature in the page


@dataclass
class Request:
    """A validated export request."""

    layer_id: str
    format: str
    media_type: str
    suffix: str
    selection: Selection
    options: dict[str, Any] = field(default_factory=dict)

    def filename(self) -> str:
        """The download's file name: layer, date and suffix."""
        return f"bluemap-{self.layer_id}-{datetime.now(UTC):%Y%m%d}{self.suffix}"


def formats() -> dict[str, dict[str, Any]]:
    """Every format by name, for catalogs."""
    return export_formats.catalog()


def parse(layer_id: str, fmt_name: str, args: Mapping[str, str]) -> Request:
    """Check a layer id, a format name and the arguments; NotFound or Invalid says what is wrong."""
    selection.get_layer(layer_id)
    fmt = export_formats.get(fmt_name)
    if fmt is None:
        raise Invalid(f"unknown format {fmt_name!r}; formats: {', '.join(export_formats.FORMATS)}")
    args = {k: str(v) for k, v in args.items()}
    sel = selection.parse(layer_id, args, ignore=fmt.options)
    return Request(layer_id, fmt.name, fmt.media_type, fmt.suffix, sel, _options(fmt.name, sel, args))


def _options(name: str, sel: Selection, args: dict[str, str]) -> dict[str, Any]:
    """The format's own options (csv: bom; png: width, height; pmtiles: minzoom, maxzoom), checked."""
    options: dict[str, Any] = {}
    if name == "csv":
        options["bom"] = parsing.boolean("bom", args.get("bom", "false"))
    if name == "png":
        options["width"] = parsing.integer("width", args.get("width", "1024"), 64, 4096)
        options["height"] = parsing.integer("height", args.get("height", "768"), 64, 4096)
    if name == "pmtiles":
        options["minzoom"] = parsing.integer("minzoom", args.get("minzoom", str(sel.layer.minzoom)), 0, MAX_ZOOM)
        options["maxzoom"] = parsing.integer("maxzoom", args.get("maxzoom", str(min(sel.layer.maxzoom, 8))), 0,
                                             MAX_ZOOM)
        if options["minzoom"] > options["maxzoom"]:
            raise Invalid("minzoom must not be above maxzoom")
        if sel.polygon:
            raise Invalid("pmtiles takes bbox or area (tiles cover rectangles), not polygon")
    return options


@dataclass
class Plan:
    """A request bound to the database: its SQL, its size (rows, or tiles for PMTiles) and provenance."""

    request: Request
    source: Source
    size: int
    meta: dict[str, Any]


def plan(conn: Any, req: Request, url: str | None = None) -> Plan:
    """SQL, size and provenance of a request (one count query; PMTiles counts tiles instead)."""
    src = selection.source(conn, req.selection)
    extra: dict[str, Any] = {}
    if req.format == "pmtiles":
        from exports import pmtiles

        size = pmtiles.tile_count(conn, src, req.options["minzoom"], req.options["maxzoom"])
        extra = {"zooms": [req.options["minzoom"], req.options["maxzoom"]], "tiles_max": size}
        rows = None
    else:
        size = rows = selection.count(conn, src)
    if req.format == "html":
        extra["offline"] = _html_offline_note()
    meta = provenance.build(req.selection, req.format, rows, provenance.data_version(conn), url, extra)
    return Plan(req, src, size, meta)


def _html_offline_note() -> str:
    from exports import maps

    return ("Leaflet is embedded: the file opens offline." if maps.leaflet_assets() else
            "Leaflet is loaded from its CDN: the map needs an internet connection (install the npm `leaflet` "
            "package on the server to embed it).")


def check_size(p: Plan, max_rows: int, max_tiles: int, job: dict[str, Any]) -> None:
    """Refuse (TooLarge) what is too large to serve directly, offering `job` (method, url, body) instead."""
    req = p.request
    if req.format == "html" and p.size > HTML_MAX_FEATURES:
        raise TooLarge(f"{p.size} features are too many for an HTML map (at most {HTML_MAX_FEATURES}); "
                       "narrow the filters or export GeoPackage", rows=p.size, limit=HTML_MAX_FEATURES)
    limit = max_tiles if req.format == "pmtiles" else max_rows
    if p.size > limit:
        unit = "tiles" if req.format == "pmtiles" else "rows"
        raise TooLarge(
            f"this export has {p.size} {unit}, more than the {limit} served directly: narrow the filters, or "
            f"ask for an export job (POST the `job` body below to {job['url']})"
            ", then poll its status URL and download the file when it is done",
            **{unit: p.size, "limit": limit}, job=job)


def produce(conn: Any, p: Plan, path: Path, progress: writers.Progress = None) -> Path:
    """Write the export to `path` (CSV also writes `<path>.metadata.json`)."""
    req = p.request
    fmt = export_formats.FORMATS[req.format]
    if fmt.writer == "table":
        return writers.write(conn, p.source, fmt, path, p.meta, progress, bom=req.options.get("bom", False))
    if fmt.writer == "tiles":
        from exports import pmtiles

        return pmtiles.write(conn, p.source, path, req.options["minzoom"], req.options["maxzoom"], p.meta,
                             progress)
    if fmt.name == "png":
        from exports import map_png

        return map_png.write_png(conn, p.source, path, req.options["width"], req.options["height"], p.meta,
                                 progress)
    from exports import map_html

    return map_html.write_html(conn, p.source, path, p.meta, progress)


def metadata_json(meta: dict[str, Any]) -> str:
    """The provenance document as indented JSON text."""
    return json.dumps(meta, ensure_ascii=False, indent=2)
