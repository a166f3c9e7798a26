"""What the workflow pages show: an enterprise's records and forms, the reviewer's queue, an auditor's requests."""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row

from accounts.users import User
from workflow import audits, claims, explanations, merges, prtr
from workflow.common import claimed_companies


def _dicts(conn: psycopg.Connection, query: str, params: tuple | dict = ()) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, params).fetchall()  # type: ignore[arg-type]


RECORDS = """
SELECT v.id, v.violation_date, v.category, v.authority, v.status::text AS status, v.synthetic, f.id AS facility_id,
       f.name_zh AS facility_zh, f.name_en AS facility_en, f.company_id,
       (SELECT e.status FROM explanations e WHERE e.violation_id = v.id ORDER BY e.version DESC LIMIT 1) AS explanation,
       (SELECT q.status FROM audit_request_records r JOIN audit_requests q ON q.id = r.request_id
        WHERE r.violation_id = v.id ORDER BY q.id DESC LIMIT 1) AS audit
FROM violations v JOIN facilities f ON f.id = v.facility_id
WHERE f.company_id = ANY(%s)
ORDER BY (v.status = 'open') DESC, v.violation_date DESC, v.id DESC
LIMIT 500"""

ORGS = f"""SELECT id, name, accreditation_no, valid_from, valid_to, {audits.CURRENT} AS current,
                  (SELECT count(*) FROM auditors a WHERE a.org_id = o.id) AS auditors
           FROM audit_orgs o ORDER BY name"""

REQUESTS = """
SELECT q.id, q.company_id, c.name_zh AS company_zh, c.name_en AS company_en, c.uscc, q.org_id, o.name AS org,
       q.status, q.note, q.created_at,
       array_agg(r.violation_id ORDER BY r.violation_id) AS records,
       (SELECT a.id FROM audits a WHERE a.request_id = q.id ORDER BY a.id DESC LIMIT 1) AS audit_id
FROM audit_requests q JOIN companies c ON c.id = q.company_id JOIN audit_orgs o ON o.id = q.org_id
JOIN audit_request_records r ON r.request_id = q.id
WHERE {where}
GROUP BY q.id, c.id, o.id ORDER BY q.created_at DESC LIMIT 300"""

AUDITS = """
SELECT a.id, a.request_id, o.name AS org, a.audit_type, a.audit_date, a.result, a.summary, a.report_file_id,
       a.filed_at, a.review_status, a.review_reason, q.company_id, c.name_zh AS company_zh, c.name_en AS company_en,
       (SELECT json_agg(json_build_object('violation_id', af.violation_id, 'finding', af.finding)
                        ORDER BY af.violation_id) FROM audit_findings af WHERE af.audit_id = a.id) AS findings
FROM audits a JOIN audit_orgs o ON o.id = a.org_id JOIN audit_requests q ON q.id = a.request_id
JOIN companies c ON c.id = q.company_id
WHERE {where} ORDER BY a.filed_at DESC LIMIT 300"""

REMOVABLE = """
SELECT v.id, v.violation_date, v.category, f.id AS facility_id, f.name_zh AS facility_zh, f.name_en AS facility_en
FROM violations v JOIN facilities f ON f.id = v.facility_id
WHERE v.status = 'rectified' AND NOT v.synthetic
ORDER BY v.id DESC LIMIT 300"""


def company(conn: psycopg.Connection, user: User) -> dict:
    """The enterprise's page: its claims, companies' records to answer, explanations, audit requests, forms."""
    ids = claimed_companies(conn, user.id)
    facilities = _dicts(conn, """SELECT id, name_zh, name_en, company_id FROM facilities WHERE company_id = ANY(%s)
                                 ORDER BY id""", (ids,))
    return {
        "claims": claims.of_user(conn, user.id), "companies": ids, "facilities": facilities,
        "records": _dicts(conn, RECORDS, (ids,)),
        "explanations": explanations.of_companies(conn, ids),
        "requests": _dicts(conn, REQUESTS.format(where="q.company_id = ANY(%s)"), (ids,)),
        "audits": _dicts(conn, AUDITS.format(where="q.company_id = ANY(%s)"), (ids,)),
        "forms": prtr.forms(conn, [f["id"] for f in facilities]),
        "orgs": [o for o in _dicts(conn, ORGS) if o["current"]],
        "merges": merges.listing(conn, None, ids),
    }


def queue(conn: psycopg.Connection, merge_status: str = "proposed") -> dict:
    """The reviewer's queue: claims, explanations, filed audits, removable records, merge proposals (of
    `merge_status`), with counts; accreditations."""
    body: dict = {
        "claims": claims.pending(conn),
        "explanations": explanations.waiting(conn),
        "audits": _dicts(conn, AUDITS.format(where="a.review_status = 'pending'")),
        "removable": _dicts(conn, REMOVABLE),
        "orgs": _dicts(conn, ORGS),
        "merges": merges.listing(conn, merge_status), "merge_status": merge_status,
        "merge_counts": merges.counts(conn),
    }
    body["counts"] = {k: len(body[k]) for k in ("claims", "explanations", "audits", "removable")}
    body["counts"]["merges"] = body["merge_counts"]["proposed"]
    return body


def auditor(conn: psycopg.Connection, user: User) -> dict:
    """An auditor's organisation and its requests (open ones first), with the records and their explanations."""
    org = audits.current_org(conn, user)
    row = conn.execute("SELECT o.id, o.name, o.accreditation_no, o.valid_from, o.valid_to FROM auditors a "
                       "JOIN audit_orgs o ON o.id = a.org_id WHERE a.user_id = %s", (user.id,)).fetchone()
    if row is None:
        return {"org": None, "current": False, "requests": [], "records": {}}
    requests = _dicts(conn, REQUESTS.format(where="q.org_id = %s"), (row[0],))
    requests.sort(key=lambda r: r["status"] != "requested")
    ids = sorted({v for r in requests for v in r["records"]})
    recs = {r["id"]: r for r in _dicts(conn, """
        SELECT v.id, v.violation_date, v.category, v.status::text AS status, f.name_zh AS facility_zh,
               f.name_en AS facility_en,
               (SELECT json_build_object('cause_zh', e.cause_zh, 'cause_en', e.cause_en, 'measures_zh', e.measures_zh,
                                         'measures_en', e.measures_en, 'body', e.body, 'id', e.id)
                FROM explanations e WHERE e.violation_id = v.id AND e.status = 'accepted'
                ORDER BY e.version DESC LIMIT 1) AS explanation
        FROM violations v JOIN facilities f ON f.id = v.facility_id WHERE v.id = ANY(%s)""", (ids,))}
    org_info = dict(zip(("id", "name", "accreditation_no", "valid_from", "valid_to"), row, strict=True))
    return {"org": org_info, "current": org is not None, "requests": requests, "records": recs}
