"""Carbon API behind the Blue Carbon Map page: ranked areas with their classes, and yearly trends."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from app import db
from core.errors import Invalid
from layers.base import FilterError
from layers.carbon import LAYER, METRICS, breaks, prepare

bp = Blueprint("carbon", __name__, url_prefix="/api/carbon")

AREAS = """
WITH c AS (
    SELECT area_code, sum(co2_mt) AS co2_mt, max(population) AS population, max(gdp_bn_cny) AS gdp_bn_cny,
           bool_or(estimate) AS estimate
    FROM area_carbon WHERE year = %(year)s GROUP BY area_code)
SELECT a.code::text, a.name_zh, a.name_en, round(c.co2_mt::numeric, 2)::float8,
       round((c.co2_mt * 1e6 / nullif(c.population, 0))::numeric, 3)::float8,
       round((c.co2_mt * 1e6 / nullif(c.gdp_bn_cny * 1e5, 0))::numeric, 4)::float8, c.estimate
FROM admin_areas a JOIN c ON c.area_code = a.code
WHERE a.level = %(level)s"""
AREA_KEYS = ("code", "name_zh", "name_en", "co2_mt", "co2_per_capita_t", "co2_per_10k_cny", "estimate")

TREND = """
WITH c AS (
    SELECT area_code, year, sum(co2_mt) AS co2_mt, max(population) AS population, max(gdp_bn_cny) AS gdp
    FROM area_carbon GROUP BY area_code, year)
SELECT year, round(sum(co2_mt)::numeric, 2)::float8,
       round((sum(co2_mt) * 1e6 / nullif(sum(population), 0))::numeric, 3)::float8,
       round((sum(co2_mt) FILTER (WHERE gdp IS NOT NULL) * 1e6
              / nullif(sum(gdp) * 1e5, 0))::numeric, 4)::float8
FROM c WHERE (%(code)s::text IS NULL OR area_code = %(code)s) GROUP BY year ORDER BY year"""


def _filters() -> dict[str, object]:
    args = {k: v for k, v in request.args.items() if k != "code"}
    try:
        return LAYER.parse_filters(args)
    except FilterError as exc:
        raise Invalid(str(exc)) from None


@bp.get("")
def areas():
    """Areas of a level and year ranked by the chosen metric, with class breaks (mapclassify)."""
    with db.conn() as c:
        params = prepare(c, _filters())
        years = [r[0] for r in c.execute("SELECT DISTINCT year FROM area_carbon ORDER BY year")]
        if params["year"] not in years:
            raise Invalid(f"no carbon data for {params['year']}; years: {', '.join(map(str, years))}")
        rows = [dict(zip(AREA_KEYS, r, strict=True)) for r in c.execute(AREAS, params)]
    metric, bins = str(params["metric"]), list(params["breaks"])  # type: ignore[arg-type]
    for row in rows:
        v = row[metric]
        row["value"] = v
        row["class"] = None if v is None else min(len(bins), 1 + sum(v > b for b in bins)) or 1
    rows.sort(key=lambda r: (r["value"] is None, -(r["value"] or 0)))
    for i, row in enumerate(rows, 1):
        row["rank"] = i if row["value"] is not None else None
    return jsonify({"year": params["year"], "years": years, "level": params["level"], "metric": metric,
                    "metric_label": METRICS[metric], "scheme": request.args.get("scheme", "quantiles"),
                    "breaks": bins, "areas": rows})


@bp.get("/trend")
def trend():
    """Yearly national totals (and one area's, with ?code=) of every metric."""
    code = request.args.get("code")
    if code is not None and not (code.isdigit() and len(code) == 6):
        raise Invalid(f"code must be a 6-digit GB/T 2260 area code; got {code!r}")
    _filters()
    keys = ("year", "co2_mt", "co2_per_capita_t", "co2_per_10k_cny")
    with db.conn() as c:
        national = [dict(zip(keys, r, strict=True)) for r in c.execute(TREND, {"code": None})]
        area = [dict(zip(keys, r, strict=True)) for r in c.execute(TREND, {"code": code})] if code else None
    return jsonify({"national": national, "area": area, "code": code})


__all__ = ["bp", "breaks"]
