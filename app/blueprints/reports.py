"""Citizen reports: the /report page, the reports API, photos, the signed-in user's reports, moderation.

A whole report is at most `report_max_mb` (refused from its Content-Length before any of the body is read);
each photo is checked by content in reports/intake.py. Unpublished reports are seen by moderators and
their own reporter only.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, request, url_for

from app import auth, db
from app.render import page
from core import parse
from core.errors import Conflict, Forbidden, Invalid, NotFound, TooLarge
from ingest import uploads
from queries import near as nearby
from reports import forwarding, intake, limits, moderation, public
from reports.kinds import DEFAULT_LICENCE, KINDS, LICENCES, LOCATION_SOURCES
from standards.aqi import CHINA

bp = Blueprint("reports", __name__)
MODERATORS = ("moderator", "admin")
ACTIONS = ("publish", "reject", "merge", "link", "forward", "answer")


def _settings():
    return current_app.config["SETTINGS"]


@bp.url_value_preprocessor
def _refuse_large_bodies(endpoint, values) -> None:
    """Before anything reads the body (form parsing, CSRF, control-character checks): refuse a report larger
    than the limit from its Content-Length, and bound a body without one (chunked) to the same size."""
    if request.method != "POST":
        return
    cap = _settings().report_max_mb * 1024 * 1024
    request.max_content_length = cap
    if (request.content_length or 0) > cap:
        raise TooLarge(f"the report is {request.content_length:,} bytes; at most {cap:,} bytes in all "
                       f"(up to {intake.MAX_PHOTOS} photos of at most {intake.MAX_PHOTO_BYTES // 2**20} MB each)")


@bp.before_request
def _csrf() -> None:
    """Signed-in users' forms need their CSRF token; anonymous reports carry no identity to forge."""
    if request.method in auth.UNSAFE and auth.current_user() is not None:
        auth.check_csrf()


def _moderator():
    user = auth.current_user()
    if user is None or user.role not in MODERATORS:
        raise Forbidden("moderators only")
    return user


def _upload_root():
    return _settings().var_dir / "uploads"


@bp.get("/report")
def report_page():
    """The mobile-first report form (what, when, where, photos), and the signed-in user's reports."""
    user = auth.current_user()
    mine = []
    if user is not None:
        with db.conn() as c:
            mine = public.mine(c, user.id)
    return page("report.html", kinds=KINDS, licences=LICENCES, default_licence=DEFAULT_LICENCE, mine=mine,
                max_photos=intake.MAX_PHOTOS, max_mb=intake.MAX_PHOTO_BYTES // 2**20,
                total_mb=_settings().report_max_mb, honeypot=intake.HONEYPOT, round_m=_settings().report_round_m,
                client={"report": {"max_photos": intake.MAX_PHOTOS, "max_bytes": intake.MAX_PHOTO_BYTES,
                                   "total_bytes": _settings().report_max_mb * 2**20,
                                   "kinds": {k: v[0 if _lang() == "zh" else 1] for k, v in KINDS.items()}}})


def _lang() -> str:
    from app import i18n

    return i18n.current_lang()


@bp.post("/api/reports")
def submit():
    """A new report (multipart form: fields and up to 6 `photos`); 201 with its id, status `new`."""
    user = auth.current_user()
    settings = _settings()
    form = request.form.to_dict()
    intake.check_honeypot(form)
    photos = [intake.Photo(f.filename or "photo", f.read(intake.MAX_PHOTO_BYTES + 1))
              for f in request.files.getlist("photos") if f and f.filename]
    with db.conn() as c:
        limits.attempt(c, request.remote_addr or "unknown", user.id if user else None,
                       limits.Limits(settings.report_limit_per_ip, settings.report_limit_per_user))
        c.commit()
    with db.conn() as c:
        result = intake.submit(c, form, photos, ip=request.remote_addr or "unknown",
                               user_id=user.id if user else None, upload_root=_upload_root(),
                               round_m=settings.report_round_m)
        c.commit()
    result["url"] = url_for("reports.report_page")
    return jsonify(result), 201


@bp.post("/api/reports/photo-check")
def photo_check():
    """What the server reads from one photo (`photo`): JPEG or PNG, EXIF position and time; nothing is stored."""
    f = request.files.get("photo")
    if f is None or not f.filename:
        raise Invalid("photo: choose a JPEG or PNG photo")
    return jsonify(intake.photo_info(f.read(intake.MAX_PHOTO_BYTES + 1)))


@bp.get("/api/reports")
def published():
    """Published reports as GeoJSON (rounded positions), filtered by kind, dates (local), bbox and facility."""
    args = request.args
    kinds = parse.choice_list("kind", args["kind"], KINDS) if args.get("kind") else None
    since = parse.day("since", args["since"]) if args.get("since") else None
    until = parse.day("until", args["until"]) if args.get("until") else None
    bbox = parse.bbox("bbox", args["bbox"]) if args.get("bbox") else None
    limit = parse.integer("limit", args.get("limit"), 1, 10_000, default=1000)
    facility = parse.integer("facility_id", args["facility_id"], 1, 2**63 - 1) if args.get("facility_id") else None
    with db.conn() as c:
        body = public.geojson(c, kinds, since, until, bbox, limit, facility)
    return jsonify(body)


