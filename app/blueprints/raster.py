"""The PM2.5 surface: PNG raster tiles, the GeoTIFF download and its legend."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, current_app, jsonify, request, send_file

from app import db
from app.extensions import tile_service
from core import parse
from monitoring.surfaces import When, available, parse_when, surface
from standards import aqi
from tiles.raster import pm25_classes, render_png

bp = Blueprint("raster", __name__, url_prefix="/raster")


def _surface() -> tuple[When, object]:
    """The time asked for (?time= or ?date=, default the latest hour) and its surface file."""
    settings = current_app.config["SETTINGS"]
    with db.conn() as c:
        when = parse_when(request.args.get("time"), request.args.get("date"), c,
                          date.fromisoformat(settings.aqi_cutover))
        path = surface(c, settings.var_dir / "surfaces", when, tile_service().version.current())
    return when, path


@bp.get("/pm25/<z>/<x>/<y>.png")
def tile(z: str, x: str, y: str):
    """A 256 px PNG tile of the surface for ?time= or ?date= (default: the latest hour); transparent off it."""
    zi, xi, yi = parse.tile_address(z, x, y)
    when, path = _surface()
    png = render_png(path, zi, xi, yi, when.version)  # type: ignore[arg-type]
    return Response(png, mimetype="image/png", headers={"Cache-Control": "public, max-age=3600"})


@bp.get("/pm25.tif")
def geotiff():
    """The surface as a Cloud-Optimised GeoTIFF (EPSG:3857, µg/m3, nodata -9999)."""
    when, path = _surface()
    return send_file(path, mimetype="image/tiff", as_attachment=True, download_name=f"pm25-{when.key}.tif")


@bp.get("/pm25.json")
def legend():
    """Legend, method and time range of the surface."""
    when, _ = _surface()
    with db.conn() as c:
        lo, hi = available(c)
    return jsonify({
        "quantity": "PM2.5", "unit": "µg/m3", "time": when.label,
        "method": "Inverse distance weighting (power 2) of station values, up to 25 km beyond the outermost station",
        "scale": f"{aqi.scale_name(when.version)}, PM2.5 24-hour IAQI breakpoints",
        "classes": [{"low": lo_, "high": hi_, "colour": c_, "name_zh": zh, "name_en": en}
                    for lo_, hi_, c_, zh, en in pm25_classes(when.version)],
        "available": {"from": lo.isoformat() if lo else None, "to": hi.isoformat() if hi else None},
        "tiles": request.url_root.rstrip("/") + "/raster/pm25/{z}/{x}/{y}.png",
    })
