"""Matching a supplier-list row to a facility on file: by USCC, else by name similarity and distance.

A valid USCC on file gives that company's facility (confidence 1). Otherwise candidates come from name
similarity (pg_trgm on the Chinese and English names, legal-form words removed) and distance (PostGIS);
confidence = 0.65 x similarity + 0.35 x closeness; without coordinates, 0.85 x similarity. At or above
AUTO_LINK the row links itself, from REVIEW it waits for the brand's review, below it makes a new facility.
A row whose USCC differs from a real one on file gets half the confidence (a synthetic one on file, flagged
so, does not count against the candidate).

Matching is set-based: a batch of rows is staged in a temporary table and each kind of candidate (by USCC, by
the same name, by place, by similar name) is one statement for the whole batch, so a 20,000-row list costs a
few dozen statements rather than one to three per row.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable

import psycopg

from ingest.geocode import gazetteer
from ingest.geocode_streets import streets
from ingest.match_names import LEGAL
from supply.rows import Row, reject

AUTO_LINK = 0.80
REVIEW = 0.50
UNPLACED = "unplaced"  # no match and no coordinates: to be placed from the row's address
NEARBY_M = 5000


def normalise_name(name: str) -> str:
    """Lower case, legal-form words and punctuation removed (mirrors the SQL function list_match_name)."""
    s = re.sub(LEGAL, "", (name or "").lower())
    return re.sub(r"[\W_（）()，、·]+", " ", s).strip()


# The same normalisation is the immutable SQL function list_match_name (migrations 0019, 0023), stored for each
# facility as match_zh and match_en and indexed: names are found on the names as compared, not on the raw
# names whose shared legal forms make every company look alike.
# Similar Chinese names are searched from this similarity up: a lower one cannot reach REVIEW without
# coordinates (0.85 x 0.6 > 0.5), nor with them from farther than about 3.7 km; nearer, a facility is mostly
# among the 10 nearest, which are candidates whatever their names.
NAME_THRESHOLD = 0.6


def closeness(distance_m: float) -> float:
    """1 within 100 m, 0.5 at 1 km, 0 from 10 km (log scale)."""
    if distance_m <= 100:
        return 1.0
    return max(0.0, 1.0 - math.log10(distance_m / 100) / 2)


def confidence(similarity: float, distance_m: float | None) -> float:
    """How sure a match is, from name similarity and (when known) distance."""
    if distance_m is None:
        return round(0.85 * similarity, 3)
    return round(0.65 * similarity + 0.35 * closeness(distance_m), 3)


# The rows of one batch, staged once; every query below reads them as `r`.
STAGE = """CREATE TEMP TABLE IF NOT EXISTS list_match_rows (
    i integer PRIMARY KEY, q text, qn text, uscc bpchar(18), lon float8, lat float8, pt geometry(Point, 4326))"""
# A USCC on file flagged synthetic (the demo company of a real facility) says nothing about the row's company.
_CANDIDATE_COLS = """r.i, f.id, f.name_zh, f.name_en, f.address, c.uscc,
    coalesce(c.synthetic, false) OR coalesce((f.attrs->>'uscc_synthetic')::boolean, false) AS uscc_synthetic,
    greatest(coalesce(similarity(f.match_zh, r.qn), 0), coalesce(similarity(f.match_en, r.qn), 0)) AS sim,
    CASE WHEN r.pt IS NULL THEN NULL ELSE ST_Distance(f.geom::geography, r.pt::geography) END AS dist"""
# Facilities another brand made from its private rows are no candidates (nor shown as such).
_MINE = "coalesce({t}private_to_brand, %(brand)s) = %(brand)s"
BY_USCC = f"""SELECT {_CANDIDATE_COLS} FROM list_match_rows r
    JOIN companies c ON c.uscc = r.uscc JOIN facilities f ON f.company_id = c.id
    WHERE r.uscc IS NOT NULL AND {_MINE.format(t='f.')}"""
# Candidates of the rows without a USCC on file, each kind one statement for the whole batch:
# - the same name (normalised), by B-tree on each name column;
# - the 10 nearest facilities within NEARBY_M (the box of degrees of latitude and, widened by 1/cos(lat), of
#   longitude lets the GiST index answer before the exact distance on the spheroid is checked);
# - for rows with no facility of the same name, similar names: Chinese by trigram similarity from
#   NAME_THRESHOLD, Latin-script names by their words (every word of the row's name, in any order).
_JOIN = "h JOIN facilities f ON f.id = h.id LEFT JOIN companies c ON c.id = f.company_id"
SAME_NAME = f"""SELECT {_CANDIDATE_COLS} FROM list_match_rows r CROSS JOIN LATERAL (
        (SELECT id FROM facilities WHERE match_zh = r.qn AND {_MINE.format(t='')} LIMIT 20)
        UNION
        (SELECT id FROM facilities WHERE match_en = r.qn AND {_MINE.format(t='')} LIMIT 20)
    ) {_JOIN} WHERE r.i = ANY(%(todo)s) AND r.qn <> ''"""
_BOX = f"ST_Expand(r.pt, {NEARBY_M / 110_000} / greatest(cos(radians(r.lat)), 0.01), {NEARBY_M / 110_000})"
NEARBY = f"""SELECT {_CANDIDATE_COLS} FROM list_match_rows r CROSS JOIN LATERAL (
        SELECT id FROM facilities WHERE geom && {_BOX}
           AND ST_DWithin(geom::geography, r.pt::geography, {NEARBY_M}) AND {_MINE.format(t='')}
         ORDER BY geom <-> r.pt LIMIT 10
    ) {_JOIN} WHERE r.i = ANY(%(todo)s) AND r.pt IS NOT NULL"""
SIMILAR_NAME = f"""SELECT {_CANDIDATE_COLS} FROM list_match_rows r CROSS JOIN LATERAL (
        (SELECT id FROM facilities WHERE r.qn !~ '^[ -~]*$' AND match_zh %% r.qn AND {_MINE.format(t='')}
         ORDER BY similarity(match_zh, r.qn) DESC LIMIT 20)
        UNION
        (SELECT id FROM facilities WHERE r.qn ~ '^[ -~]*$'
           AND to_tsvector('simple', match_en) @@ plainto_tsquery('simple', r.qn) AND {_MINE.format(t='')}
         LIMIT 50)
    ) {_JOIN} WHERE r.i = ANY(%(todo)s) AND r.qn <> ''"""
BATCH = 2000


def _candidate(rec, row_uscc: str | None) -> dict:
    """A candidate facility with its confidence: halved when a real USCC on file names another company."""
    _, fid, zh, en, address, code, code_synthetic, sim, dist = rec
    conf = confidence(float(sim), None if dist is None else float(dist))
    if row_uscc and code and code.strip() != row_uscc and not code_synthetic:
        conf = round(conf * 0.5, 3)  # the registry says it is another company
    return {"facility_id": fid, "name_zh": zh, "name_en": en, "address": address,
            "uscc": code and code.strip(), "uscc_synthetic": bool(code_synthetic),
            "similarity": round(float(sim), 3),
            "distance_m": None if dist is None else round(float(dist)), "confidence": conf}


def _by_uscc(r: Row, found: list) -> None:
    """Link a row to the facilities of its USCC's company (the nearest first)."""
    found.sort(key=lambda x: (x[8] is None, x[8] or 0, x[1]))
    r.candidates = [_candidate(x, None) | {"confidence": 1.0, "by": "uscc"} for x in found[:5]]
    r.outcome, r.decision = "linked", "auto"
    r.match_facility_id = r.facility_id = r.candidates[0]["facility_id"]
    r.confidence = 1.0
    r.reason = f"USCC {r.uscc} on file"


