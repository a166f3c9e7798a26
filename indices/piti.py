"""PITI-like city scoring: assessors score a prefecture's items for a year with evidence, a second assessor
checks each score, and the published ranking sums the agreed items (indices/methodology/piti-v*.yaml)."""

from __future__ import annotations

import random
from functools import lru_cache
from urllib.parse import urlparse

import psycopg
import yaml

from core.errors import Conflict, Forbidden, Invalid, NotFound
from indices.methodology import FOLDER

VERSION = "piti-v1"
# Choropleth: prefecture outlines simplified to about 2 km, drawn as SVG paths (x = lon, y = -lat).
SHAPES = """SELECT a.code, a.name_zh, a.name_en,
                   ST_AsSVG(ST_SimplifyPreserveTopology(a.geom, 0.02), 0, 3) AS path
            FROM admin_areas a WHERE a.level = 'prefecture' AND a.geom IS NOT NULL ORDER BY a.code"""


@lru_cache(maxsize=2)
def methodology(version: str = VERSION) -> dict:
    """The methodology file with an `items` index: item id -> (category, item)."""
    raw = yaml.safe_load((FOLDER / f"{version}.yaml").read_text(encoding="utf-8"))
    raw["items"] = {i["id"]: (c, i) for c in raw["categories"] for i in c["items"]}
    raw["max_total"] = sum(i["max"] for _, i in raw["items"].values())
    return raw


def _city(conn: psycopg.Connection, code: str) -> None:
    if conn.execute("SELECT 1 FROM admin_areas WHERE code = %s AND level = 'prefecture'", (code,)).fetchone() is None:
        raise NotFound(f"no prefecture-level city {code}")


def score(conn: psycopg.Connection, assessor_id: int, year: int, code: str, item: str, points: float,
          evidence_url: str, note: str | None) -> int:
    """Record (or revise, clearing its check) an assessor's score of one item; Invalid for a bad value."""
    m = methodology()
    if item not in m["items"]:
        raise Invalid(f"item: unknown {item!r}")
    top = m["items"][item][1]["max"]
    if not 0 <= points <= top:
        raise Invalid(f"points: between 0 and {top} for {item}")
    u = urlparse(evidence_url or "")
    if u.scheme not in ("http", "https") or not u.netloc or len(evidence_url) > 1000:
        raise Invalid("evidence_url: an http(s) link to what the bureau published")
    _city(conn, code)
    row = conn.execute(
        """INSERT INTO piti_scores (methodology, year, area_code, item, points, evidence_url, note, assessor_id)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (methodology, year, area_code, item) DO UPDATE SET points = EXCLUDED.points,
             evidence_url = EXCLUDED.evidence_url, note = EXCLUDED.note, assessor_id = EXCLUDED.assessor_id,
             scored_at = now(), checker_id = NULL, checked_at = NULL, check_status = NULL, check_note = NULL,
             synthetic = false
           RETURNING id""", (m["version"], year, code, item, points, evidence_url, note, assessor_id)).fetchone()
    return int(row[0])


def check(conn: psycopg.Connection, checker_id: int, score_id: int, status: str, note: str | None) -> None:
    """A second assessor agrees with or disputes a score (never the assessor who gave it)."""
    if status not in ("agreed", "disputed"):
        raise Invalid("status: agreed or disputed")
    row = conn.execute("SELECT assessor_id FROM piti_scores WHERE id = %s", (score_id,)).fetchone()
    if row is None:
        raise NotFound(f"no score {score_id}")
    if row[0] == checker_id:
        raise Forbidden("a score is checked by a second assessor, not the one who gave it")
    conn.execute("""UPDATE piti_scores SET checker_id = %s, checked_at = now(), check_status = %s, check_note = %s
                    WHERE id = %s""", (checker_id, status, note, score_id))


def city_scores(conn: psycopg.Connection, year: int, code: str) -> list[dict]:
    """Every scored item of a city and year, with its check."""
    _city(conn, code)
    cur = conn.execute(
        """SELECT s.id, s.item, s.points, s.evidence_url, s.note, s.scored_at, s.check_status, s.check_note,
                  s.checked_at, s.synthetic, ua.email AS assessor, uc.email AS checker
           FROM piti_scores s LEFT JOIN users ua ON ua.id = s.assessor_id LEFT JOIN users uc ON uc.id = s.checker_id
           WHERE s.methodology = %s AND s.year = %s AND s.area_code = %s ORDER BY s.item""",
        (VERSION, year, code))
    cols = [d.name for d in cur.description or ()]
    return [dict(zip(cols, r, strict=True)) for r in cur]


_RANK = """
    WITH t AS (
        SELECT area_code, year, sum(points) FILTER (WHERE check_status = 'agreed') AS total,
               count(*) FILTER (WHERE check_status = 'agreed') AS agreed, count(*) AS scored,
               bool_or(synthetic) AS synthetic
        FROM piti_scores WHERE methodology = %(m)s AND year IN (%(y)s, %(y)s - 1) GROUP BY area_code, year)
    SELECT a.code, a.name_zh, a.name_en, cur.total, cur.agreed, cur.scored, cur.synthetic,
           prev.total AS previous, rank() OVER (ORDER BY cur.total DESC NULLS LAST) AS rank
    FROM t cur JOIN admin_areas a ON a.code = cur.area_code
    LEFT JOIN t prev ON prev.area_code = cur.area_code AND prev.year = %(y)s - 1
    WHERE cur.year = %(y)s AND cur.agreed > 0 ORDER BY rank, a.code"""


def ranking(conn: psycopg.Connection, year: int) -> list[dict]:
    """Cities with agreed scores in `year`: total, rank, last year's total, whether synthetic."""
    cur = conn.execute(_RANK, {"m": VERSION, "y": year})
    cols = [d.name for d in cur.description or ()]
    return [dict(zip(cols, r, strict=True)) for r in cur]


def years(conn: psycopg.Connection) -> list[int]:
    """Years with agreed scores, newest first."""
    return [r[0] for r in conn.execute("""SELECT DISTINCT year FROM piti_scores WHERE methodology = %s
                                          AND check_status = 'agreed' ORDER BY year DESC""", (VERSION,))]


def shapes(conn: psycopg.Connection) -> list[dict]:
    """Prefecture outlines as SVG paths for the choropleth."""
    cur = conn.execute(SHAPES)
    return [{"code": r[0], "name_zh": r[1], "name_en": r[2], "path": r[3]} for r in cur]


def demo(conn: psycopg.Connection, year: int, cities: int = 40, seed: int = 2026) -> int:
    """Synthetic demo scores (flagged synthetic, agreed) for `cities` prefectures; never over an assessor's."""
    codes = [r[0] for r in conn.execute(
        "SELECT code FROM admin_areas WHERE level = 'prefecture' ORDER BY code LIMIT %s", (cities,))]
    if not codes:
        raise Conflict("no prefecture polygons loaded yet (admin_areas level 'prefecture')")
    rng = random.Random(f"{seed}:{year}")
    m = methodology()
    rows = [(m["version"], year, code, item, float(rng.randint(0, top["max"])))
            for code in codes for item, (_, top) in m["items"].items()]
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO piti_scores (methodology, year, area_code, item, points, evidence_url, note, synthetic,
                   check_status, checked_at)
               VALUES (%s, %s, %s, %s, %s, NULL, 'synthetic demo score', true, 'agreed', now())
               ON CONFLICT (methodology, year, area_code, item) DO UPDATE SET points = EXCLUDED.points
               WHERE piti_scores.synthetic""", rows)
    return len(rows)
