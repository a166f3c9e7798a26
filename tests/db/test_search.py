"""Search by name, USCC and legacy id, and what lies around a point, over HTTP against the real database."""

import pytest

from geo import datum
from standards import uscc

BEIJING = (116.397, 39.909)
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _one(conn, query, *params):
    """The first row of a query."""
    return conn.execute(query, params or None).fetchone()


def _search(client, **args):
    r = client.get("/api/search", query_string=args)
    assert r.status_code == 200, r.json
    return r.json


def test_chinese_substring_finds_cement_plants(client):
    body = _search(client, q="水泥", limit=100)
    assert body["kind"] == "name" and body["query"] == "水泥"
    results = body["results"]
    assert results and all("水泥" in (r["name_zh"] or "") for r in results)
    assert any(r["industry"] == "cement" for r in results)
    assert {"id", "name_zh", "name_en", "industry", "uscc", "area_code", "lon", "lat", "violation_count",
            "synthetic", "dataset_id", "licence"} <= set(results[0])


def test_english_substring_is_case_insensitive(client, conn):
    upper, lower = _search(client, q="CEMENT", limit=100), _search(client, q="cement", limit=100)
    assert upper["results"] == lower["results"] and upper["results"]
    assert all("cement" in (r["name_en"] or "").lower() for r in upper["results"])
    assert any(r["name_en"] != r["name_en"].lower() for r in upper["results"])  # mixed case was matched
    expected = conn.execute("SELECT count(*) FROM facilities WHERE lower(name_en) LIKE '%cement%' "
                            "OR name_zh LIKE '%cement%'").fetchone()[0]
    assert len(upper["results"]) == min(expected, 100)


def test_exact_name_first_then_prefix(client, conn):
    name = _one(conn, "SELECT name_zh FROM facilities WHERE name_zh LIKE '%水泥%' ORDER BY id LIMIT 1")[0]
    assert _search(client, q=name)["results"][0]["name_zh"] == name
    # A word that starts fewer than 100 facility names and appears inside others.
    word = conn.execute("""
        SELECT w FROM unnest(ARRAY['beijing', 'tangshan', 'jidong', 'anhui', 'hebei', 'datang', '北京']) w
        WHERE (SELECT count(*) FROM facilities WHERE lower(name_en) LIKE w || '%' OR name_zh LIKE w || '%')
              BETWEEN 1 AND 99
          AND EXISTS (SELECT 1 FROM facilities WHERE lower(name_en) LIKE '_%' || w || '%'
                                                  OR name_zh LIKE '_%' || w || '%')
        LIMIT 1""").fetchone()[0]
    results = _search(client, q=word, limit=100)["results"]
    prefixed = [(r["name_en"] or "").lower().startswith(word) or (r["name_zh"] or "").startswith(word)
                for r in results]
    assert True in prefixed and False in prefixed
    assert prefixed == sorted(prefixed, reverse=True)  # every prefix match before any other match


def test_name_results_carry_licence_and_synthetic_flag(client, conn):
    licences = dict(conn.execute("SELECT id, licence FROM datasets").fetchall())
    for r in _search(client, q="水泥", limit=50)["results"]:
        assert r["licence"] == licences[r["dataset_id"]]
        synthetic_name = _one(conn, "SELECT synthetic OR coalesce(attrs->>'name_zh_synthetic' = 'true', "
                                    "false) FROM facilities WHERE id = %s", r["id"])[0]
        if synthetic_name:
            assert r["synthetic"] is True


def test_like_wildcards_in_the_query_are_literal(client):
    assert _search(client, q="%")["results"] == []
    assert _search(client, q="_")["results"] == []


# (name_zh, name_en, violation_count): names found nowhere in the bundled data.
RANKED = [
    ("鹦鹉", "Nautilo", 0),                              # equal to the query
    ("鹦鹉螺化工有限公司", "Nautilo Chemicals", 1),      # starts with it
    ("鹦鹉螺热电有限公司", "Nautilo Power", 4),
    ("北方鹦鹉水泥有限公司", "North Nautilo Cement", 9),  # contains it
    ("南方鹦鹉纸业有限公司", "South Nautilo Paper", 2),
]


@pytest.fixture()
def ranked(conn):
    """The RANKED facilities, committed (the app reads through its own pool), removed afterwards."""
    ids = []
    try:
        for i, (zh, en, n) in enumerate(RANKED):
            ids.append(conn.execute(
                "INSERT INTO facilities (dataset_id, ext_id, name_zh, name_en, industry, violation_count, "
                "geom) VALUES ('synthetic-demo', %s, %s, %s, 'chemicals', %s, "
                "ST_SetSRID(ST_MakePoint(116.4, 39.9), 4326)) RETURNING id",
                (f"search-rank-test-{i}", zh, en, n)).fetchone()[0])
        conn.commit()
        yield dict(zip((r[0] for r in RANKED), ids, strict=True))
    finally:
        conn.rollback()
        conn.execute("DELETE FROM facilities WHERE dataset_id = 'synthetic-demo' "
                     "AND ext_id LIKE 'search-rank-test-%'")
        conn.commit()


