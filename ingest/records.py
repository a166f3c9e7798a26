"""The facility of each staged record of a records (violations) file, before its insert."""

from __future__ import annotations

import psycopg

from ingest.merged import resolve_merged_violations
from ingest.report import FileReport


def resolve_facilities(conn: psycopg.Connection, dataset_id: str, report: FileReport) -> None:
    """Each staged record's facility: in this upload's data set by id, or anywhere by id or USCC (a facility merged
    into another: its survivor); the rows left without one are reported and taken out of the stage."""
    conn.execute("ALTER TABLE file_stage ADD COLUMN facility_id bigint")
    found = conn.execute("""UPDATE file_stage s SET facility_id = f.id FROM facilities f
                            WHERE s.facility_ext_id IS NOT NULL AND f.ext_id = s.facility_ext_id
                            AND f.dataset_id = %s""", (dataset_id,)).rowcount
    # Every staged row (report.valid counts them) found in the data set, as in a national refresh: the other passes
    # would each read them all. (Were one left, the insert would fail on facility_id's NOT NULL, not lose it.)
    if found == report.valid:
        return
    resolve_merged_violations(conn, dataset_id)
    conn.execute("""UPDATE file_stage s SET facility_id = f.id FROM facilities f
                    WHERE s.facility_id IS NULL AND s.facility_ext_id IS NOT NULL AND f.ext_id = s.facility_ext_id""")
    resolve_merged_violations(conn, None)
    conn.execute("""UPDATE file_stage s SET facility_id = (SELECT f.id FROM facilities f JOIN companies c
                    ON c.id = f.company_id WHERE c.uscc = s.facility_uscc ORDER BY f.id LIMIT 1)
                    WHERE s.facility_id IS NULL AND s.facility_uscc IS NOT NULL""")
    missing = conn.execute("""SELECT line, facility_ext_id, facility_uscc FROM file_stage
                              WHERE facility_id IS NULL ORDER BY line""").fetchall()
    for line, ext, code in missing:
        col, val = ("facility_ext_id", ext) if ext else ("facility_uscc", code)
        report.add(line, col, f"no facility with {col} {val!r}")
    report.valid -= len(missing)
    if missing:
        conn.execute("DELETE FROM file_stage WHERE facility_id IS NULL")
