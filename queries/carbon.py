"""Carbon figures behind the Blue Carbon Map page: areas ranked by a metric with their classes, yearly trends."""

from __future__ import annotations

import re

import psycopg
from psycopg import sql

from core.errors import Invalid
from data.catalog import DATASETS
from layers.carbon import CITY_SERIES, DEFAULT_SERIES, METRICS, classed, prepare, resolve_series, series_years
from queries import rows

# The carbon layer's own classification (layers.carbon.classed): ranked by the exact value it classes.
AREAS = sql.SQL("""
SELECT k.code, k.name_zh, k.name_en, k.co2_mt, k.co2_per_capita_t, k.co2_per_10k_cny, k.estimate, k.class,
       k.area_code, k.basis, ST_X(ST_PointOnSurface(k.geom)) AS lon, ST_Y(ST_PointOnSurface(k.geom)) AS lat
FROM ({}) AS k ORDER BY k.exact DESC NULLS LAST, k.code""").format(classed(sql.SQL("true")))

TREND = """
WITH c AS (
    SELECT area_code, year, sum(co2_mt) AS co2_mt, max(population) AS population, max(gdp_bn_cny) AS gdp
    FROM area_carbon WHERE dataset_id = %(series)s GROUP BY area_code, year)
SELECT year, round(sum(co2_mt)::numeric, 2)::float8 AS co2_mt,
       round((sum(co2_mt) * 1e6 / nullif(sum(population), 0))::numeric, 3)::float8 AS co2_per_capita_t,
       round((sum(co2_mt) FILTER (WHERE gdp IS NOT NULL) * 1e6
              / nullif(sum(gdp) * 1e5, 0))::numeric, 4)::float8 AS co2_per_10k_cny
FROM c WHERE (%(code)s::text IS NULL OR area_code = %(code)s) GROUP BY year ORDER BY year"""

# City series: the sum of the series' cities (a total of those cities, not a national total) or one city.
CITY_TREND = """
SELECT year, round(sum(co2_mt)::numeric, 2)::float8 AS co2_mt, NULL::float8 AS co2_per_capita_t,
       NULL::float8 AS co2_per_10k_cny
FROM city_carbon WHERE dataset_id = %(series)s AND (%(code)s::text IS NULL OR locode = %(code)s)
GROUP BY year ORDER BY year"""

NO_DENOMINATOR = {
    "co2_per_capita_t": ("此指标在城市层级没有开放的人口数据", "no open data for this metric at city level "
                         "(no open population figures for these cities)"),
    "co2_per_10k_cny": ("此指标在该层级没有开放的GDP数据", "no open data for this metric at this level "
                        "(no open GDP figures)"),
}


def years(conn: psycopg.Connection, series: str = DEFAULT_SERIES["province"] or "") -> list[int]:
    """The years a series has figures for, in order (default: the province series)."""
    return series_years(conn, series)


def all_series(conn: psycopg.Connection) -> list[dict]:
    """Every series with data: its data set, level(s), title, licence and years."""
    out = []
    for ds_id, level in conn.execute(
            "SELECT DISTINCT c.dataset_id, a.level FROM area_carbon c JOIN admin_areas a ON a.code = c.area_code "
            "UNION SELECT DISTINCT dataset_id, 'city' FROM city_carbon ORDER BY 1, 2").fetchall():
        level = {"prefecture": "city"}.get(level, level)
        ds = DATASETS.get(ds_id)
        out.append({"id": ds_id, "level": level, "title": ds.title if ds else ds_id,
                    "licence": ds.licence if ds else None, "attribution": ds.attribution if ds else None,
                    "years": series_years(conn, ds_id)})
    return out


def areas(conn: psycopg.Connection, filters: dict[str, object]) -> dict:
    """Areas of a level, series and year ranked by the chosen metric, with class breaks (the layer's filters)."""
    params = prepare(conn, filters)
    series = str(params["series"])
    known = series_years(conn, series)
    if params["year"] not in known:
        raise Invalid(f"no carbon data for {params['year']} in series {series}; "
                      f"years: {', '.join(map(str, known))}")
    areas = rows.dicts(conn, AREAS, params)
    metric, bins = str(params["metric"]), list(params["breaks"])  # type: ignore[call-overload]
    for i, row in enumerate(areas, 1):
        row["value"] = row[metric]  # as shown (rounded); the class is that of the exact value
        row["rank"] = i if row["value"] is not None else None
    # Said wherever a denominator is missing (map, legend, ranking), not left as grey areas and dashes.
    missing = sum(1 for a in areas if a["value"] is None)
    note = None
    if metric in NO_DENOMINATOR and missing:
        note = dict(zip(("zh", "en"), NO_DENOMINATOR[metric], strict=True))
    ds = DATASETS.get(series)
    return {"year": params["year"], "years": known, "level": str(filters.get("level", "province")),
            "series": series, "series_title": ds.title if ds else series,
            "source": {"licence": ds.licence, "attribution": ds.attribution, "url": ds.source_url} if ds else None,
            "metric": metric, "metric_label": METRICS[metric], "note": note, "missing": missing,
            "scheme": str(filters.get("scheme", "quantiles")), "breaks": bins, "areas": areas,
            "unplaced": sum(1 for a in areas if a["lon"] is None)}


def trend(conn: psycopg.Connection, code: str | None, level: str = "province", series: object = None) -> dict:
    """Yearly totals of a series (and one area's or city's, with `code`) of every metric."""
    name = resolve_series(conn, level, series)
    query = CITY_TREND if name in CITY_SERIES else TREND
    if code is not None and name in CITY_SERIES and not re.fullmatch(r"CN[A-Z0-9]{3}", code):
        raise Invalid("code: a city series takes the city's UN/LOCODE, e.g. CNBJS")
    total = rows.dicts(conn, query, {"code": None, "series": name})
    area = rows.dicts(conn, query, {"code": code, "series": name}) if code else None
    return {"national": total, "area": area, "code": code, "series": name,
            "total_kind": "cities" if name in CITY_SERIES else "national"}