@bp.get("/reports/<int:report_id>")
def public_page(report_id: int):
    """A published report: what, when, where (rounded), photos, licence, the bureau's answer."""
    with db.conn() as c:
        report = public.one(c, report_id)
    return page("report_public.html", r=report, licences=LICENCES)


@bp.get("/api/reports/mine")
@auth.require_user
def mine():
    """The signed-in user's reports, whatever their status (exact positions: they are the reporter's own)."""
    with db.conn() as c:
        rows = public.mine(c, auth.signed_in_user().id)
    resp = jsonify({"reports": rows})
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.get("/api/reports/photos/<filename>")
def photo(filename: str):
    """A stored photo (no EXIF): of a published report, or the caller's own, or any for moderators."""
    user = auth.current_user()
    with db.conn() as c:
        media_type = public.photo(c, filename, user.id if user else None,
                                  user is not None and user.role in MODERATORS)
    data = uploads.load(_upload_root(), filename)
    resp = Response(data, mimetype=media_type)
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, max-age=300"
    return resp


@bp.get("/api/reports/<int:report_id>")
def one(report_id: int):
    """One report in full, exact position and contact included: moderators only."""
    _moderator()
    with db.conn() as c:
        report = moderation.get(c, report_id)
    return jsonify(report)


@bp.get("/moderation")
@auth.require_user
def moderation_page():
    """The moderators' queue: each report with its photos, exact place, nearby facilities, the bureau and the
    prepared forwarding message."""
    user = auth.signed_in_user()
    if user.role not in MODERATORS:
        return auth.forbidden("moderators only")
    status = parse.choice("status", request.args.get("status"), moderation.QUEUE_STATUSES, default="new")
    with db.conn() as c:
        items = moderation.queue(c, status, 50)
        for item in items:
            around = nearby.near(c, item["lon"], item["lat"], "wgs84", 1000, 20)
            item["nearby"], item["bureau"] = around["facilities"], around["bureau"]
            try:
                item["draft"] = forwarding.message(item, item["bureau"], request.host_url)
            except Invalid as exc:
                item["draft"] = str(exc)
    return page("moderation.html", items=items, status=status, statuses=moderation.QUEUE_STATUSES, kinds=KINDS,
                licences=LICENCES, sources=LOCATION_SOURCES, today=datetime.now(CHINA).date().isoformat())


def _act(report_id: int, form: dict) -> dict:
    """Run one moderation action from form or JSON fields; returns what was done."""
    user = _moderator()
    action = parse.choice("action", form.get("action"), ACTIONS)
    today = datetime.now(CHINA).date()
    out: dict = {"report_id": report_id, "action": action}
    with db.conn() as c:
        if action == "publish":
            moderation.publish(c, report_id, user.id)
        elif action == "reject":
            moderation.reject(c, report_id, user.id, parse.clean("reason", form.get("reason")))
        elif action == "merge":
            into = parse.integer("into", form.get("into"), 1, 2**63 - 1)
            moderation.merge(c, report_id, into, user.id)
        elif action == "link":
            raw = form.get("facility_id")
            fid = parse.integer("facility_id", raw, 1) if raw not in (None, "") else None
            moderation.link(c, report_id, fid, user.id)
        elif action == "forward":
            report = moderation.get(c, report_id)
            bureau = nearby.near(c, report["lon"], report["lat"], "wgs84", 1000, 1)["bureau"]
            on = parse.day("forwarded_on", form.get("forwarded_on"), default=today)
            out["forward"] = forwarding.forward(c, report_id, user.id, bureau, request.host_url, on)
        else:
            on = parse.day("answered_on", form.get("answered_on"), default=today)
            forwarding.answer(c, report_id, parse.integer("forward_id", form.get("forward_id"), 1), user.id,
                              parse.clean("answer", form.get("answer")), on)
        c.commit()
    return out


@bp.post("/api/reports/<int:report_id>/moderation")
def moderate_api(report_id: int):
    """A moderation action as JSON or form fields: publish, reject (reason), merge (into), link (facility_id,
    empty to unlink), forward (forwarded_on), answer (forward_id, answer, answered_on)."""
    from app.push import json_object

    return jsonify(_act(report_id, json_object()))


@bp.post("/moderation/<int:report_id>")
@auth.require_user
def moderate_form(report_id: int):
    """The moderation page's forms: the same actions, then back to the queue with what happened."""
    if auth.signed_in_user().role not in MODERATORS:
        return auth.forbidden("moderators only")
    status = request.args.get("status", "new")
    try:
        _act(report_id, request.form.to_dict())
        flash(f"R{report_id}: {request.form.get('action')} ✓", "ok")
    except (Invalid, Conflict, NotFound) as exc:
        flash(f"R{report_id}: {exc}", "error")
    return redirect(url_for("reports.moderation_page", status=status if status in moderation.QUEUE_STATUSES
                            else "new") + f"#report-{report_id}")
