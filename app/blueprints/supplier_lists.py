"""A brand's supplier lists: upload, versions with their row-level reports, the review queue (pages and JSON).

Only the brand's own users and admins reach these (403 for anyone else, JSON or HTML as asked).
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, redirect, request, url_for

from app import auth, db
from app.push import json_object
from app.render import page
from core import parse
from core.errors import Invalid, NotFound
from supply import chain as sc
from supply import lists as sl
from supply import queue

bp = Blueprint("supplier_lists", __name__)
auth.protect(bp)


def _brand(c, slug: str) -> dict:
    b = sc.brand(c, slug)
    if b is None:
        raise NotFound(f"no brand {slug!r}")
    return b


def _do_upload(slug: str):
    """Run an upload from the request's `file` and options: (brand, Upload), or (brand, queued upload id) for a
    list longer than `list_inline_rows`, which the worker matches; ListError for an unreadable file."""
    f = request.files.get("file")
    if f is None or not f.filename:
        raise sl.ListError("choose a CSV or XLSX file")
    data = f.read(sl.MAX_BYTES + 1)
    opts = {"default_crs": request.form.get("crs", "wgs84"),
            "default_public": request.form.get("public") in ("1", "true", "on"),
            "skip_invalid": request.form.get("skip_invalid") in ("1", "true", "on")}
    user_id = auth.signed_in_user().id
    with db.conn() as c:
        b = _brand(c, slug)
        n = sl.count_rows(data, opts["default_crs"])
        if n > current_app.config["SETTINGS"].list_inline_rows:
            queued = queue.enqueue(c, b["id"], user_id, data, f.filename, request.form.get("name"), opts, n)
            c.commit()
            return b, queued
        result = sl.upload(c, b["id"], data, f.filename, user_id=user_id, name=request.form.get("name"), **opts)
        c.commit()
    return b, result


@bp.get("/brands/<slug>/lists")
@auth.require_brand_manager
def lists(slug: str):
    """Upload form and every version of the brand's list."""
    with db.conn() as c:
        b = _brand(c, slug)
        versions = sl.versions(c, b["id"])
    return page("brand_lists.html", b=b, versions=versions, columns=sl.COLUMNS, tiers=sl.TIERS,
                auto=sl.AUTO_LINK, review=sl.REVIEW)


@bp.post("/brands/<slug>/lists")
@auth.require_brand_manager
def upload(slug: str):
    """Upload a supplier list from the brand's form."""
    try:
        b, result = _do_upload(slug)
    except sl.ListError as exc:
        flash(str(exc), "error")
        return redirect(url_for("supplier_lists.lists", slug=slug))
    if isinstance(result, int):
        return redirect(url_for("supplier_lists.upload_progress", slug=b["slug"], upload_id=result))
    return redirect(url_for("supplier_lists.list_report", slug=b["slug"], list_id=result.list_id))


@bp.get("/brands/<slug>/lists/uploads/<int:upload_id>")
@auth.require_brand_manager
def upload_progress(slug: str, upload_id: int):
    """A queued list's progress (the page refreshes itself), then its report once matched."""
    with db.conn() as c:
        b = _brand(c, slug)
        st = queue.status(c, b["id"], upload_id)
    if st["state"] == "done":
        return redirect(url_for("supplier_lists.list_report", slug=b["slug"], list_id=st["list_id"]))
    return page("brand_list_progress.html", b=b, st=st)


@bp.post("/brands/<slug>/lists/uploads/<int:upload_id>/cancel")
@auth.require_brand_manager
def upload_cancel(slug: str, upload_id: int):
    """Cancel a queued or running list upload (form)."""
    with db.conn() as c:
        b = _brand(c, slug)
        queue.cancel(c, b["id"], upload_id)
        c.commit()
    return redirect(url_for("supplier_lists.upload_progress", slug=b["slug"], upload_id=upload_id))


@bp.get("/brands/<slug>/lists/<int:list_id>")
@auth.require_brand_manager
def list_report(slug: str, list_id: int):
    """What happened to every row of one version."""
    found = _version(slug, list_id)
    if found is None:
        return page("not_found.html", 404, what=f"list {list_id}")
    b, version, rows = found
    return page("brand_list.html", b=b, v=version, rows=rows)


def _version(slug: str, list_id: int) -> tuple[dict, dict, list[dict]] | None:
    """The brand, one version of its list and that version's rows; None when the brand has no such version."""
    with db.conn() as c:
        b = _brand(c, slug)
        version = next(iter(sl.versions(c, b["id"], list_id)), None)
        return None if version is None else (b, version, sl.list_rows(c, b["id"], list_id))


@bp.get("/brands/<slug>/review")
@auth.require_brand_manager
def review(slug: str):
    """Rows whose match is uncertain, with their candidates."""
    with db.conn() as c:
        b = _brand(c, slug)
        rows = sl.review_queue(c, b["id"])
    return page("brand_review.html", b=b, rows=rows)


