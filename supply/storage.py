"""Storing supplier lists: facilities made from rows, list versions with their rows, accepting a version.

Accepting a version makes its links active and every earlier link of the brand inactive (kept, not deleted),
records its supplier -> buyer edges and bumps the data version. A link is public only when every row naming
that facility says so; a facility made from private rows is seen by the brand alone until it is linked
publicly. Nothing here commits: the caller does.
"""

from __future__ import annotations

import hashlib
import json
import re

import psycopg

from core.datasets import Dataset
from db.staging import bump_data_version, register_dataset
from ingest.facilities import assign_area_codes
from supply.matching import normalise_name
from supply.rows import OUTCOMES, ListError, Row

DATASET = Dataset("upload:supplier-lists", "Supplier lists uploaded by brands", "provided by the brands",
                  None, "Supplier names, addresses and locations as listed by the brands that uploaded them.",
                  None)
CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff]")


def _key(r: Row, brand_id: int) -> str:
    """The ext_id of the facility a row makes: the same name and place give the same one (per brand if private)."""
    key = "sl:" + hashlib.sha1(f"{normalise_name(r.name)}|{r.lon:.5f}|{r.lat:.5f}".encode()).hexdigest()[:16]
    return key if r.public else key + f":b{brand_id}"


def new_facilities(conn: psycopg.Connection, rows: list[Row], brand_id: int) -> list[int]:
    """The facilities made from rows (the same name and place give the same facility), in the rows' order.

    Made from a private row it is the brand's own (`private_to_brand`): hidden from everyone else until the
    brand links it publicly; another brand's row with the same name and place makes a facility of its own.
    All rows in a few statements (companies, facilities, their ids), then the province codes once."""
    if not rows:
        return []
    assert all(r.lon is not None and r.lat is not None and r.name for r in rows)
    register_dataset(conn, DATASET)
    with conn.cursor() as cur:
        cur.executemany("""INSERT INTO companies (uscc, name_zh, name_en, dataset_id) VALUES (%s, %s, %s, %s)
                           ON CONFLICT (uscc) DO NOTHING""",
                        [(r.uscc, *_names(r), DATASET.id) for r in rows if r.uscc])
    codes = list({r.uscc for r in rows if r.uscc})
    company = dict(conn.execute("SELECT uscc, id FROM companies WHERE uscc = ANY(%s::bpchar[])", (codes,)).fetchall())
    company = {k.strip(): v for k, v in company.items()}
    keys = [_key(r, brand_id) for r in rows]
    merged = dict(conn.execute("SELECT ext_id, survivor_id FROM facility_aliases WHERE dataset_id = %s AND "
                               "ext_id = ANY(%s)", (DATASET.id, keys)).fetchall())  # merged away: the survivor
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO facilities (dataset_id, ext_id, company_id, name_zh, name_en, industry, address, source_crs,
                                       attrs, geom, private_to_brand, location_precision)
               VALUES (%s, %s, %s, %s, %s, 'other', %s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s)
               ON CONFLICT (dataset_id, ext_id) DO NOTHING""",
            [(DATASET.id, key, company.get(r.uscc) if r.uscc else None, *_names(r), r.address, r.crs or "wgs84",
              json.dumps({"source": "brand supplier list"}), round(r.lon, 7), round(r.lat, 7),
              None if r.public else brand_id, r.precision) for r, key in zip(rows, keys, strict=True)
             if key not in merged])
    ids = merged | dict(conn.execute("SELECT ext_id, id FROM facilities WHERE dataset_id = %s AND ext_id = ANY(%s)",
                            (DATASET.id, keys)).fetchall())
    assign_area_codes(conn, DATASET.id)
    return [int(ids[k]) for k in keys]


def new_facility(conn: psycopg.Connection, r: Row, brand_id: int) -> int:
    """The facility made from one row (see `new_facilities`)."""
    return new_facilities(conn, [r], brand_id)[0]


def _names(r: Row) -> tuple[str | None, str | None]:
    """A row's name as the Chinese or the English name, by its script."""
    return (r.name, None) if CJK.search(r.name or "") else (None, r.name)


def summarise(rows: list[Row], how: str = "", refused: bool = False) -> dict:
    """Rows by outcome, duplicates, how the file was read, and (when refused) the lines of the rows that
    refused the list."""
    counts = {o: 0 for o in OUTCOMES}
    for r in rows:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    out = {"rows": len(rows), **counts, "duplicates": sum(r.duplicate_of is not None for r in rows),
           "read_as": how}
    if refused:
        out["refused_by"] = [r.line for r in rows if r.bad]
    return out


_ROW_COLS = ("list_id", "line", "ref", "raw", "name", "address", "uscc", "lon", "lat", "crs", "tier",
             "parent_ref", "is_public", "outcome", "reason", "match_facility_id", "confidence", "candidates",
             "facility_id", "decision")


def _store_rows(conn: psycopg.Connection, list_id: int, rows: list[Row]) -> None:
    """COPY the rows of a list version, with what became of each."""
    with conn.cursor().copy(f"COPY supplier_list_rows ({', '.join(_ROW_COLS)}) FROM STDIN") as copy:
        for r in rows:
            copy.write_row((list_id, r.line, r.ref, json.dumps(r.raw, ensure_ascii=False), r.name, r.address,
                            r.uscc, r.lon, r.lat, r.crs, r.tier, r.parent_ref, r.public, r.outcome, r.reason,
                            r.match_facility_id, r.confidence, json.dumps(r.candidates, ensure_ascii=False),
                            r.facility_id, r.decision))