def _decide(r: Row, found: list) -> None:
    """Rank a row's name and place candidates and set its outcome by the best one's confidence."""
    cands = {rec[1]: _candidate(rec, r.uscc) for rec in found}
    ranked = sorted(cands.values(), key=lambda c: (-c["confidence"], c["facility_id"]))[:5]
    r.candidates = ranked
    top = ranked[0] if ranked else None
    r.confidence = top["confidence"] if top else 0.0
    if top and top["confidence"] >= AUTO_LINK:
        r.outcome, r.decision = "linked", "auto"
        r.match_facility_id = r.facility_id = top["facility_id"]
        r.reason = _why(top)
    elif top and top["confidence"] >= REVIEW:
        r.outcome = "review"
        r.match_facility_id = top["facility_id"]
        r.reason = "uncertain match: " + _why(top)
    else:
        best = f" (best confidence {top['confidence']:.2f})" if top else ""
        if r.lon is not None:
            r.outcome, r.decision = "new_facility", "auto"
            r.reason = "no facility on file matches" + best
        elif r.address:  # placed from its address after the batch (place_from_address), or rejected there
            r.outcome, r.reason = UNPLACED, "no facility on file matches" + best
        else:
            reject(r, f"lon: no facility on file matches{best} and the row has no coordinates to create one")


