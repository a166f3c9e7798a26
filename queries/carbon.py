"""Carbon figures behind the Blue Carbon Map page: areas ranked by a metric with their classes, yearly trends."""

from __future__ import annotations

import psycopg
from psycopg import sql

from core.errors import Invalid
from layers.carbon import METRICS, classed, prepare
from queries import rows

# The carbon layer's own classification (layers.carbon.classed): ranked by the exact value it classes.
AREAS = sql.SQL("""
SELECT k.code, k.name_zh, k.name_en, k.co2_mt, k.co2_per_capita_t, k.co2_per_10k_cny, k.estimate, k.class
FROM ({}) AS k ORDER BY k.exact DESC NULLS LAST, k.code""").format(classed(sql.SQL("true")))

TREND = """
WITH c AS (
    SELECT area_code, year, sum(co2_mt) AS co2_mt, max(population) AS population, max(gdp_bn_cny) AS gdp
    FROM area_carbon GROUP BY area_code, year)
SELECT year, round(sum(co2_mt)::numeric, 2)::float8 AS co2_mt,
       round((sum(co2_mt) * 1e6 / nullif(sum(population), 0))::numeric, 3)::float8 AS co2_per_capita_t,
       round((sum(co2_mt) FILTER (WHERE gdp IS NOT NULL) * 1e6
              / nullif(sum(gdp) * 1e5, 0))::numeric, 4)::float8 AS co2_per_10k_cny
FROM c WHERE (%(code)s::text IS NULL OR area_code = %(code)s) GROUP BY year ORDER BY year"""


def years(conn: psycopg.Connection) -> list[int]:
    """The years with carbon data, in order."""
    return [r[0] for r in conn.execute("SELECT DISTINCT year FROM area_carbon ORDER BY year")]


def areas(conn: psycopg.Connection, filters: dict[str, object]) -> dict:
    """Areas of a level and year ranked by the chosen metric, with class breaks (the carbon layer's filters)."""
    params = prepare(conn, filters)
    known = years(conn)
    if params["year"] not in known:
        raise Invalid(f"no carbon data for {params['year']}; years: {', '.join(map(str, known))}")
    areas = rows.dicts(conn, AREAS, params)
    metric, bins = str(params["metric"]), list(params["breaks"])  # type: ignore[call-overload]
    for i, row in enumerate(areas, 1):
        row["value"] = row[metric]  # as shown (rounded); the class is that of the exact value
        row["rank"] = i if row["value"] is not None else None
    return {"year": params["year"], "years": known, "level": params["level"], "metric": metric,
            "metric_label": METRICS[metric], "scheme": str(filters.get("scheme", "quantiles")), "breaks": bins,
            "areas": areas}


def trend(conn: psycopg.Connection, code: str | None) -> dict:
    """Yearly national totals (and one area's, with `code`) of every metric."""
    national = rows.dicts(conn, TREND, {"code": None})
    area = rows.dicts(conn, TREND, {"code": code}) if code else None
    return {"national": national, "area": area, "code": code}
