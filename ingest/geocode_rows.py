"""Facility-file rows with an address but no coordinates, placed from the place index with the precision kept.

A row whose lon and lat are both empty and that has an address (or province, city and county columns) is staged
without a point. After staging, `place` reads those rows once, finds each distinct address in the place index
that supplier lists use (`ingest.geocode`: provinces, prefectures, counties, places), and sets the points and
precisions of the whole file in one statement. When an OpenStreetMap extract is loaded, an address naming one of
its streets inside the county (or prefecture) found is placed on that street instead (`ingest.geocode_streets`,
precision 'street'; a street name two streets far apart bear is noted and the row stays at its county).
A row whose address names nothing that can be placed, only a province, or two different areas of the same name
at the same level, is reported and never guessed.
"""

from __future__ import annotations

from pathlib import Path

import psycopg

from geo.gazetteer import PRECISION, Entry, Gazetteer
from ingest import geocode_streets
from ingest.geocode import gazetteer
from ingest.reader import read_table
from ingest.report import FileReport

ADMIN_COLUMNS = ("province", "city", "county")  # optional columns read before the address, widest first
PLURAL = {"province": "provinces", "prefecture": "prefectures", "county": "counties", "place": "places"}
MAX_NOTES = 20  # addresses whose street was ambiguous, noted one by one
_PLACE = """UPDATE file_stage s SET geom = ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326), location_precision = p.prec
            FROM unnest(%s::int[], %s::float8[], %s::float8[], %s::text[]) AS p(line, lon, lat, prec)
            WHERE s.line = p.line"""


def wanted(row: dict) -> str | None:
    """The text to place a row from: its province, city and county cells (those its address does not already
    hold) before its address; None when the row gives a coordinate or names no place at all."""
    if (row.get("lon") or "").strip() or (row.get("lat") or "").strip():
        return None
    address = (row.get("address") or "").strip()
    parts = [p for c in ADMIN_COLUMNS if (p := (row.get(c) or "").strip()) and p not in address]
    return "".join(parts) + address or None


def _name(e: Entry) -> str:
    """An entry as a reason names it: Chinese name and code, within its nearest parent."""
    return f"{e.name_zh or e.name_en}{f' ({e.code})' if e.code else ''}"


def placement(index: Gazetteer, text: str) -> tuple[Entry, str] | str:
    """(entry, precision) for an address, or the reason it cannot be placed."""
    path, clash = index.resolve(text)
    if clash:
        kinds = PLURAL.get(clash[0].kind, clash[0].kind)
        within = f" in {path[-1].name_zh}" if path else ""
        names = "; ".join(f"{_name(e)} of {p[0].name_zh}" if (p := index.chain(e)) else _name(e) for e in clash)
        return (f"ambiguous: {len(clash)} {kinds}{within} fit {text!r} ({names}); "
                f"add the province or prefecture to the address, or give lon and lat")
    if not path:
        return f"no county, prefecture or place found in {text!r}: give lon and lat, or a fuller address"
    if path[-1].kind == "province":
        return f"{text!r} names only the province ({path[-1].name_zh}): give lon and lat, or a fuller address"
    return path[-1], PRECISION[path[-1].kind]


def place(conn: psycopg.Connection, report: FileReport, path: Path, encoding: str | None
          ) -> list[tuple[int, str, list[str]]]:
    """Place the staged rows that have no point (one update for the file); report and unstage those that cannot be
    placed, returning them as rejects. Adds file_stage.location_precision (NULL: the row gave its coordinates)."""
    conn.execute("ALTER TABLE file_stage ADD COLUMN location_precision text")
    todo = conn.execute("SELECT line, address FROM file_stage WHERE geom IS NULL ORDER BY line").fetchall()
    if not todo:
        return []
    index = gazetteer(conn)
    found = {text: placement(index, text) for text in dict.fromkeys(t for _, t in todo)}
    points = _points(conn, index, found, report)
    placed: list[tuple[int, float, float, str]] = []
    failed: dict[int, str] = {}
    for line, text in todo:
        if text in points:
            placed.append((line, *points[text]))
        else:
            failed[line] = str(found[text])
    if placed:
        conn.execute(_PLACE, [list(col) for col in zip(*placed, strict=True)])
    if not failed:
        return []
    conn.execute("DELETE FROM file_stage WHERE line = ANY(%s)", (list(failed),))
    report.valid -= len(failed)
    for line, reason in failed.items():
        report.add(line, "address", reason)
    cells = _cells(path, encoding, set(failed))
    return [(line, f"address: {reason}", cells.get(line, [])) for line, reason in failed.items()]


def _points(conn: psycopg.Connection, index: Gazetteer, found: dict[str, tuple[Entry, str] | str],
            report: FileReport) -> dict[str, tuple[float, float, str]]:
    """Each placeable address's point and precision: on its street when the OpenStreetMap import has the street it
    names in its area, else at the area's point; a street that could be either of two is noted, not guessed."""
    points = {t: (g[0].lon, g[0].lat, g[1]) for t, g in found.items() if not isinstance(g, str)}
    unsure = 0
    for text, street in geocode_streets.streets(conn, index, list(points)).items():
        if street.ambiguous is None and street.lon is not None and street.lat is not None:
            points[text] = (street.lon, street.lat, "street")
            continue
        unsure += 1
        if unsure <= MAX_NOTES:
            report.notes.append(f"{text!r} placed at {points[text][2]} level, street not chosen: {street.ambiguous}")
    if unsure > MAX_NOTES:
        report.notes.append(f"... and {unsure - MAX_NOTES} more addresses whose street was not chosen")
    return points


def _cells(path: Path, encoding: str | None, lines: set[int]) -> dict[int, list[str]]:
    """The cells of some lines of the file, as the rejects file shows them (the file is read again)."""
    out = {}
    for row in read_table(path, encoding).rows:
        if row.line in lines:
            out[row.line] = list(row.cells)
    return out
