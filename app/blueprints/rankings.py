"""Brand rankings (CITI-like, SCTI-like): ranking pages with methodology, per-brand breakdown and history, CSV, JSON."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from app import auth, db
from app.render import page
from core import parse
from indices import brands as bi
from indices.methodology import latest

bp = Blueprint("rankings", __name__)


def _args(c) -> tuple[str, int | None, str]:
    index_id = parse.choice("index", request.args.get("index"), bi.INDICES, default="citi")
    known = bi.years(c, index_id)
    year = parse.integer("year", request.args.get("year"), lo=1990, hi=2100, default=known[0] if known else None)
    sort = parse.choice("sort", request.args.get("sort"), bi.SORTS, default="rank")
    return index_id, year, sort


def _ranking(c):
    """The asked index, year and order, with the ranking's rows and the years it exists for."""
    index_id, year, sort = _args(c)
    rows = bi.ranking(c, index_id, year, sort) if year else []
    return index_id, year, sort, rows, bi.years(c, index_id)


@bp.get("/rankings/brands")
def brands_page():
    """The ranking of one index and year, sortable, with the methodology it follows."""
    with db.conn() as c:
        index_id, year, sort, rows, years = _ranking(c)
    return page("rankings_brands.html", index_id=index_id, year=year, sort=sort, rows=rows, years=years,
                m=latest(index_id), indices=bi.INDICES)


@bp.get("/rankings/brands.csv")
def brands_csv():
    """The ranking as CSV."""
    with db.conn() as c:
        index_id, year, sort = _args(c)
        rows = bi.ranking(c, index_id, year, sort) if year else []
    body = bi.ranking_csv(rows, index_id, year or 0)
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{index_id}-{year}.csv"'})


@bp.get("/rankings/brands/<slug>")
def brand_page(slug: str):
    """One brand's breakdown per indicator and its score history."""
    index_id = parse.choice("index", request.args.get("index"), bi.INDICES, default="citi")
    with db.conn() as c:
        own = _manages(c, slug)
        h = bi.brand_history(c, slug, index_id, private=own)
    resp = page("rankings_brand.html", h=h, m=latest(index_id), index_id=index_id, indices=bi.INDICES, own=own)
    if own:
        resp.headers["Cache-Control"] = "private, no-store"
    return resp


def _manages(c, slug: str) -> bool:
    row = c.execute("SELECT id FROM brands WHERE slug = %s", (slug,)).fetchone()
    return row is not None and auth.manages(row[0])


@bp.get("/api/rankings/brands")
def brands_api():
    """The ranking as JSON: brands with score, rank, last year's score and indicator breakdown."""
    with db.conn() as c:
        index_id, year, sort, rows, years = _ranking(c)
    m = latest(index_id)
    return jsonify({"index": index_id, "methodology": m.version, "year": year, "years": years, "brands": rows})


@bp.get("/api/rankings/brands/<slug>")
def brand_api(slug: str):
    """One brand's history; the brand's own users and admins also get the counts behind it."""
    index_id = parse.choice("index", request.args.get("index"), bi.INDICES, default="citi")
    with db.conn() as c:
        own = _manages(c, slug)
        h = bi.brand_history(c, slug, index_id, private=own)
    resp = jsonify(h)
    if own:
        resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.get("/api/methodology/<version>")
def methodology(version: str):
    """A methodology file as JSON."""
    from indices.methodology import load

    return jsonify(load(version).raw)
