"""The reviewer's side (administrators): the queue of claims, explanations, audits, removable records and facility
merge proposals, its decisions, and accrediting auditing organisations and their auditors."""

from __future__ import annotations

from flask import Blueprint, request

from app import auth, db
from app.actions import action, answer, fields
from app.render import page
from core import parse
from workflow import audits, claims, explanations, merges, records, views

bp = Blueprint("review", __name__)
auth.protect(bp)
KINDS = ("claims", "explanations", "audits", "removable", "merges", "orgs")


@bp.get("/review")
@auth.require_admin
def review_page():
    """The queue with counts; `?kind=` shows one kind of item (`&status=` filters merge proposals)."""
    kind = parse.choice("kind", request.args.get("kind"), KINDS, default="all") if request.args.get("kind") else None
    with db.conn() as c:
        body = views.queue(c, _merge_status())
    return page("review.html", d=body, kind=kind)


def _merge_status() -> str:
    """The merge proposals shown: proposed (waiting, the default), merged or rejected."""
    return parse.choice("status", request.args.get("status") or None, merges.STATUSES, default="proposed")


@bp.get("/api/review")
@auth.require_admin
def review_api():
    """The queue as JSON (counts, and the items of each kind; `?status=` filters merge proposals)."""
    with db.conn() as c:
        return answer(views.queue(c, _merge_status()))


@bp.post("/api/review/claims/<int:claim_id>")
@auth.require_admin
@action
def decide_claim(claim_id: int):
    """Approve or reject (with a reason) a claim: decision=approved|rejected, reason."""
    f = fields()
    with db.conn() as c:
        return answer(claims.decide(c, auth.signed_in_user(), claim_id, str(f.get("decision") or ""),
                                    f.get("reason")))


@bp.post("/api/review/explanations/<int:explanation_id>")
@auth.require_admin
@action
def decide_explanation(explanation_id: int):
    """Accept (publish) or return (with comments) an explanation: decision=accepted|returned, comment."""
    f = fields()
    with db.conn() as c:
        return answer(explanations.decide(c, auth.signed_in_user(), explanation_id, str(f.get("decision") or ""),
                                          f.get("comment")))


@bp.post("/api/review/audits/<int:audit_id>")
@auth.require_admin
@action
def decide_audit(audit_id: int):
    """Confirm (a passed audit makes its records rectified) or reject an audit: decision=confirmed|rejected, reason."""
    f = fields()
    with db.conn() as c:
        return answer(audits.confirm(c, auth.signed_in_user(), audit_id, str(f.get("decision") or ""),
                                     f.get("reason")))


@bp.post("/api/review/merges/<int:merge_id>")
@auth.require_admin
@action
def decide_merge(merge_id: int):
    """Merge (the duplicate's links, records and history move to the survivor) or reject (with a reason) a
    proposal: decision=merged|rejected, reason."""
    f = fields()
    with db.conn() as c:
        return answer(merges.decide(c, auth.signed_in_user(), merge_id, str(f.get("decision") or ""),
                                    f.get("reason")))


@bp.post("/api/review/records/<int:violation_id>/remove")
@auth.require_admin
@action
def remove(violation_id: int):
    """Remove a rectified record from public display, with a reason (nothing is deleted)."""
    f = fields()
    with db.conn() as c:
        moved = records.remove(c, auth.signed_in_user(), violation_id, str(f.get("reason") or ""))
    return answer({"id": violation_id, "status": moved["status"]})


@bp.post("/api/review/orgs")
@auth.require_admin
@action
def accredit():
    """Accredit an auditing organisation: name, accreditation_no, valid_from, valid_to."""
    with db.conn() as c:
        return answer({"id": audits.accredit(c, auth.signed_in_user(), fields())}, 201)


@bp.post("/api/review/orgs/<int:org_id>/auditors")
@auth.require_admin
@action
def add_auditor(org_id: int):
    """Make an existing user (by email) an auditor of the organisation."""
    with db.conn() as c:
        uid = audits.add_auditor(c, auth.signed_in_user(), org_id, str(fields().get("email") or ""))
    return answer({"user_id": uid, "org_id": org_id}, 201)