def store_version(conn: psycopg.Connection, brand_id: int, rows: list[Row], *, name: str, file_name: str,
                  user_id: int | None, summary: dict, refused: bool) -> tuple[int, int]:
    """Store the rows as the brand's next list version ('rejected' when refused, else 'pending', replacing an
    older version still in review); returns (list id, version)."""
    register_dataset(conn, DATASET)
    version = conn.execute("SELECT coalesce(max(version), 0) + 1 FROM supplier_lists WHERE brand_id = %s",
                           (brand_id,)).fetchone()[0]
    list_id = conn.execute("""INSERT INTO supplier_lists (brand_id, name, version, file_name, status,
                                                          dataset_id, uploaded_by, summary)
                              VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
                           (brand_id, name, version, file_name, "rejected" if refused else "pending",
                            DATASET.id, user_id, json.dumps(summary))).fetchone()[0]
    _store_rows(conn, list_id, rows)
    if not refused:
        conn.execute("""UPDATE supplier_lists SET status = 'replaced', replaced_at = now()
                        WHERE brand_id = %s AND id <> %s AND status = 'pending'""", (brand_id, list_id))
    return list_id, version


def accept(conn: psycopg.Connection, list_id: int) -> None:
    """Make a list version the brand's current one (see the module docstring). Does not commit."""
    row = conn.execute("SELECT brand_id, status FROM supplier_lists WHERE id = %s FOR UPDATE",
                       (list_id,)).fetchone()
    if row is None or row[1] != "pending":
        raise ListError("only a list version waiting for acceptance can be accepted")
    brand_id = row[0]
    if conn.execute("SELECT 1 FROM supplier_list_rows WHERE list_id = %s AND outcome = 'review' LIMIT 1",
                    (list_id,)).fetchone():
        raise ListError("rows of this list still wait for review")
    conn.execute("UPDATE brand_facility_links SET active = false WHERE brand_id = %s AND active", (brand_id,))
    conn.execute("""INSERT INTO brand_facility_links (brand_id, facility_id, list_id, tier, is_public, active,
                                                      dataset_id)
                    SELECT %(b)s, facility_id, %(l)s, (array_agg(tier ORDER BY line))[1], bool_and(is_public),
                           true, %(ds)s
                    FROM supplier_list_rows WHERE list_id = %(l)s AND facility_id IS NOT NULL
                      AND outcome IN ('linked', 'new_facility')
                    GROUP BY facility_id
                    ON CONFLICT (brand_id, facility_id, list_id) DO UPDATE
                      SET active = true, tier = EXCLUDED.tier, is_public = EXCLUDED.is_public""",
                 {"b": brand_id, "l": list_id, "ds": DATASET.id})
    conn.execute("""UPDATE facilities SET private_to_brand = NULL
                    WHERE private_to_brand IS NOT NULL AND id IN (
                        SELECT facility_id FROM brand_facility_links WHERE list_id = %s AND active AND is_public)""",
                 (list_id,))  # linked publicly: everyone may see it now
    # The version's rows were just written, without statistics: a nested loop over a 20,000-row list's rows by
    # reference takes minutes where a hash join takes a fraction of a second.
    conn.execute("SET LOCAL enable_nestloop = off")
    conn.execute("""INSERT INTO supplier_edges (supplier_facility_id, buyer_facility_id, list_id, dataset_id)
                    SELECT DISTINCT s.facility_id, p.facility_id, %(l)s, %(ds)s
                    FROM supplier_list_rows s
                    JOIN supplier_list_rows p ON p.list_id = s.list_id AND p.ref = s.parent_ref
                    WHERE s.list_id = %(l)s AND s.outcome IN ('linked', 'new_facility')
                      AND p.outcome IN ('linked', 'new_facility') AND s.facility_id <> p.facility_id
                    ON CONFLICT DO NOTHING""", {"l": list_id, "ds": DATASET.id})
    conn.execute("SET LOCAL enable_nestloop = on")
    conn.execute("""UPDATE supplier_lists SET status = 'replaced', replaced_at = now()
                    WHERE brand_id = %s AND id <> %s AND status IN ('accepted', 'pending')""",
                 (brand_id, list_id))
    conn.execute("UPDATE supplier_lists SET status = 'accepted', accepted_at = now() WHERE id = %s",
                 (list_id,))
    bump_data_version(conn)


def refresh_summary(conn: psycopg.Connection, list_id: int) -> dict:
    """Recount a version's rows by outcome into its summary; returns the summary."""
    rows = conn.execute("SELECT outcome, count(*) FROM supplier_list_rows WHERE list_id = %s GROUP BY 1",
                        (list_id,)).fetchall()
    counts: dict[str, int] = {r[0]: r[1] for r in rows}
    row = conn.execute("""UPDATE supplier_lists SET summary = summary || %s::jsonb WHERE id = %s
                          RETURNING summary""",
                       (json.dumps({o: counts.get(o, 0) for o in OUTCOMES}), list_id)).fetchone()
    return row[0]