def place_from_address(conn: psycopg.Connection, rows: list[Row]) -> None:
    """Rows with no match and no coordinates, placed from their address by the bundled place index (a county,
    prefecture or place; an OpenStreetMap street when one is loaded) with the precision recorded; a row whose
    address names no such place, or only a province, is rejected with the reason (never guessed)."""
    todo = [r for r in rows if r.outcome == UNPLACED]
    if not todo:
        return
    index = gazetteer(conn)
    found = {a: index.locate(a) for a in dict.fromkeys(r.address or "" for r in todo)}
    on_street = streets(conn, index, [a for a, f in found.items() if f and f[1] != "province"])
    for r in todo:
        got = found[r.address or ""]
        if got is None or got[1] == "province":
            what = f"only the province ({got[0].name_zh})" if got else "no county, prefecture or place"
            reject(r, f"address: {r.reason}, the row has no coordinates and its address names {what} "
                      f"that can be placed: give lon and lat")
            continue
        entry, precision = got
        r.lon, r.lat, r.crs, r.precision = entry.lon, entry.lat, "wgs84", precision
        r.outcome, r.decision = "new_facility", "auto"
        street = on_street.get(r.address or "")
        if street and street.ambiguous is None and street.lon is not None:
            r.lon, r.lat, r.precision = street.lon, street.lat, "street"
            where = street.area.name_zh or street.area.name_en
            r.reason = f"{r.reason}; placed from its address at street level ({street.name}, {where})"
            continue
        r.reason = f"{r.reason}; placed from its address at {precision} level ({entry.name_zh or entry.name_en})"
        if street:
            r.reason += f"; street not chosen: {street.ambiguous}"


def _why(c: dict) -> str:
    where = f", {c['distance_m']} m away" if c["distance_m"] is not None else ", no coordinates given"
    return f"name similarity {c['similarity']:.2f}{where}; confidence {c['confidence']:.2f}"


def match_all(conn: psycopg.Connection, rows: list[Row], brand_id: int, batch: int | None = None,
              progress: Callable[[int], None] | None = None) -> None:
    """Match every row that passed its checks (to facilities everyone sees, and the brand's own), a batch of
    rows per statement: staged once, then one query by USCC and one by name and place for the whole batch."""
    todo = [r for r in rows if not r.bad and r.duplicate_of is None]
    conn.execute(f"SET LOCAL pg_trgm.similarity_threshold = {NAME_THRESHOLD}")
    conn.execute("SET LOCAL jit = off")  # the per-row subplans look costly to the planner; compiling them is not
    conn.execute(STAGE)
    batch = batch or BATCH
    for start in range(0, len(todo), batch):
        part = todo[start:start + batch]
        _match_batch(conn, part, brand_id)
        if progress:
            progress(len(part))
    place_from_address(conn, todo)


def _match_batch(conn: psycopg.Connection, part: list[Row], brand_id: int) -> None:
    """Stage one batch of rows and match them all."""
    conn.execute("TRUNCATE list_match_rows")
    with conn.cursor().copy("COPY list_match_rows (i, q, qn, uscc, lon, lat) FROM STDIN") as cp:
        for i, r in enumerate(part):
            cp.write_row((i, r.name, normalise_name(r.name or ""), r.uscc, r.lon, r.lat))
    conn.execute("""UPDATE list_match_rows SET pt = ST_SetSRID(ST_MakePoint(lon, lat), 4326)
                    WHERE lon IS NOT NULL AND lat IS NOT NULL""")
    conn.execute("ANALYZE list_match_rows")
    found: dict[int, list] = defaultdict(list)
    for rec in conn.execute(BY_USCC, {"brand": brand_id}):
        found[rec[0]].append(rec)
    for i, recs in found.items():
        _by_uscc(part[i], recs)
    todo = [i for i in range(len(part)) if i not in found]
    others: dict[int, list] = defaultdict(list)
    for sql in (SAME_NAME, NEARBY):
        if todo:
            for rec in conn.execute(sql, {"brand": brand_id, "todo": todo}):
                others[rec[0]].append(rec)
    same = {i for i, recs in others.items() if any(float(x[7]) >= 1.0 for x in recs)}
    fuzzy = [i for i in todo if i not in same]
    if fuzzy:
        for rec in conn.execute(SIMILAR_NAME, {"brand": brand_id, "todo": fuzzy}):
            others[rec[0]].append(rec)
    for i in todo:
        _decide(part[i], others.get(i, []))
