"""The enterprise's side of the accountability loop: claims, explanations, audit requests, PRTR forms, files.

Every action is one JSON endpoint (session with CSRF, or Bearer token). The pages' forms post to the same
endpoints with a `_next` field: they then get a redirect back with a message instead of JSON.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, jsonify, request

from app import auth, db
from app.actions import action, answer, fields, save_file, upload_root
from app.render import page
from core import parse
from workflow import audits, claims, explanations, files, merges, prtr, views
from workflow.common import record, require_company
from workflow.prtr_rules import CARRIERS, from_fields

bp = Blueprint("workflow", __name__)
auth.protect(bp)


@bp.get("/account/company")
@auth.require_user
def company_page():
    """The enterprise's records to answer, explanations, audit requests, PRTR forms and claims."""
    with db.conn() as c:
        body = views.company(c, auth.signed_in_user())
    return page("company.html", d=body, report_year=date.today().year - 1)


@bp.get("/api/workflow/company")
@auth.require_user
def company_api():
    """The same as JSON."""
    with db.conn() as c:
        body = views.company(c, auth.signed_in_user())
    return answer(body)


@bp.get("/account/company/claim")
@auth.require_user
def claim_page():
    """The claim form (a facility id may come from its page)."""
    return page("claim.html", facility_id=request.args.get("facility_id", ""))


@bp.post("/api/workflow/claims")
@auth.require_user
@action
def claim():
    """Claim a company: uscc (or facility_id), contact_name, position, contact_phone/contact_email, licence file."""
    with db.conn() as c:
        licence = save_file(c, "licence", "licence")
        assert licence is not None
        claim_id = claims.submit(c, auth.signed_in_user(), fields(), licence)
    return answer({"id": claim_id, "status": "pending"}, 201)


@bp.post("/api/workflow/merge-proposals")
@auth.require_user
@action
def propose_merge():
    """Propose that duplicate_id is the same facility as survivor_id (both of your company), with a reason."""
    with db.conn() as c:
        return answer(merges.propose(c, auth.signed_in_user(), fields()), 201)


@bp.get("/account/company/records/<int:violation_id>/explain")
@auth.require_user
def explain_page(violation_id: int):
    """The explanation form of one record (its enterprise only)."""
    with db.conn() as c:
        rec = record(c, violation_id)
        require_company(c, auth.signed_in_user(), rec["company_id"])
        history = [e for e in explanations.of_companies(c, [rec["company_id"]]) if e["violation_id"] == violation_id]
    return page("explain.html", rec=rec, history=history)


@bp.post("/api/workflow/records/<int:violation_id>/explanations")
@auth.require_user
@action
def explain(violation_id: int):
    """Submit an explanation (cause_zh/en, measures_zh/en, planned_zh/en, completion_date, contact, evidence files)."""
    with db.conn() as c:
        ids = [files.save(c, upload_root(), auth.signed_in_user(), f.read(), f.filename, "evidence", "evidence")
               for f in request.files.getlist("evidence") if f.filename][: files.MAX_FILES + 1]
        body = explanations.submit(c, auth.signed_in_user(), violation_id, fields(), ids)
    return answer(body, 201)


@bp.post("/api/workflow/audit-requests")
@auth.require_user
@action
def request_audit():
    """Ask an accredited organisation (org_id) to audit explained records (violation_ids, comma-separated or a list)."""
    f = fields()
    raw = f.get("violation_ids")
    if not isinstance(raw, list):
        raw = request.form.getlist("violation_ids") if not request.is_json else str(raw or "").split(",")
        raw = [x for v in raw for x in str(v).split(",") if x.strip()]
    ids = [parse.integer("violation_ids", v, 1, 2**63 - 1) for v in raw]
    with db.conn() as c:
        rid = audits.request(c, auth.signed_in_user(), ids, parse.integer("org_id", f.get("org_id"), 1, 2**63 - 1),
                             (str(f.get("note") or "").strip()[:2000] or None))
    return answer({"id": rid, "status": "requested"}, 201)


@bp.get("/account/company/prtr/<int:facility_id>/<int:year>")
@auth.require_user
def prtr_page(facility_id: int, year: int):
    """The PRTR form of a facility and year, from its draft or latest version."""
    with db.conn() as c:
        current = prtr.draft(c, auth.signed_in_user(), facility_id, year)
    return page("prtr_form.html", facility_id=facility_id, year=year, current=current,
                carriers=[(c, spec[0]) for c, spec in CARRIERS.items()])


@bp.post("/api/workflow/prtr/<int:facility_id>/<int:year>")
@auth.require_user
@action
def prtr_save(facility_id: int, year: int):
    """Save a draft (`submit` false) or submit (`submit` true) the form: JSON {"form": {...}, "submit": bool}."""
    f = fields()
    form = f.get("form") if request.is_json else from_fields(f)
    submit = parse.boolean("submit", f.get("submit"), False)
    with db.conn() as c:
        user = auth.signed_in_user()
        body = prtr.submit(c, user, facility_id, year, form) if submit else prtr.save_draft(c, user, facility_id,
                                                                                           year, form)
    return answer(body, 201 if submit else 200)


@bp.get("/api/facilities/<int:facility_id>/prtr/<int:year>")
def prtr_versions(facility_id: int, year: int):
    """Every submitted version of a facility's PRTR form for a year (public), newest first."""
    with db.conn() as c:
        return jsonify({"facility_id": facility_id, "year": year, "versions": prtr.versions(c, facility_id, year)})


@bp.get("/files/<int:file_id>")
def download(file_id: int):
    """A workflow file, for those allowed to see it, as an attachment."""
    with db.conn() as c:
        data, media_type, name = files.fetch(c, upload_root(), auth.current_user(), file_id)
    return Response(data, mimetype=media_type, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store"})

