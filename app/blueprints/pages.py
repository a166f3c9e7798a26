"""The web pages: the Blue Map, near me, facility and station pages, the carbon map, sources, search."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, redirect, request, send_from_directory, url_for

from app import auth, db
from app.render import page
from data.catalog import DATASETS
from ingest.emissions import POLLUTANTS
from layers.registry import LAYERS
from queries import facilities, stations, stats
from workflow import merges

bp = Blueprint("pages", __name__)
NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
# The only front-end files served from node_modules (installed by `npm ci` from package-lock.json).
VENDOR = {
    "maplibre-gl.js": "maplibre-gl/dist/maplibre-gl.js",
    "maplibre-gl.css": "maplibre-gl/dist/maplibre-gl.css",
    "pmtiles.js": "pmtiles/dist/pmtiles.js",  # MapLibre's pmtiles:// protocol (registered in js/mapcommon.js)
    "uplot.js": "uplot/dist/uPlot.iife.min.js",
    "uplot.css": "uplot/dist/uPlot.min.css",
}


@bp.get("/vendor/<name>")
def vendor(name: str):
    """A front-end library file from node_modules (allow-listed)."""
    if name not in VENDOR:
        abort(404)
    rel = Path(VENDOR[name])
    return send_from_directory(NODE_MODULES / rel.parent, rel.name, max_age=86400)


@bp.get("/")
def blue_map():
    """The Blue Map: factories, air and water stations, suppliers; layer switcher and legends."""
    layers = [{"id": la.id, "legend": [list(x) for x in la.legend]} for la in LAYERS
              if la.id in ("factories", "air_stations", "water_stations", "suppliers", "reports")]
    return page("map.html", client={"layers": layers})


@bp.get("/near")
def near():
    """Pollution near me: a point from geolocation, a click or a place name; radius 1 to 10 km."""
    return page("near.html")


@bp.get("/facilities/<int:facility_id>")
def facility(facility_id: int):
    """A facility's records, disclosures, monitoring summary, source and licence."""
    with db.conn() as c:
        body = facilities.load(c, facility_id, auth.manages, viewer=auth.current_user())
        nearest = facilities.nearest_air_station(c, facility_id) if body is not None else None
        merged_into = merges.redirect_target(c, facility_id) if body is None else None
    if merged_into is not None:  # merged into another facility (workflow.merges): its id answers for it now
        return redirect(url_for("pages.facility", facility_id=merged_into), 308)
    if body is None:
        return page("not_found.html", 404, what=f"facility {facility_id}")
    return page("facility.html", f=body, nearest=nearest, pollutants=POLLUTANTS,
                client={"facility": {"id": body["id"], "lon": body["lon"], "lat": body["lat"]}})


@bp.get("/stations/<int:station_id>")
def station(station_id: int):
    """A station's hourly and daily AQI and pollutants over a chosen range, with a table and CSV."""
    with db.conn() as c:
        st = stations.page(c, station_id)
    if st is None:
        return page("not_found.html", 404, what=f"station {station_id}")
    return page("station.html", s=st, dataset=DATASETS.get(st["dataset_id"]), client={"station": st})


@bp.get("/carbon")
def carbon():
    """The Blue Carbon Map: choropleth by year and metric, ranking and trend."""
    layer = LAYERS.get("carbon")
    return page("carbon.html", client={"legend": [list(x) for x in layer.legend]})


@bp.get("/sources")
def sources():
    """Every data set with its licence and attribution, and what is synthetic."""
    with db.conn() as c:
        loaded = stats.loaded(c)
    rows = [{"ds": ds, "loaded_at": loaded[ds.id]["loaded_at"], "facilities": loaded[ds.id]["facilities"]}
            for ds in DATASETS.values() if ds.id in loaded]
    return page("sources.html", rows=rows)


@bp.get("/search")
def search():
    """Search results for ?q= (rendered by the page script from /api/search)."""
    return page("search.html", q=request.args.get("q", ""))
