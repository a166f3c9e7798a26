"""Brands' supplier lists, the workflow: read, check, match, store, review. Nothing here commits: the caller does.

The model follows Open Supply Hub's list -> row -> match -> facility, plus supplier-of-supplier edges:

- Read (`supply.intake`, through the shared table reader of `ingest.reader`): CSV (UTF-8 or GB18030) or XLSX.
- Check (`supply.rows`): name required; USCC check digit; coordinates with their datum, checked as
  `bluemap load-file` checks them (in China, swapped lon/lat named) and converted to WGS84; tier category;
  parent row; public flag. Bad rows are rejected with their column and reason. Like `bluemap load-file`, a
  file with a bad row imports nothing unless `skip_invalid` is asked for; the refused version is still kept
  with its row-level report.
- Duplicates (`supply.duplicates`): a row repeating an earlier one (same USCC, or same name within 100 m) is
  reported as a duplicate of that first row and left out; it does not refuse the list.
- Match (`supply.matching`): by USCC, else by name similarity and distance; a sure match links the row, an
  uncertain one waits for review, none makes a new facility from the row (rows without coordinates cannot
  be made into one, and are rejected).
- Store (`supply.storage`): each upload is a new version of the brand's list. It is accepted once no row
  waits for review (at once when none does); accepting makes its links active and the older ones inactive.
- Review (`supply.review`): the brand accepts, chooses, makes new or drops each uncertain row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from geo.datum import DATUMS
from supply.duplicates import mark_duplicates
from supply.intake import COLUMNS, MAX_BYTES, read_rows
from supply.matching import AUTO_LINK, REVIEW, match_all
from supply.review import decide, list_rows, review_queue, versions
from supply.rows import TIERS, ListError, Row, check_references, note_orphans, row_dict
from supply.storage import accept, new_facilities, store_version, summarise

NOT_IMPORTED = "not imported:"
__all__ = ["AUTO_LINK", "COLUMNS", "MAX_BYTES", "REVIEW", "TIERS", "ListError", "Upload", "count_rows", "decide",
           "list_rows", "review_queue", "upload", "versions"]


@dataclass
class Upload:
    """What an upload did: the list version it made and a summary of its rows."""

    list_id: int | None
    version: int | None
    status: str
    committed: bool
    summary: dict
    rows: list[Row]

    def as_dict(self) -> dict:
        """The upload's outcome as JSON-ready data (a refused list's rows that refused it first)."""
        first = set(self.summary.get("refused_by", ()))
        rows = sorted(self.rows, key=lambda r: (r.line not in first, r.line))
        return {"list_id": self.list_id, "version": self.version, "status": self.status,
                "committed": self.committed, "summary": self.summary, "rows": [row_dict(r) for r in rows]}


def upload(conn: psycopg.Connection, brand_id: int, data: bytes, filename: str, *, user_id: int | None = None,
           name: str | None = None, default_crs: str = "wgs84", default_public: bool = False,
           skip_invalid: bool = False, progress: Callable[[int], None] | None = None) -> Upload:
    """Read, check and match a list, store it as the brand's next version, accept it when nothing waits for
    review. The caller commits. ListError for a file that cannot be read at all (nothing stored then).
    `progress`, when given, is called with the number of rows matched after each batch."""
    if default_crs not in DATUMS:
        raise ListError(f"crs must be one of {', '.join(DATUMS)}")
    rows, how = read_rows(data, default_crs, default_public)
    check_references(rows)
    mark_duplicates(rows)
    conn.execute("SELECT id FROM brands WHERE id = %s FOR UPDATE", (brand_id,))
    match_all(conn, rows, brand_id, progress=progress)
    refused = _settle(conn, rows, brand_id, skip_invalid)
    summary = summarise(rows, how, refused)
    list_name = (name or "").strip()[:200] or filename[:200] or "supplier list"
    list_id, version = store_version(conn, brand_id, rows, name=list_name, file_name=filename[:200],
                                     user_id=user_id, summary=summary, refused=refused)
    status = "rejected" if refused else "pending"
    if not refused and summary["review"] == 0:
        accept(conn, list_id)
        status = "accepted"
    return Upload(list_id, version, status, not refused, summary, rows)


def count_rows(data: bytes, default_crs: str = "wgs84") -> int:
    """How many rows a file holds; ListError for a file that cannot be read at all (nothing is queued then)."""
    if default_crs not in DATUMS:
        raise ListError(f"crs must be one of {', '.join(DATUMS)}")
    return len(read_rows(data, default_crs, False)[0])


def _settle(conn: psycopg.Connection, rows: list[Row], brand_id: int, skip_invalid: bool) -> bool:
    """Refuse the whole list when a row is bad (unless skip_invalid), else make the new facilities; True
    when refused."""
    bad = sum(r.bad for r in rows)
    if bad and not skip_invalid:
        for r in rows:
            if not r.bad and r.duplicate_of is None:
                r.outcome, r.facility_id, r.decision, r.match_facility_id = "rejected", None, None, None
                r.confidence, r.candidates = None, []
                r.reason = (f"{NOT_IMPORTED} {bad} row(s) of this file were rejected; fix them, or upload "
                            "again importing only the valid rows")
        return True
    new = [r for r in rows if r.outcome == "new_facility"]
    for r, fid in zip(new, new_facilities(conn, new, brand_id), strict=True):
        r.facility_id = fid
    note_orphans(rows)
    return False
