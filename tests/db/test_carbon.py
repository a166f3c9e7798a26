"""Carbon classes: repeatable natural breaks, and one classification of the exact value for map, ranking, export."""

from __future__ import annotations

import gzip
import json

import mapbox_vector_tile
import mapclassify
import numpy as np
import pytest

from layers import carbon


def _years(conn):
    return [r[0] for r in conn.execute("SELECT DISTINCT year FROM area_carbon ORDER BY year")]


METRIC = {"co2_mt": "co2", "co2_per_capita_t": "co2 * 1e6 / nullif(pop, 0)",
          "co2_per_10k_cny": "co2 * 1e6 / nullif(gdp * 1e5, 0)"}


def _exact(conn, year, metric):
    """code -> the metric's exact value (summed in numeric), computed here from the table."""
    return dict(conn.execute(f"""
        WITH c AS (SELECT area_code, sum(co2_mt::numeric) AS co2, max(population) AS pop,
                          max(gdp_bn_cny)::numeric AS gdp
                   FROM area_carbon WHERE year = %s GROUP BY area_code)
        SELECT a.code::text, ({METRIC[metric]})::float8 FROM admin_areas a JOIN c ON c.area_code = a.code
        WHERE a.level = 'province'""", (year,)).fetchall())


@pytest.mark.parametrize("metric", list(carbon.METRICS))
def test_natural_breaks_are_repeatable_and_exact(conn, metric):
    for year in _years(conn):
        seen = set()
        for _ in range(30):
            if hasattr(carbon, "_bins"):
                carbon._bins.cache_clear()  # computed afresh each time, not served from the cache
            seen.add(tuple(carbon.breaks(conn, year, "province", metric, "natural_breaks")))
        assert len(seen) == 1, (year, metric, seen)
        values = np.array([v for v in _exact(conn, year, metric).values() if v is not None])
        if values.size == 0:  # e.g. no GDP that year: no classes
            assert seen == {()}
            continue
        assert list(seen.pop()) == pytest.approx(list(mapclassify.FisherJenks(values, k=5).bins))


def _tile_classes(client, query):
    resp = client.get(f"/tiles/carbon/0/0/0.mvt?{query}")
    assert resp.status_code == 200
    data = gzip.decompress(resp.data) if resp.headers.get("Content-Encoding") == "gzip" else resp.data
    feats = mapbox_vector_tile.decode(data)["carbon"]["features"]
    return {f["properties"]["code"]: f["properties"].get("class") for f in feats}


@pytest.mark.parametrize("scheme", carbon.SCHEMES)
def test_ranking_map_and_export_give_each_area_the_class_of_its_exact_value(client, conn, scheme):
    for year in _years(conn):
        for metric in carbon.METRICS:
            query = f"year={year}&metric={metric}&scheme={scheme}"
            body = client.get(f"/api/carbon?{query}").get_json()
            ranked = {a["code"]: a["class"] for a in body["areas"]}
            exact = _exact(conn, year, metric)
            want = {code: None if v is None else min(len(body["breaks"]), 1 + sum(v > b for b in body["breaks"]))
                    for code, v in exact.items()}
            assert ranked == want, (query, {c: (ranked[c], want[c]) for c in want if ranked[c] != want[c]})
            exported = json.loads(client.get(f"/exports/carbon.geojson?{query}").data)["features"]
            assert {f["properties"]["code"]: f["properties"]["class"] for f in exported} == ranked, query
            tiles = _tile_classes(client, query)
            assert tiles and all(ranked[code] == cls for code, cls in tiles.items()), query
            values = [exact[a["code"]] for a in body["areas"] if a["rank"] is not None]
            assert values == sorted(values, reverse=True), query  # ranked by the exact value


def test_a_province_on_a_break_is_in_the_lower_class(client, conn):
    # Quantile upper bounds are area values: such an area belongs to the class the bound closes (inclusive).
    year = _years(conn)[-1]
    body = client.get(f"/api/carbon?year={year}&metric=co2_mt&scheme=quantiles").get_json()
    exact = _exact(conn, year, "co2_mt")
    on_break = [(code, body["breaks"].index(v) + 1) for code, v in exact.items() if v in body["breaks"]]
    assert on_break, "some province sits exactly on a quantile break"
    classes = {a["code"]: a["class"] for a in body["areas"]}
    for code, cls in on_break:
        assert classes[code] == cls, code
