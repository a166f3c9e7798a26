"""One entry point for every export, shared by the web endpoints, the jobs and the CLI: parse a request
(layer, format, arguments), then produce the file."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from exports import provenance
from exports import selection
from exports import writers
from exports.selection import Selection, SelectionError, Source

MAP_FORMATS = {
    "html": ("Standalone HTML map (Leaflet via folium) with popups, legend and attribution",
             "text/html; charset=utf-8", ".html"),
    "png": ("PNG image of a map view (layer over the province basemap, legend and attribution)", "image/png",
            ".png"),
    "pmtiles": ("PMTiles v3 archive of the layer's vector tiles over an area and zoom range",
                "application/vnd.pmtiles", ".pmtiles"),
}
# Arguments that are options of a format, not filters.
OPTIONS: dict[str, tuple[str, ...]] = {"csv": ("bom",), "png": ("width", "height"),
                                       "pmtiles": ("minzoom", "maxzoom")}


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
        return f"bluemap-{self.layer_id}-{datetime.now(UTC):%Y%m%d}{self.suffix}"


def formats() -> dict[str, dict[str, Any]]:
    """Every format by name, for catalogs."""
    out = {f.name: {"title": f.title, "media_type": f.media_type, "suffix": f.suffix, "streamed": f.streamed}
           for f in writers.FORMATS.values()}
    out |= {k: {"title": t, "media_type": m, "suffix": s, "streamed": False}
            for k, (t, m, s) in MAP_FORMATS.items()}
    return out


def _bool(name: str, raw: str) -> bool:
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise SelectionError(f"{name} must be true or false; got {raw!r}")


def _int(name: str, raw: str, lo: int, hi: int) -> int:
    try:
        v = int(raw)
    except ValueError:
        raise SelectionError(f"{name} must be an integer; got {raw!r}") from None
    if not lo <= v <= hi:
        raise SelectionError(f"{name} must be between {lo} and {hi}; got {v}")
    return v


def parse(layer_id: str, fmt_name: str, args: Mapping[str, str]) -> Request:
    """Check a layer id, a format name and the arguments; SelectionError (400/404) says what is wrong."""
    selection.get_layer(layer_id)
    fmt = writers.get_format(fmt_name)
    if fmt is None and fmt_name not in MAP_FORMATS:
        raise SelectionError(f"unknown format {fmt_name!r}; formats: {', '.join(formats())}")
    name = fmt.name if fmt else fmt_name
    opts_names = OPTIONS.get(name, ())
    args = {k: str(v) for k, v in args.items()}
    sel = selection.parse(layer_id, args, ignore=opts_names)
    options: dict[str, Any] = {}
    if name == "csv":
        options["bom"] = _bool("bom", args.get("bom", "false"))
    if name == "png":
        options["width"] = _int("width", args.get("width", "1024"), 64, 4096)
        options["height"] = _int("height", args.get("height", "768"), 64, 4096)
    if name == "pmtiles":
        from tiles.render import MAX_ZOOM

        options["minzoom"] = _int("minzoom", args.get("minzoom", str(sel.layer.minzoom)), 0, MAX_ZOOM)
        options["maxzoom"] = _int("maxzoom", args.get("maxzoom", str(min(sel.layer.maxzoom, 8))), 0, MAX_ZOOM)
        if options["minzoom"] > options["maxzoom"]:
            raise SelectionError("minzoom must not be above maxzoom")
        if sel.polygon:
            raise SelectionError("pmtiles takes bbox or area (tiles cover rectangles), not polygon")
    if fmt:
        return Request(layer_id, name, fmt.media_type, fmt.suffix, sel, options)
    _, media, suffix = MAP_FORMATS[name]
    return Request(layer_id, name, media, suffix, sel, options)


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


def produce(conn: Any, p: Plan, path: Path, progress: writers.Progress = None) -> Path:
    """Write the export to `path` (CSV also writes `<path>.metadata.json`)."""
    req = p.request
    if req.format in writers.FORMATS:
        return writers.write(conn, p.source, writers.FORMATS[req.format], path, p.meta, progress,
                             bom=req.options.get("bom", False))
    if req.format == "pmtiles":
        from exports import pmtiles

        return pmtiles.write(conn, p.source, path, req.options["minzoom"], req.options["maxzoom"], p.meta,
                             progress)
    from exports import maps

    if req.format == "png":
        return maps.write_png(conn, p.source, path, req.options["width"], req.options["height"], p.meta,
                              progress)
    if req.format == "html":
        return maps.write_html(conn, p.source, path, p.meta, progress)
    raise ValueError(req.format)


def metadata_json(meta: dict[str, Any]) -> str:
    return json.dumps(meta, ensure_ascii=False, indent=2)