def _names(client, q, **args):
    return [r["name_zh"] for r in _search(client, q=q, **args)["results"]]


def test_rank_equal_then_prefix_then_substring_then_violations(client, ranked):
    # Ranks first, whatever the violation counts; within a rank more violations first.
    assert _names(client, "鹦鹉") == ["鹦鹉", "鹦鹉螺热电有限公司", "鹦鹉螺化工有限公司",
                                     "北方鹦鹉水泥有限公司", "南方鹦鹉纸业有限公司"]
    assert _names(client, "鹦鹉", limit=2) == ["鹦鹉", "鹦鹉螺热电有限公司"]
    # The same ranks on the English name, case-insensitive.
    assert _names(client, "NAUTILO") == _names(client, "鹦鹉")


def test_one_character_query(client, ranked):
    # No name is the character or starts with it: one rank, by violation count.
    assert _names(client, "鹉") == ["北方鹦鹉水泥有限公司", "鹦鹉螺热电有限公司", "南方鹦鹉纸业有限公司",
                                   "鹦鹉螺化工有限公司", "鹦鹉"]
    results = _search(client, q="水", limit=100)["results"]
    assert len(results) == 100 and all("水" in r["name_zh"] for r in results)


def test_two_character_query_finds_every_holder(client, conn, ranked):
    assert sorted(r["id"] for r in _search(client, q="鹦鹉", limit=100)["results"]) == sorted(ranked.values())
    assert _names(client, "螺热") == ["鹦鹉螺热电有限公司"]  # a pair of characters inside a name
    assert _names(client, "鹉鹦") == []  # both characters, not that pair
    # A two-character part of real names: everything found holds it, nothing holding it is missed.
    word = conn.execute("SELECT substr(name_zh, 3, 2) FROM facilities WHERE length(name_zh) > 6 "
                        "ORDER BY id LIMIT 1").fetchone()[0]
    expected = {r[0] for r in conn.execute("SELECT id FROM facilities WHERE strpos(name_zh, %s) > 0",
                                           (word,))}
    found = {r["id"] for r in _search(client, q=word, limit=100)["results"]}
    assert found <= expected and len(found) == min(len(expected), 100)


@pytest.mark.parametrize("scan", [True, False])
def test_index_and_walk_give_the_same_ranking(client, conn, ranked, monkeypatch, scan):
    """Whichever way the contains rank is read, a query with at most CAP matches per rank ranks the same."""
    from queries import search

    queries = ["鹦鹉", "鹉", "nautilo", "钢铁", "Steel"]
    before = {q: _search(client, q=q, limit=100)["results"] for q in queries}
    monkeypatch.setattr(search, "_scan_is_cheaper", lambda *args: scan)
    for q in queries:
        n = conn.execute("SELECT count(*) FROM facilities WHERE strpos(name_zh, %s) > 0 "
                         "OR strpos(lower(name_en), lower(%s)) > 0", (q, q)).fetchone()[0]
        if n <= search.CAP:
            assert _search(client, q=q, limit=100)["results"] == before[q], q


def test_rarest_grams_are_asked_of_the_index():
    from queries.search import GramStats

    stats = GramStats()
    stats.freqs = {"有限": 0.9, "限公": 0.9, "公司": 0.9, "热电": 0.05, "电有": 0.2, "水泥": 0.005}
    stats.floor = 0.001
    assert stats.rarest(["热电", "电有", "有限"]) == ["热电"]
    assert stats.rarest(["水泥", "泥有", "有限"]) == ["泥有", "水泥"]  # unknown grams are the rarest
    assert stats.rarest(["水"]) == ["水"]


def test_short_latin_query_matches_the_start_of_english_names(client):
    results = _search(client, q="Na", limit=100)["results"]
    assert results
    assert all((r["name_en"] or "").lower().startswith("na") or "Na" in (r["name_zh"] or "") for r in results)


def test_name_grams_holds_characters_and_pairs(conn):
    grams = conn.execute("SELECT name_grams('水泥厂'), name_grams(''), name_grams(NULL)").fetchone()
    assert sorted(grams[0]) == sorted(["水", "泥", "厂", "水泥", "泥厂"])
    assert grams[1] == [] and grams[2] is None


