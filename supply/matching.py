"""Matching a supplier-list row to a facility on file: by USCC, else by name similarity and distance.

A valid USCC on file gives that company's facility (confidence 1). Otherwise candidates come from name
similarity (pg_trgm on the Chinese and English names, legal-form words removed) and distance (PostGIS);
confidence = 0.65 x similarity + 0.35 x closeness; without coordinates, 0.85 x similarity. At or above
AUTO_LINK the row links itself, from REVIEW it waits for the brand's review, below it makes a new facility.
A row whose USCC differs from a real one on file gets half the confidence (a synthetic one on file, flagged
so, does not count against the candidate).
"""

from __future__ import annotations

import math
import re

import psycopg

from supply.rows import Row, reject

AUTO_LINK = 0.80
REVIEW = 0.50
NEARBY_M = 5000
# Legal-form words that every company name shares: removed before names are compared.
_LEGAL = (r"(股份有限公司|有限责任公司|有限公司|分公司|集团|公司|厂|"
          r"co\.?,?\s*ltd\.?|company|limited|ltd\.?|inc\.?|corporation|corp\.?|group|factory|llc)")
_PUNCT = r"[[:punct:][:space:]（）()，、·]+"


def normalise_name(name: str) -> str:
    """Lower case, legal-form words and punctuation removed (mirrors NORM_SQL)."""
    s = re.sub(_LEGAL, "", (name or "").lower())
    return re.sub(r"[\W_（）()，、·]+", " ", s).strip()


def norm_sql(col: str) -> str:
    """SQL for a column's name normalised as `normalise_name` does."""
    return f"btrim(regexp_replace(regexp_replace(lower({col}), '{_LEGAL}', '', 'g'), '{_PUNCT}', ' ', 'g'))"


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


_POINT = "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)"
# A USCC on file flagged synthetic (the demo company of a real facility) says nothing about the row's company.
_CANDIDATE_COLS = f"""f.id, f.name_zh, f.name_en, f.address, c.uscc,
    coalesce(c.synthetic, false) OR coalesce((f.attrs->>'uscc_synthetic')::boolean, false) AS uscc_synthetic,
    greatest(coalesce(similarity({norm_sql('f.name_zh')}, %(qn)s), 0),
             coalesce(similarity({norm_sql('f.name_en')}, %(qn)s), 0)) AS sim,
    CASE WHEN %(lon)s::float8 IS NULL THEN NULL
         ELSE ST_Distance(f.geom::geography, {_POINT}::geography) END AS dist"""
# Facilities another brand made from its private rows are no candidates (nor shown as such).
_MINE = "coalesce(private_to_brand, %(brand)s) = %(brand)s"
BY_USCC = f"""SELECT {_CANDIDATE_COLS} FROM companies c JOIN facilities f ON f.company_id = c.id
    WHERE c.uscc = %(uscc)s::bpchar AND {_MINE.replace('private_to_brand', 'f.private_to_brand')}
    ORDER BY dist NULLS LAST, f.id LIMIT 5"""
BY_NAME = f"""SELECT {_CANDIDATE_COLS} FROM (
        (SELECT id FROM facilities WHERE name_zh %% %(q)s AND {_MINE}
         ORDER BY similarity(name_zh, %(q)s) DESC LIMIT 20)
        UNION
        (SELECT id FROM facilities WHERE lower(name_en) %% lower(%(q)s) AND {_MINE}
         ORDER BY similarity(lower(name_en), lower(%(q)s)) DESC LIMIT 20)
    ) h JOIN facilities f ON f.id = h.id LEFT JOIN companies c ON c.id = f.company_id"""
NEARBY = f"""SELECT {_CANDIDATE_COLS} FROM (
        SELECT id FROM facilities WHERE ST_DWithin(geom::geography, {_POINT}::geography, {NEARBY_M}) AND {_MINE}
        ORDER BY geom <-> {_POINT} LIMIT 10
    ) h JOIN facilities f ON f.id = h.id LEFT JOIN companies c ON c.id = f.company_id"""


def _candidate(rec, row_uscc: str | None) -> dict:
    """A candidate facility with its confidence: halved when a real USCC on file names another company."""
    fid, zh, en, address, code, code_synthetic, sim, dist = rec
    conf = confidence(float(sim), None if dist is None else float(dist))
    if row_uscc and code and code.strip() != row_uscc and not code_synthetic:
        conf = round(conf * 0.5, 3)  # the registry says it is another company
    return {"facility_id": fid, "name_zh": zh, "name_en": en, "address": address,
            "uscc": code and code.strip(), "uscc_synthetic": bool(code_synthetic),
            "similarity": round(float(sim), 3),
            "distance_m": None if dist is None else round(float(dist)), "confidence": conf}


def match(conn: psycopg.Connection, r: Row, brand_id: int) -> None:
    """Set the row's outcome (linked, review or new_facility, or rejected), match and candidates."""
    params = {"q": r.name, "qn": normalise_name(r.name or ""), "lon": r.lon, "lat": r.lat, "uscc": r.uscc,
              "brand": brand_id}
    if r.uscc:
        found = conn.execute(BY_USCC, params).fetchall()
        if found:
            r.candidates = [_candidate(x, None) | {"confidence": 1.0, "by": "uscc"} for x in found]
            r.outcome, r.decision = "linked", "auto"
            r.match_facility_id = r.facility_id = r.candidates[0]["facility_id"]
            r.confidence = 1.0
            r.reason = f"USCC {r.uscc} on file"
            return
    cands: dict[int, dict] = {}
    queries = [BY_NAME] + ([NEARBY] if r.lon is not None else [])
    for sql in queries:
        for rec in conn.execute(sql, params):
            cands[rec[0]] = _candidate(rec, r.uscc)
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
        else:
            reject(r, f"lon: no facility on file matches{best} and the row has no coordinates to create one")


def _why(c: dict) -> str:
    where = f", {c['distance_m']} m away" if c["distance_m"] is not None else ", no coordinates given"
    return f"name similarity {c['similarity']:.2f}{where}; confidence {c['confidence']:.2f}"


def match_all(conn: psycopg.Connection, rows: list[Row], brand_id: int) -> None:
    """Match every row that passed its checks (to facilities everyone sees, and the brand's own)."""
    conn.execute("SELECT set_limit(0.3)")
    for r in rows:
        if not r.bad and r.duplicate_of is None:
            match(conn, r, brand_id)
