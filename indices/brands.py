"""Brand index snapshots (CITI-like and SCTI-like): compute from the database, store, check, rank and read.

A snapshot holds the score, each indicator's value and points (public) and the counts behind them (`private`:
they could reveal how many private suppliers a brand has). Public readers get the snapshot without `private`;
the brand's own users and admins get it whole. Recomputing a year from unchanged data gives the same numbers.
"""

from __future__ import annotations

import csv
import io

import psycopg
from psycopg.types.json import Jsonb

from core.errors import NotFound
from core.spreadsheet import safe_cell
from indices import brand_inputs
from indices.methodology import Methodology, latest

INDICES = ("citi", "scti")


def methodologies() -> list[Methodology]:
    """The newest methodology of each brand index."""
    return [latest(i) for i in INDICES]


def compute(conn: psycopg.Connection, year: int) -> list[dict]:
    """Every brand's snapshot of every brand index for `year` (not stored)."""
    version = conn.execute("SELECT version FROM data_version").fetchone()
    data_version = int(version[0]) if version else 0
    counts = brand_inputs.brand_counts(conn, year)
    out = []
    for m in methodologies():
        for c in counts:
            score, rows = m.score(brand_inputs.values(c), set(brand_inputs.AVAILABLE))
            private = {k: (float(v) if k == "median_days" and v is not None else v)
                       for k, v in c.items() if k != "brand_id"}
            out.append({"index_id": m.id, "methodology": m.version, "year": year, "brand_id": c["brand_id"],
                        "score": score, "indicators": {"rows": rows, "private": private},
                        "data_version": data_version})
    return out


def store(conn: psycopg.Connection, snapshots: list[dict]) -> int:
    """Write snapshots, replacing those of the same index, methodology, year and brand."""
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO index_snapshots (index_id, methodology, year, brand_id, score, indicators, data_version)
               VALUES (%s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (index_id, methodology, year, brand_id) DO UPDATE SET score = EXCLUDED.score,
                 indicators = EXCLUDED.indicators, data_version = EXCLUDED.data_version, computed_at = now()""",
            [(s["index_id"], s["methodology"], s["year"], s["brand_id"], s["score"], Jsonb(s["indicators"]),
              s["data_version"]) for s in snapshots])
    return len(snapshots)


def differences(conn: psycopg.Connection, year: int) -> list[str]:
    """Recompute `year` and name every stored snapshot whose score or indicators differ (empty: reproduced)."""
    fresh = {(s["index_id"], s["methodology"], s["brand_id"]): s for s in compute(conn, year)}
    stored = conn.execute(
        "SELECT index_id, methodology, brand_id, score, indicators FROM index_snapshots WHERE year = %s",
        (year,)).fetchall()
    out = []
    for index_id, meth, brand_id, score, indicators in stored:
        s = fresh.pop((index_id, meth, brand_id), None)
        if s is None:
            continue  # an older methodology version: not recomputed
        if s["score"] != score or s["indicators"] != indicators:
            out.append(f"{index_id} {meth} brand {brand_id}: stored {score}, recomputed {s['score']}")
    out += [f"{k[0]} {k[1]} brand {k[2]}: not stored" for k in fresh]
    return out


_RANKING = """
    SELECT b.slug, b.name_zh, b.name_en, b.synthetic, s.score, s.indicators, s.data_version, s.computed_at,
           s.methodology, rank() OVER (ORDER BY s.score DESC) AS rank,
           (SELECT p.score FROM index_snapshots p WHERE p.index_id = s.index_id AND p.methodology = s.methodology
              AND p.brand_id = s.brand_id AND p.year = s.year - 1) AS previous
    FROM index_snapshots s JOIN brands b ON b.id = s.brand_id
    WHERE s.index_id = %s AND s.year = %s AND s.methodology = %s"""
SORTS = {"rank": "rank, slug", "name": "coalesce(name_en, slug), slug", "score": "score DESC, slug",
         "change": "score - previous DESC NULLS LAST, slug"}


def _public(row: dict) -> dict:
    """A snapshot row as everyone may see it: no private counts."""
    row = dict(row)
    row["indicators"] = row["indicators"]["rows"]
    return row


def years(conn: psycopg.Connection, index_id: str) -> list[int]:
    """The years with stored snapshots of an index, newest first."""
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT year FROM index_snapshots WHERE index_id = %s ORDER BY year DESC", (index_id,))]


def ranking(conn: psycopg.Connection, index_id: str, year: int, sort: str = "rank") -> list[dict]:
    """Every brand's public snapshot for an index and year, ranked, with last year's score."""
    m = latest(index_id)
    cur = conn.execute(f"SELECT * FROM ({_RANKING}) r ORDER BY {SORTS[sort]}", (index_id, year, m.version))
    cols = [d.name for d in cur.description or ()]
    return [_public(dict(zip(cols, r, strict=True))) for r in cur]


def brand_history(conn: psycopg.Connection, slug: str, index_id: str, private: bool) -> dict:
    """One brand's snapshots of an index by year (with the private counts only when `private`)."""
    b = conn.execute("SELECT id, slug, name_zh, name_en, synthetic FROM brands WHERE slug = %s", (slug,)).fetchone()
    if b is None:
        raise NotFound(f"no brand {slug!r}")
    m = latest(index_id)
    cur = conn.execute(
        """SELECT year, score, indicators, data_version, computed_at FROM index_snapshots
           WHERE brand_id = %s AND index_id = %s AND methodology = %s ORDER BY year""", (b[0], index_id, m.version))
    cols = [d.name for d in cur.description or ()]
    snaps = [dict(zip(cols, r, strict=True)) for r in cur]
    if not private:
        snaps = [_public(s) for s in snaps]
    return {"brand": {"slug": b[1], "name_zh": b[2], "name_en": b[3], "synthetic": b[4]},
            "index_id": index_id, "methodology": m.version, "snapshots": snaps}


def ranking_csv(rows: list[dict], index_id: str, year: int) -> bytes:
    """The ranking as CSV (UTF-8 with BOM): rank, brand, score, change, each indicator's value and points."""
    m = latest(index_id)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    head = ["rank", "brand", "name_zh", "score", "previous", "synthetic"]
    for ind in m.indicators:
        head += [f"{ind.id}_value", f"{ind.id}_points"]
    w.writerow([f"# {m.version} {year}; statuses: na = nothing applies, missing = input not in the database yet"])
    w.writerow(head)

    for r in rows:
        by_id = {x["id"]: x for x in r["indicators"]}
        line = [r["rank"], r["name_en"], r["name_zh"], r["score"], r["previous"], r["synthetic"]]
        for ind in m.indicators:
            x = by_id.get(ind.id, {})
            line += [x.get("value") if x.get("status") == "ok" else x.get("status"), x.get("points")]
        w.writerow([safe_cell(c) for c in line])
    return ("\ufeff" + buf.getvalue()).encode()