@bp.post("/brands/<slug>/review/<int:row_id>")
@auth.require_brand_manager
def decide(slug: str, row_id: int):
    """Accept or reject a row waiting for review (form)."""
    action = request.form.get("action", "")
    fid = request.form.get("facility_id") or None
    try:
        fid_int = int(fid) if fid else None
    except ValueError:
        flash(f"not a facility id: {fid!r}", "error")
        return redirect(url_for("supplier_lists.review", slug=slug))
    try:
        result = _decide(slug, row_id, action, fid_int)
    except sl.ListError as exc:
        flash(str(exc), "error")
        return redirect(url_for("supplier_lists.review", slug=slug))
    if result["list_accepted"]:
        flash(str(result["list_id"]), "list_accepted")
    return redirect(url_for("supplier_lists.review", slug=slug))


def _decide(slug: str, row_id: int, action: str, facility_id: int | None) -> dict:
    """A review decision by the signed-in user, committed; ListError when it cannot be made."""
    with db.conn() as c:
        b = _brand(c, slug)
        result = sl.decide(c, b["id"], row_id, action, auth.signed_in_user().id, facility_id)
        c.commit()
    return result


# --- JSON API (session or Bearer token) --------------------------------------------------------------------

def _jsonable(v: dict) -> dict:
    return {k: (x.isoformat() if hasattr(x, "isoformat") else x) for k, x in v.items()}


@bp.get("/api/brands/<slug>/lists")
@auth.require_brand_manager
def api_lists(slug: str):
    """JSON: the brand's supplier lists; POST uploads one."""
    with db.conn() as c:
        b = _brand(c, slug)
        return jsonify({"brand": slug, "versions": [_jsonable(v) for v in sl.versions(c, b["id"])]})


@bp.post("/api/brands/<slug>/lists")
@auth.require_brand_manager
def api_upload(slug: str):
    """multipart/form-data: file, and optionally name, crs, public, skip_invalid; answers the row report, or 202
    with the upload's status URL for a list the worker matches."""
    b, result = _do_upload(slug)
    if isinstance(result, int):
        with db.conn() as c:
            st = queue.status(c, b["id"], result)
        return _upload_json(b["slug"], st), 202, {"Location": _status_url(b["slug"], result)}
    return jsonify(result.as_dict()), 201 if result.committed else 422


def _status_url(slug: str, upload_id: int) -> str:
    return url_for("supplier_lists.api_upload_status", slug=slug, upload_id=upload_id)


def _upload_json(slug: str, st: dict):
    """A queued upload as JSON: state, progress and, once matched, where its report is."""
    out = _jsonable({k: st[k] for k in ("id", "state", "stage", "rows_total", "rows_done", "attempts", "error",
                                         "list_id", "created_at", "finished_at")})
    out["status_url"] = _status_url(slug, st["id"])
    if st["list_id"]:
        out["report_url"] = url_for("supplier_lists.api_list", slug=slug, list_id=st["list_id"])
    return jsonify(out)


@bp.get("/api/brands/<slug>/lists/uploads/<int:upload_id>")
@auth.require_brand_manager
def api_upload_status(slug: str, upload_id: int):
    """JSON: a queued list upload's state and progress (rows matched of rows_total)."""
    with db.conn() as c:
        b = _brand(c, slug)
        return _upload_json(b["slug"], queue.status(c, b["id"], upload_id))


@bp.delete("/api/brands/<slug>/lists/uploads/<int:upload_id>")
@auth.require_brand_manager
def api_upload_cancel(slug: str, upload_id: int):
    """Cancel a queued or running list upload; 409 once it has ended."""
    with db.conn() as c:
        b = _brand(c, slug)
        st = queue.cancel(c, b["id"], upload_id)
        c.commit()
    return _upload_json(b["slug"], st)


@bp.get("/api/brands/<slug>/lists/<int:list_id>")
@auth.require_brand_manager
def api_list(slug: str, list_id: int):
    """JSON: one supplier list version with its row report."""
    found = _version(slug, list_id)
    if found is None:
        raise NotFound(f"no list {list_id} of brand {slug!r}")
    _, version, rows = found
    return jsonify(_jsonable(version) | {"rows": [_jsonable(r) for r in rows]})


@bp.get("/api/brands/<slug>/review")
@auth.require_brand_manager
def api_review(slug: str):
    """JSON: decide rows waiting for review."""
    with db.conn() as c:
        b = _brand(c, slug)
        return jsonify({"rows": [_jsonable(r) for r in sl.review_queue(c, b["id"])]})


@bp.post("/api/brands/<slug>/review/<int:row_id>")
@auth.require_brand_manager
def api_decide(slug: str, row_id: int):
    """JSON {"action": "accept" | "choose" | "new" | "drop", "facility_id": id for choose}."""
    body = json_object()
    raw = body.get("facility_id")
    fid = None if raw is None else parse.integer("facility_id", raw, 1, 2**63 - 1)
    action = body.get("action", "")
    if not isinstance(action, str):
        raise Invalid("action must be one of accept, choose, new, drop")
    return jsonify(_decide(slug, row_id, action, fid))
