"""Facilities merged away by a reviewer (workflow's facility_aliases, read here by SQL): file loads honour them.

A merged-away facility's source key (data set, ext_id) names its survivor. Re-loading the file that held the
duplicate must not bring it back, so its rows are left out of the load and counted as merged; a violation file
naming the duplicate's ext_id reaches the survivor.
"""

from __future__ import annotations

import psycopg

from ingest.report import SHOWN, FileReport


def merged_keys(conn: psycopg.Connection, dataset_id: str) -> dict[str, int]:
    """The ext_ids of a data set's facilities merged into others, each with its survivor's id."""
    return dict(conn.execute("SELECT ext_id, survivor_id FROM facility_aliases WHERE dataset_id = %s",
                             (dataset_id,)).fetchall())


def facility_ids(conn: psycopg.Connection, dataset_id: str) -> dict[str, int]:
    """ext_id -> facility id of a data set, a merged-away ext_id giving its survivor's id."""
    live = conn.execute("SELECT ext_id, id FROM facilities WHERE dataset_id = %s", (dataset_id,)).fetchall()
    return merged_keys(conn, dataset_id) | dict(live)


def skip_merged_facilities(conn: psycopg.Connection, dataset_id: str, report: FileReport) -> int:
    """Drop the staged facility rows (file_stage) whose key was merged into another facility; count and note them."""
    rows = conn.execute("""DELETE FROM file_stage s USING facility_aliases a
                           WHERE a.dataset_id = %s AND a.ext_id = s.ext_id
                           RETURNING s.line, s.ext_id, a.survivor_id""", (dataset_id,)).fetchall()
    rows.sort()
    for line, ext, survivor in rows[:SHOWN]:
        report.notes.append(f"line {line}: facility {ext!r} was merged into facility {survivor}; not loaded again")
    if len(rows) > SHOWN:
        report.notes.append(f"... and {len(rows) - SHOWN} more rows of facilities merged into others")
    if rows:
        report.counts["merged"] = len(rows)
    return len(rows)


def resolve_merged_violations(conn: psycopg.Connection, dataset_id: str | None) -> None:
    """Staged violation rows (file_stage) still without a facility whose facility_ext_id names a merged-away
    facility (of `dataset_id`, or of any data set when None): set to the survivor."""
    conn.execute("""UPDATE file_stage s SET facility_id = a.survivor_id FROM facility_aliases a
                    WHERE s.facility_id IS NULL AND s.facility_ext_id IS NOT NULL AND a.ext_id = s.facility_ext_id
                    AND (%(ds)s::text IS NULL OR a.dataset_id = %(ds)s)""", {"ds": dataset_id})
