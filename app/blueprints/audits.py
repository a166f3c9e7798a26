"""The auditor's side: the requests assigned to their accredited organisation, and filing an audit."""

from __future__ import annotations

import json

from flask import Blueprint

from app import auth, db
from app.actions import action, answer, fields, save_file
from app.render import page
from core.errors import Invalid
from workflow import audits, views

bp = Blueprint("audits", __name__)
auth.protect(bp)


@bp.get("/audits")
@auth.require_user
def audits_page():
    """The auditor's organisation and its requests, open ones first."""
    with db.conn() as c:
        body = views.auditor(c, auth.signed_in_user())
    return page("audits.html", d=body)


@bp.get("/api/audits")
@auth.require_user
def audits_api():
    """The same as JSON."""
    with db.conn() as c:
        return answer(views.auditor(c, auth.signed_in_user()))


@bp.post("/api/audits/requests/<int:request_id>")
@auth.require_user
@action
def file_audit(request_id: int):
    """File the audit of a request: audit_type, audit_date, result, summary, findings (object, or finding_<id>
    form fields), report file."""
    f = fields()
    if isinstance(f.get("findings"), str):
        try:
            f["findings"] = json.loads(f["findings"])
        except ValueError:
            raise Invalid("findings: a JSON object of record id -> finding") from None
    if not isinstance(f.get("findings"), dict):
        f["findings"] = {k.removeprefix("finding_"): v for k, v in f.items() if k.startswith("finding_")}
    with db.conn() as c:
        report = save_file(c, "report", "audit_report", required=False)
        audit_id = audits.file(c, auth.signed_in_user(), request_id, f, report)
    return answer({"id": audit_id, "review_status": "pending"}, 201)
