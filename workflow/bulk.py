"""Bulk steps of the workflow for producers of many records at once (the demo's synthetic lifecycles): the same
rows the one-at-a-time steps write (accepted explanations, confirmed audits with their requests and findings),
in a few statements; the status changes go through `records.move_many`, which keeps the transition rules."""

from __future__ import annotations

from datetime import date, datetime

import psycopg


def accepted_explanations(conn: psycopg.Connection, rows: list[dict], dataset_id: str, synthetic: bool) -> int:
    """Insert accepted explanations: each row has vid, submitted, accepted, cause_zh/en, measures_zh/en, completion."""
    if not rows:
        return 0
    cols = ("vid", "submitted", "accepted", "cause_zh", "cause_en", "measures_zh", "measures_en", "completion")
    arrays = [[r[c] for r in rows] for c in cols]
    cur = conn.execute("""
        INSERT INTO explanations (violation_id, submitted_at, body, rectification, dataset_id, synthetic, version,
            status, company_id, cause_zh, cause_en, measures_zh, measures_en, completion_date, reviewed_at)
        SELECT x.vid, x.submitted, coalesce(x.cause_zh, x.cause_en), coalesce(x.measures_zh, x.measures_en), %s, %s,
               1 + (SELECT count(*) FROM explanations e WHERE e.violation_id = x.vid), 'accepted', f.company_id,
               x.cause_zh, x.cause_en, x.measures_zh, x.measures_en, x.completion, x.accepted
        FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[], %s::text[], %s::text[], %s::text[],
                    %s::text[], %s::date[]) AS x(vid, submitted, accepted, cause_zh, cause_en, measures_zh,
                                                measures_en, completion)
        JOIN violations v ON v.id = x.vid JOIN facilities f ON f.id = v.facility_id""",
        (dataset_id, synthetic, *arrays))
    return cur.rowcount


def passed_audits(conn: psycopg.Connection, org_id: int, rows: list[tuple[int, str, date, datetime, datetime]],
                  summary: str, finding: str, synthetic: bool) -> int:
    """One confirmed, passed audit per record: (vid, type, audit date, filed at, confirmed at)."""
    if not rows:
        return 0
    vids, types, days, filed, confirmed = (list(col) for col in zip(*rows, strict=True))
    conn.execute("""
        CREATE TEMP TABLE bulk_audits ON COMMIT DROP AS
        SELECT x.*, f.company_id, nextval('audit_requests_id_seq') AS request_id, nextval('audits_id_seq') AS audit_id
        FROM unnest(%s::bigint[], %s::text[], %s::date[], %s::timestamptz[], %s::timestamptz[])
             AS x(vid, audit_type, audit_date, filed, confirmed)
        JOIN violations v ON v.id = x.vid JOIN facilities f ON f.id = v.facility_id""",
                 (vids, types, days, filed, confirmed))
    conn.execute("""INSERT INTO audit_requests (id, company_id, org_id, status, note, created_at, synthetic)
                    SELECT request_id, company_id, %s, 'confirmed', 'synthetic demo', filed - interval '20 days', %s
                    FROM bulk_audits""", (org_id, synthetic))
    conn.execute("INSERT INTO audit_request_records SELECT request_id, vid FROM bulk_audits")
    conn.execute("""INSERT INTO audits (id, request_id, org_id, audit_type, audit_date, result, summary, filed_at,
                        review_status, reviewed_at, synthetic)
                    SELECT audit_id, request_id, %s, audit_type, audit_date, 'passed', %s, filed, 'confirmed',
                           confirmed, %s FROM bulk_audits""", (org_id, summary, synthetic))
    cur = conn.execute("INSERT INTO audit_findings SELECT audit_id, vid, %s FROM bulk_audits", (finding,))
    conn.execute("DROP TABLE bulk_audits")
    return cur.rowcount
