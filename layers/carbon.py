"""`carbon`: province (and prefecture, when loaded) CO2 by year, with per-capita and per-GDP intensity."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from psycopg import sql

from core.errors import Invalid
from layers import fragments
from layers.base import Filter, Layer, StyleContext

METRICS = {
    "co2_mt": "Total CO2 (Mt)",
    "co2_per_capita_t": "CO2 per person (t)",
    "co2_per_10k_cny": "CO2 per 10,000 CNY of GDP (t)",
}
SCHEMES = ("quantiles", "natural_breaks", "equal_interval")
CLASSES = 5

PROPERTIES = {
    "code": "GB/T 2260 area code (city series: the city's UN/LOCODE)",
    "name_zh": "Name in Chinese",
    "name_en": "Name in English",
    "level": "province, prefecture, county or city (a city series)",
    "year": "Year",
    "co2_mt": "CO2 from power, industry and ground transport (Mt; Cui et al. 2021 sectors)",
    "co2_per_capita_t": "CO2 per person (t), 2020 census population",
    "co2_per_10k_cny": "CO2 per 10,000 CNY of GDP (t), only where GDP is known",
    "value": "Value of the chosen metric",
    "class": "Class of the chosen metric, 1 (lowest) to 5 (highest)",
}

_METRIC_SQL = {
    "co2_mt": "c.co2_mt",
    "co2_per_capita_t": "c.co2_mt * 1e6 / nullif(c.population, 0)",
    "co2_per_10k_cny": "c.co2_mt * 1e6 / nullif(c.gdp_bn_cny * 1e5, 0)",
}


def _values_sql() -> sql.Composable:
    return sql.SQL("SELECT k.code, k.exact FROM ({}) AS k").format(classed(sql.SQL("true")))


@functools.lru_cache(maxsize=256)
def _bins(values: tuple[float, ...], scheme: str) -> tuple[float, ...]:
    """Upper class bounds of these values; the same values always give the same bounds."""
    import mapclassify  # imported on first use: it pulls in ~200 MB of libraries

    array = np.array(values, dtype=float)
    k = min(CLASSES, len(np.unique(array)))
    if k < 2:
        return (float(array.max()),)
    # Natural breaks by Fisher-Jenks: the exact optimum, so repeatable (mapclassify.NaturalBreaks is k-means
    # from a random start and gave different breaks from call to call).
    classifier = {"quantiles": mapclassify.Quantiles, "natural_breaks": mapclassify.FisherJenks,
                  "equal_interval": mapclassify.EqualInterval}[scheme]
    return tuple(float(b) for b in classifier(array, k=k).bins)


CITY_SERIES = ("carbon-monitor-cities", "cmcc-cities")  # city series: never mixed in one map
DEFAULT_SERIES = {"province": "cui2021-province-co2", "city": "carbon-monitor-cities", "county": None}
ADMIN_LEVEL = {"province": "province", "city": "prefecture", "county": "county"}


def breaks(conn: Any, year: int, level: str, metric: str, scheme: str, series: str | None = None) -> list[float]:
    """Upper class bounds of the metric's exact values over all areas of that level, series and year."""
    params = {"year": year, "level": ADMIN_LEVEL.get(level, level), "metric": metric, "breaks": [],
              "series": series or DEFAULT_SERIES.get(level) or "", "city": (series or "") in CITY_SERIES}
    rows = conn.execute(_values_sql(), params).fetchall()
    values = tuple(sorted(float(r[1]) for r in rows if r[1] is not None))
    return list(_bins(values, scheme)) if values else []


def series_years(conn: Any, series: str) -> list[int]:
    """The years a series (a data set of area or city CO2) has figures for."""
    table = "city_carbon" if series in CITY_SERIES else "area_carbon"
    return [r[0] for r in conn.execute(
        f"SELECT DISTINCT year FROM {table} WHERE dataset_id = %s ORDER BY year", (series,))]


def resolve_series(conn: Any, level: str, series: object) -> str:
    """The series asked for (default: the level's own), checked against the level; Invalid otherwise."""
    name = str(series) if series else DEFAULT_SERIES[level]
    if level == "city" and name in CITY_SERIES:
        return name
    if name is None or name in CITY_SERIES or not conn.execute(
            "SELECT 1 FROM area_carbon c JOIN admin_areas a ON a.code = c.area_code "
            "WHERE c.dataset_id = %s AND a.level = %s LIMIT 1", (name, ADMIN_LEVEL[level])).fetchone():
        raise Invalid(f"no carbon series {name!r} at level {level}")
    return name


