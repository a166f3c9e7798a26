"""The web pages: the Blue Map, near me, facility and station pages, the carbon map, sources, search."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, render_template, request, send_from_directory, url_for

from app import db, i18n
from app.blueprints import facilities
from data.catalog import DATASETS
from ingest.emissions import POLLUTANTS
from standards.industries import INDUSTRIES
from layers.factories import STATUS_COLOURS
from layers.registry import LAYERS

bp = Blueprint("pages", __name__)
NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
# The only front-end files served from node_modules (installed by `npm ci` from package-lock.json).
VENDOR = {
    "maplibre-gl.js": "maplibre-gl/dist/maplibre-gl.js",
    "maplibre-gl.css": "maplibre-gl/dist/maplibre-gl.css",
    "uplot.js": "uplot/dist/uPlot.iife.min.js",
    "uplot.css": "uplot/dist/uPlot.min.css",
}


def _switch_url(lang: str) -> str:
    """This page in the other language."""
    args = request.args.to_dict() | {"lang": "en" if lang == "zh" else "zh"}
    return url_for(request.endpoint or "pages.blue_map", **(request.view_args or {}), **args)


def page(template: str, status: int = 200, **context) -> Response:
    """Render a page in the request's language; remember an explicit ?lang= in a cookie."""
    lang = i18n.current_lang()
    t = i18n.texts(lang)
    client = {"lang": lang, "t": t, "status_colours": STATUS_COLOURS,
              "industries": {k: v[0] if lang == "zh" else v[1] for k, v in INDUSTRIES.items()},
              **context.pop("client", {})}
    html = render_template(template, lang=lang, t=t, client=client, switch_url=_switch_url(lang),
                           industries=client["industries"], **context)
    resp = Response(html, status=status, mimetype="text/html")
    if request.args.get("lang") in i18n.LANGS:
        resp.set_cookie("lang", request.args["lang"], max_age=365 * 86400, samesite="Lax")
    return resp


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
              if la.id in ("factories", "air_stations", "water_stations", "suppliers")]
    return page("map.html", client={"layers": layers})


@bp.get("/near")
def near():
    """Pollution near me: a point from geolocation, a click or a place name; radius 1 to 10 km."""
    return page("near.html")


@bp.get("/facilities/<int:facility_id>")
def facility(facility_id: int):
    """A facility's records, disclosures, monitoring summary, source and licence."""
    with db.conn() as c:
        body = facilities.load(c, facility_id)
        nearest = None
        if body is not None:
            nearest = c.execute("""
                SELECT s.id, s.name_zh, s.name_en,
                       round(ST_Distance(s.geom::geography, f.geom::geography)::numeric / 1000, 1)::float8
                FROM facilities f, stations s WHERE f.id = %s AND s.kind = 'air'
                ORDER BY s.geom <-> f.geom LIMIT 1""", (facility_id,)).fetchone()
    if body is None:
        return page("not_found.html", 404, what=f"facility {facility_id}")
    return page("facility.html", f=body, nearest=nearest, pollutants=POLLUTANTS,
                client={"facility": {"id": body["id"], "lon": body["lon"], "lat": body["lat"]}})


@bp.get("/stations/<int:station_id>")
def station(station_id: int):
    """A station's hourly and daily AQI and pollutants over a chosen range, with a table and CSV."""
    with db.conn() as c:
        row = c.execute("""
            SELECT id, code, kind, name_zh, name_en, ST_X(geom), ST_Y(geom), synthetic, coords_approximate,
                   dataset_id FROM stations WHERE id = %s""", (station_id,)).fetchone()
        span = None
        if row is not None and row[2] == "air":
            span = c.execute("SELECT min(observed_at), max(observed_at) FROM air_readings WHERE station_id = %s",
                             (station_id,)).fetchone()
        elif row is not None:
            span = c.execute("SELECT min(observed_at), max(observed_at) FROM water_readings WHERE station_id = %s",
                             (station_id,)).fetchone()
    if row is None:
        return page("not_found.html", 404, what=f"station {station_id}")
    keys = ("id", "code", "kind", "name_zh", "name_en", "lon", "lat", "synthetic", "coords_approximate",
            "dataset_id")
    st = dict(zip(keys, row, strict=True))
    st["first"] = span[0].isoformat() if span and span[0] else None
    st["last"] = span[1].isoformat() if span and span[1] else None
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
        loaded = {r[0]: (r[1], r[2]) for r in c.execute(
            "SELECT d.id, d.loaded_at, (SELECT count(*) FROM facilities f WHERE f.dataset_id = d.id) "
            "FROM datasets d")}
    rows = [{"ds": ds, "loaded_at": loaded.get(ds.id, (None, 0))[0], "facilities": loaded.get(ds.id, (None, 0))[1]}
            for ds in DATASETS.values() if ds.id in loaded]
    return page("sources.html", rows=rows)


@bp.get("/search")
def search():
    """Search results for ?q= (rendered by the page script from /api/search)."""
    return page("search.html", q=request.args.get("q", ""))