def test_gram_index_answers_one_and_two_character_queries(conn):
    conn.execute("SET enable_seqscan = off")
    for grams, q in ((["水泥"], "水泥"), (["水"], "水")):
        plan = "\n".join(r[0] for r in conn.execute(
            "EXPLAIN SELECT id FROM facilities WHERE strpos(name_zh, %s) > 0 AND name_grams(name_zh) @> %s",
            (q, grams)))
        assert "facilities_name_zh_grams" in plan


def test_search_by_uscc_returns_its_facility_first(client, conn):
    code, company_id = conn.execute(
        "SELECT c.uscc, c.id FROM companies c WHERE c.uscc IS NOT NULL "
        "AND EXISTS (SELECT 1 FROM facilities f WHERE f.company_id = c.id) ORDER BY c.id LIMIT 1").fetchone()
    ids = {r[0] for r in conn.execute("SELECT id FROM facilities WHERE company_id = %s", (company_id,))}
    full_width = code.translate({ord(ch): ord(ch) + 0xFEE0 for ch in ALPHABET})
    for q in (code, code.lower(), f"{code[:9]} {code[9:]}", full_width):
        body = _search(client, q=q)
        assert body["kind"] == "uscc"
        assert body["results"][0]["uscc"] == code and body["results"][0]["id"] in ids
        assert {r["id"] for r in body["results"]} == ids


def test_invalid_check_digit_is_400_naming_the_expected_digit(client, conn):
    code = conn.execute("SELECT uscc FROM companies WHERE uscc IS NOT NULL ORDER BY id LIMIT 1").fetchone()[0]
    wrong = code[:17] + next(c for c in ALPHABET if c != code[17])
    assert uscc.kind_of(wrong) == "uscc"
    r = client.get("/api/search", query_string={"q": wrong})
    assert r.status_code == 400
    assert f"should be {code[17]!r}, not {wrong[17]!r}" in r.json["error"]


def test_valid_uscc_without_company_is_empty(client, conn):
    code = uscc.make("110101", 12345678, registrar="93")
    assert conn.execute("SELECT 1 FROM companies WHERE uscc = %s", (code,)).fetchone() is None
    assert _search(client, q=code) == {"query": code, "kind": "uscc", "results": []}


def test_legacy_registration_number(client, conn):
    company_id, fac_id = conn.execute("SELECT company_id, id FROM facilities WHERE company_id IS NOT NULL "
                                      "ORDER BY id LIMIT 1").fetchone()
    value = "110000999999998"
    conn.execute("INSERT INTO company_alt_ids (company_id, kind, value) VALUES (%s, 'registration_no', %s)",
                 (company_id, value))
    conn.commit()
    try:
        body = _search(client, q=value)
        assert body["kind"] == "registration_no"
        assert fac_id in [r["id"] for r in body["results"]]
    finally:
        conn.execute("DELETE FROM company_alt_ids WHERE kind = 'registration_no' AND value = %s", (value,))
        conn.commit()
    assert _search(client, q=value)["kind"] == "name"  # unknown legacy ids fall back to a name search


@pytest.mark.parametrize("args", [{}, {"q": ""}, {"q": "   "}, {"q": "水泥", "limit": "0"},
                                  {"q": "水泥", "limit": "101"}, {"q": "水泥", "limit": "abc"},
                                  {"q": "x" * 201}, {"q": "a\x00b"}])
def test_bad_search_requests_are_400(client, args):
    r = client.get("/api/search", query_string=args)
    assert r.status_code == 400 and r.json["error"]


def test_limit_bounds_the_results(client):
    assert len(_search(client, q="有限公司", limit=1)["results"]) == 1
    assert len(_search(client, q="有限公司")["results"]) == 20
    assert len(_search(client, q="有限公司", limit=100)["results"]) == 100


def _near(client, **args):
    r = client.get("/api/near", query_string=args)
    assert r.status_code == 200, r.json
    return r.json


def test_near_beijing_lists_facilities_within_radius(client, conn):
    lon, lat = BEIJING
    body = _near(client, lon=lon, lat=lat, radius_m=10000)
    expected = conn.execute(
        "SELECT count(*) FROM facilities WHERE ST_DWithin(geom::geography, "
        "ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, 10000)", (lon, lat)).fetchone()[0]
    assert expected > 0
    assert body["count"] == len(body["facilities"]) == expected and not body["truncated"]
    distances = [f["distance_m"] for f in body["facilities"]]
    assert distances == sorted(distances)
    for f in body["facilities"]:
        assert f["distance_m"] <= 10000
        assert f["distance_m"] == pytest.approx(datum.haversine_m(lon, lat, f["lon"], f["lat"]), rel=0.01)
        assert f["worst_status"] in ("none", "rectified", "explained", "open")
        assert {"id", "name_zh", "name_en", "industry", "violation_count", "latest_violation",
                "key_monitored", "synthetic"} <= set(f)
    assert body["point"] == {"lon": lon, "lat": lat, "crs": "wgs84", "input_crs": "wgs84"}