def prepare(conn: Any, filters: dict[str, object]) -> dict[str, object]:
    """Series (default: the level's own), year (default: the series' latest) and class breaks of the request."""
    level = str(filters.get("level", "province"))
    series = resolve_series(conn, level, filters.get("series"))
    year = filters.get("year")
    if not isinstance(year, int):  # not given: the latest of the series
        known = series_years(conn, series)
        year = known[-1] if known else 0
    metric = str(filters.get("metric", "co2_mt"))
    scheme = str(filters.get("scheme", "quantiles"))
    return {"year": year, "level": ADMIN_LEVEL[level], "metric": metric, "series": series,
            "city": series in CITY_SERIES, "breaks": breaks(conn, int(year), level, metric, scheme, series)}


def class_sql(value: str) -> str:
    """SQL: the class of an exact `value` against %(breaks)s (upper bounds, inclusive), 1 to len(breaks)."""
    return (f"CASE WHEN {value} IS NOT NULL THEN least(greatest(cardinality(%(breaks)s::float8[]), 1), "
            f"1 + (SELECT count(*) FROM unnest(%(breaks)s::float8[]) b WHERE {value} > b)::int) END")


LATEST_STAT = ("(SELECT x.{col} FROM {table} x WHERE x.area_code = {code} AND x.year <= %(year)s "
               "ORDER BY x.year DESC, x.dataset_id LIMIT 1)")

# City series: a city drawn as its prefecture's polygon when it is the prefecture's own figure (reviewed join)
# and the polygon is loaded, else as its point; intensity only where an operator loaded the prefecture's figures.
CITY = """
    SELECT coalesce(CASE WHEN k.on_polygon THEN a.geom END, k.geom) AS geom, k.locode AS code, k.name_zh,
           k.name_en, 'city'::text AS level, %(year)s::int AS year, false AS estimate,
           round(f.co2_mt::numeric, 2)::float8 AS co2_mt,
           round((f.co2_mt * 1e6 / nullif(d.pop, 0))::numeric, 3)::float8 AS co2_per_capita_t,
           round((f.co2_mt * 1e6 / nullif(d.gdp * 1e5, 0))::numeric, 4)::float8 AS co2_per_10k_cny,
           (CASE %(metric)s WHEN 'co2_mt' THEN f.co2_mt::numeric WHEN 'co2_per_capita_t'
                THEN f.co2_mt::numeric * 1e6 / nullif(d.pop, 0)
                ELSE f.co2_mt::numeric * 1e6 / nullif(d.gdp * 1e5, 0) END)::float8 AS exact,
           k.area_code::text AS area_code, k.basis
    FROM city_carbon f JOIN carbon_cities k USING (dataset_id, locode)
    LEFT JOIN admin_areas a ON a.code = k.area_code AND a.level = 'prefecture'
    -- a prefecture's population and GDP only for the city that is that prefecture's own figure
    LEFT JOIN LATERAL (SELECT {pop} AS pop, {gdp} AS gdp WHERE k.on_polygon) d ON true
    WHERE %(city)s AND f.dataset_id = %(series)s AND f.year = %(year)s""".format(
    pop=LATEST_STAT.format(col="population::numeric", table="area_population", code="k.area_code"),
    gdp=LATEST_STAT.format(col="gdp_bn_cny::numeric", table="area_gdp", code="k.area_code"))


