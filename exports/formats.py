"""The one registry of export formats: name, title, media type, suffix, options and who writes it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Format:
    """An export format: its URL name, media type, file suffix and whether it streams from the first byte.

    `writer` says which module produces it: "table" (exports.writers: streamed text or GDAL), "tiles"
    (exports.pmtiles) or "map" (exports.map_png, exports.map_html); `options` are the arguments it takes
    besides the selection's filters.
    """

    name: str
    title: str
    media_type: str
    suffix: str
    streamed: bool
    driver: str | None = None
    writer: str = "table"
    options: tuple[str, ...] = ()


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("geojson", "GeoJSON (RFC 7946), provenance in its `metadata` member", "application/geo+json",
           ".geojson", True),
    Format("csv", "CSV, UTF-8, lon/lat and WKT columns; provenance in a sidecar (Link header)",
           "text/csv; charset=utf-8", ".csv", True, options=("bom",)),
    Format("gpkg", "GeoPackage, provenance in gpkg_metadata and a `bluemap_metadata` table",
           "application/geopackage+sqlite3", ".gpkg", False, "GPKG"),
    Format("shp", "Shapefile zip (.shp .shx .dbf .prj .cpg) with metadata.json", "application/zip",
           ".shp.zip", False, "ESRI Shapefile"),
    Format("kml", "KML 2.2, provenance in the Document's description and ExtendedData",
           "application/vnd.google-earth.kml+xml", ".kml", False, "KML"),
    Format("fgb", "FlatGeobuf with a spatial index, provenance in its header metadata",
           "application/flatgeobuf", ".fgb", False, "FlatGeobuf"),
    Format("html", "Standalone HTML map (Leaflet via folium) with popups, legend and attribution",
           "text/html; charset=utf-8", ".html", False, writer="map"),
    Format("png", "PNG image of a map view (layer over the province basemap, legend and attribution)",
           "image/png", ".png", False, writer="map", options=("width", "height")),
    Format("pmtiles", "PMTiles v3 archive of the layer's vector tiles over an area and zoom range",
           "application/vnd.pmtiles", ".pmtiles", False, writer="tiles", options=("minzoom", "maxzoom")),
)}
ALIASES = {"json": "geojson", "shp.zip": "shp", "zip": "shp", "flatgeobuf": "fgb", "geopackage": "gpkg"}


def get(name: str) -> Format | None:
    """A format by name or alias."""
    return FORMATS.get(ALIASES.get(name, name))


def catalog() -> dict[str, dict[str, Any]]:
    """Every format by name, for catalogs."""
    return {f.name: {"title": f.title, "media_type": f.media_type, "suffix": f.suffix, "streamed": f.streamed}
            for f in FORMATS.values()}