def test_near_limit_truncates_but_counts_all(client):
    lon, lat = BEIJING
    body = _near(client, lon=lon, lat=lat, radius_m=10000, limit=1)
    assert len(body["facilities"]) == 1
    assert body["truncated"] == (body["count"] > 1)


def test_near_beijing_air_stations_with_latest_reading(client, conn):
    codes = {r[0] for r in conn.execute("SELECT code FROM stations WHERE kind = 'air' "
                                        "AND dataset_id = 'beijing-multisite-aq'")}
    assert len(codes) == 12
    body = _near(client, lon=BEIJING[0], lat=BEIJING[1], radius_m=1000)
    air = body["air_stations"]
    assert len(air) == 3 and air[0]["code"] in codes
    assert [s["distance_m"] for s in air] == sorted(s["distance_m"] for s in air)
    latest = _one(conn, "SELECT max(observed_at) FROM air_readings r JOIN stations s ON s.id = r.station_id "
                        "WHERE s.code = %s", air[0]["code"])[0]
    reading = air[0]["latest"]
    assert reading is not None and reading["observed_at"] == latest.isoformat()
    assert {"pm25", "pm10", "so2", "no2", "co", "o3"} <= set(reading)
    assert body["air_units"]["co"] == "mg/m3"


def test_near_water_stations(client, conn):
    body = _near(client, lon=BEIJING[0], lat=BEIJING[1], radius_m=1000)
    water = body["water_stations"] or [body["water_closest"]]  # within 100 km, else the closest (test_near.py)
    assert water[0] is not None
    for s in water:
        has = conn.execute("SELECT EXISTS (SELECT 1 FROM water_readings WHERE station_id = %s)",
                           (s["id"],)).fetchone()[0]
        assert (s["latest"] is not None) == has


def test_near_bureau_municipality_and_province(client):
    b = _near(client, lon=BEIJING[0], lat=BEIJING[1], radius_m=1000)["bureau"]
    assert b["area_code"] == "110000" and b["bureau_zh"] == "北京市生态环境局"
    assert b["bureau_en"] == "Beijing Bureau of Ecology and Environment" and b["hotline"] == "12369"
    b = _near(client, lon=114.51, lat=38.04, radius_m=1000)["bureau"]  # Shijiazhuang, Hebei
    assert b["province_zh"] == "河北省" and b["bureau_zh"] == "河北省生态环境厅"
    assert b["bureau_en"] == "Hebei Department of Ecology and Environment"


def test_near_converts_gcj02_and_bd09_input(client):
    lon, lat = BEIJING
    plain = _near(client, lon=lon, lat=lat, radius_m=10000)
    for crs, convert in (("gcj02", datum.wgs84_to_gcj02), ("bd09", datum.wgs84_to_bd09)):
        x, y = convert(lon, lat)
        body = _near(client, lon=x, lat=y, radius_m=10000, crs=crs)
        assert body["point"]["lon"] == pytest.approx(lon, abs=1e-6)
        assert body["point"]["lat"] == pytest.approx(lat, abs=1e-6)
        assert body["point"]["input_crs"] == crs
        assert [f["id"] for f in body["facilities"]] == [f["id"] for f in plain["facilities"]]


@pytest.mark.parametrize("args", [
    {"lon": 116.397, "lat": 39.909, "radius_m": 2000},
    {"lon": 116.397, "lat": 39.909, "radius_m": "ten"},
    {"lon": 116.397, "lat": 39.909},
    {"lon": "abc", "lat": 39.909, "radius_m": 1000},
    {"lon": 116.397, "radius_m": 1000},
    {"lon": "nan", "lat": 39.909, "radius_m": 1000},
    {"lon": 2.3522, "lat": 48.8566, "radius_m": 1000},  # Paris
    {"lon": 116.397, "lat": 39.909, "radius_m": 1000, "crs": "mercator"},
    {"lon": 116.397, "lat": 39.909, "radius_m": 1000, "limit": 0},
])
def test_bad_near_requests_are_400(client, args):
    r = client.get("/api/near", query_string=args)
    assert r.status_code == 400 and r.json["error"]


def test_near_paris_says_outside_china(client):
    r = client.get("/api/near", query_string={"lon": 2.3522, "lat": 48.8566, "radius_m": 1000})
    assert "outside China" in r.json["error"]
