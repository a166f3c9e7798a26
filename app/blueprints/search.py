"""Company and facility search (names, USCCs, legacy ids) and what lies around a point."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from app import db
from core import parse
from geo import datum
from queries import near as around
from queries import search as finder

bp = Blueprint("search", __name__, url_prefix="/api")
MAX_QUERY = 200


@bp.get("/search")
def search():
    """Facilities by USCC (or legacy registration number / organisation code), else by name substring."""
    q = parse.text("q", request.args.get("q"), MAX_QUERY)
    limit = parse.integer("limit", request.args.get("limit"), 1, 100, default=20)
    with db.conn() as c:
        body = finder.search(c, q, limit)
    return jsonify(body)


@bp.get("/near")
def near():
    """Facilities within a radius of a point, the nearest air and water stations, and the local bureau."""
    lon = parse.number("lon", request.args.get("lon"))
    lat = parse.number("lat", request.args.get("lat"))
    crs = parse.choice("crs", (request.args.get("crs") or "").strip().lower(), datum.DATUMS, default="wgs84")
    radius = parse.integer("radius_m", request.args.get("radius_m"))
    limit = parse.integer("limit", request.args.get("limit"), 1, 1000, default=500)
    s = current_app.config["SETTINGS"]
    within = {"air": round(s.near_air_km * 1000), "water": round(s.near_water_km * 1000)}
    with db.conn() as c:
        body = around.near(c, lon, lat, crs, radius, limit, within)
    return jsonify(body)