def classed(where: sql.Composable) -> sql.Composable:
    """SQL: the areas of %(level)s (or the cities of a city series) with their CO2 for %(year)s, rounded
    metrics, the exact %(metric)s value (`exact`, the one the breaks are computed from), its rounded `value`
    and its `class`. Sums in numeric, so the exact value does not depend on the order the rows are added in.

    The one classification behind the map (tiles), the ranking (/api/carbon), the legend's breaks and exports.
    """
    metric_cases = sql.SQL(" ").join(
        sql.SQL("WHEN {} THEN {}").format(sql.Literal(k), sql.SQL(v)) for k, v in _METRIC_SQL.items())
    return sql.SQL("""
        WITH s AS (
            SELECT area_code, sum(co2_mt::numeric) AS co2_mt, max(population) AS population,
                   max(gdp_bn_cny)::numeric AS gdp_bn_cny, bool_or(estimate) AS estimate
            FROM area_carbon WHERE year = %(year)s AND dataset_id = %(series)s AND NOT %(city)s GROUP BY area_code),
        -- denominators: the series' own, else the latest operator figure up to that year (load-file area-stats)
        c AS (
            SELECT s.area_code, s.co2_mt, s.estimate, coalesce(s.population, {pop}) AS population,
                   coalesce(s.gdp_bn_cny, {gdp}) AS gdp_bn_cny
            FROM s),
        v AS (
            SELECT a.geom, a.code::text AS code, a.name_zh, a.name_en, a.level, %(year)s::int AS year, c.estimate,
                   round(c.co2_mt::numeric, 2)::float8 AS co2_mt,
                   round((c.co2_mt * 1e6 / nullif(c.population, 0))::numeric, 3)::float8 AS co2_per_capita_t,
                   round((c.co2_mt * 1e6 / nullif(c.gdp_bn_cny * 1e5, 0))::numeric, 4)::float8 AS co2_per_10k_cny,
                   (CASE %(metric)s {cases} END)::float8 AS exact, a.code::text AS area_code, NULL::text AS basis
            FROM admin_areas a JOIN c ON c.area_code = a.code
            WHERE a.level = %(level)s
            UNION ALL {city})
        SELECT v.*, round(v.exact::numeric, 4)::float8 AS value, {klass} AS class FROM v WHERE {where}""").format(
        cases=metric_cases, where=where, klass=sql.SQL(class_sql("v.exact")), city=sql.SQL(CITY),
        pop=sql.SQL(LATEST_STAT.format(col="population", table="area_population", code="s.area_code")),
        gdp=sql.SQL(LATEST_STAT.format(col="gdp_bn_cny::numeric", table="area_gdp", code="s.area_code")))


def features(present: frozenset[str]) -> sql.Composable:
    """Area polygons joined to their CO2 for %(year)s, classed by %(breaks)s."""
    return sql.SQL("""
        SELECT k.geom, k.code, k.name_zh, k.name_en, k.level, k.year, k.co2_mt, k.co2_per_capita_t,
               k.co2_per_10k_cny, k.value, k.class
        FROM ({classed}) AS k""").format(classed=classed(fragments.in_envelope("v.geom")))


# Sequential yellow-orange-red ramp, class 1 (lowest) to 5 (highest).
CLASS_COLOURS = ("#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000")


def style(ctx: StyleContext) -> list[dict[str, Any]]:
    """Choropleth by class of the chosen metric, white outlines."""
    fill = ["match", ["coalesce", ["get", "class"], 0], *[x for i, c in enumerate(CLASS_COLOURS, 1) for x in (i, c)],
            "#d9d9d9"]
    return [
        {"id": "carbon-fill", "type": "fill", "paint": {"fill-color": fill, "fill-opacity": 0.88}},
        {"id": "carbon-outline", "type": "line", "paint": {"line-color": "#ffffff", "line-width": 0.8}},
        # Cities of a city series without their prefecture's polygon: points in the same classes.
        {"id": "carbon-point", "type": "circle", "filter": ["==", ["geometry-type"], "Point"],
         "paint": {"circle-color": fill, "circle-radius": 6, "circle-stroke-color": "#555555",
                   "circle-stroke-width": 1}},
    ]


LAYER = Layer(
    id="carbon",
    title="Blue Carbon Map: CO2 by province",
    description="Annual CO2 emissions of China's provinces (power, industry and ground transport) and their "
                "intensity per person and per unit of GDP.",
    geometry="polygon",
    properties=PROPERTIES,
    datasets=("cui2021-province-co2", "wikidata-population", "natural-earth-china", "carbon-monitor-cities",
              "cmcc-cities"),
    features=features,
    filters=(
        Filter("year", "Year (default: the latest loaded)", "int"),
        Filter("level", "province, city (prefecture) or county", "enum", ("province", "city", "county"),
               default="province"),
        Filter("series", "Data set of the figures (default: the level's own; city: carbon-monitor-cities or "
               "cmcc-cities, never mixed)", "text"),
        Filter("metric", "Metric to class: " + ", ".join(METRICS), "enum", tuple(METRICS), default="co2_mt"),
        Filter("scheme", "Class breaks: " + ", ".join(SCHEMES), "enum", SCHEMES, default="quantiles"),
    ),
    maxzoom=10,
    prepare=prepare,
    feature_id=None,
    style=style,
    legend=tuple((f"Class {i}", f"第{i}级", c) for i, c in enumerate(CLASS_COLOURS, 1)),
)
