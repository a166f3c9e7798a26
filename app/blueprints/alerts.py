"""Alerts for signed-in users: the /alerts page (subscriptions, inbox), the subscription and inbox JSON API,
and the administrators' list of hosts allowed to receive webhooks."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, redirect, request, url_for

from alerts import inbox as alert_inbox
from alerts import ssrf, subscriptions
from alerts.events import KINDS, LABELS
from app import auth, db
from app.render import page
from core import parse
from core.errors import DomainError, Invalid

bp = Blueprint("alerts", __name__)
auth.protect(bp)


def _base_url() -> str:
    s = current_app.config["SETTINGS"]
    return s.public_url or request.host_url


def _spec() -> dict:
    """A subscription request from JSON or from the page's form (unticked boxes mean no)."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise Invalid("send a JSON object")
        return body
    spec: dict = {k: v for k, v in request.form.items() if k != "_csrf"}
    spec["kinds"] = request.form.getlist("kinds")
    for box in ("inbox", "feed"):
        spec[box] = "yes" if request.form.get(box) else "no"
    return spec


@bp.get("/alerts")
@auth.require_user
def alerts_page():
    """Subscriptions with their channels, feed addresses and delivery logs; the inbox."""
    user = auth.signed_in_user()
    with db.conn() as c:
        subscriptions.ensure_brand_defaults(c)
        subs = subscriptions.for_user(c, user)
        for s in subs:
            s["log"] = alert_inbox.delivery_log(c, user, s["id"], 10) if s["email_mode"] != "off" or \
                s["webhook_url"] else []
        items = alert_inbox.inbox(c, user, _base_url(), limit=50)
    return page("alerts.html", subs=subs, items=items, kinds=KINDS, labels=LABELS, base_url=_base_url().rstrip("/"),
                is_brand_user=user.brand_id is not None)


@bp.post("/alerts")
@auth.require_user
def create_from_form():
    """The page's form: a new subscription."""
    try:
        with db.conn() as c:
            sub = subscriptions.create(c, auth.signed_in_user(), _spec())
    except DomainError as exc:
        flash(str(exc), "error")
        return redirect(url_for("alerts.alerts_page"))
    if sub.get("webhook_secret"):
        flash(sub["webhook_secret"], "webhook_secret")
    flash("", "saved")
    return redirect(url_for("alerts.alerts_page"))


@bp.post("/alerts/<int:sub_id>")
@auth.require_user
def update_from_form(sub_id: int):
    """The page's buttons: switch on or off, resume a paused webhook, delete, mark the inbox read."""
    action = request.form.get("action", "")
    user = auth.signed_in_user()
    with db.conn() as c:
        if action == "delete":
            subscriptions.delete(c, user, sub_id)
        elif action in ("pause", "resume", "resume_webhook"):
            spec = {"active": action != "pause"} if action != "resume_webhook" else {"resume_webhook": True}
            subscriptions.update(c, user, sub_id, spec)
        else:
            raise Invalid("action must be delete, pause, resume or resume_webhook")
    return redirect(url_for("alerts.alerts_page"))


@bp.post("/alerts/inbox/read")
@auth.require_user
def read_all_form():
    """Mark the whole inbox read (the page's button)."""
    with db.conn() as c:
        alert_inbox.mark_read(c, auth.signed_in_user(), None)
    return redirect(url_for("alerts.alerts_page"))


@bp.get("/api/alerts/subscriptions")
@auth.require_user
def list_subscriptions():
    """The user's subscriptions."""
    with db.conn() as c:
        return jsonify({"subscriptions": subscriptions.for_user(c, auth.signed_in_user())})


@bp.post("/api/alerts/subscriptions")
@auth.require_user
def create_subscription():
    """A new subscription (201); its webhook secret is in this answer only."""
    with db.conn() as c:
        sub = subscriptions.create(c, auth.signed_in_user(), _spec())
    return jsonify(sub), 201


@bp.route("/api/alerts/subscriptions/<int:sub_id>", methods=["GET", "PATCH", "DELETE"])
@auth.require_user
def one_subscription(sub_id: int):
    """Read, change or delete one of the user's subscriptions."""
    user = auth.signed_in_user()
    with db.conn() as c:
        if request.method == "GET":
            return jsonify(subscriptions.get(c, user, sub_id))
        if request.method == "DELETE":
            subscriptions.delete(c, user, sub_id)
            return "", 204
        return jsonify(subscriptions.update(c, user, sub_id, _spec()))


@bp.get("/api/alerts/subscriptions/<int:sub_id>/log")
@auth.require_user
def delivery_log(sub_id: int):
    """E-mail and webhook deliveries of a subscription: state, attempts, last error."""
    with db.conn() as c:
        return jsonify({"deliveries": alert_inbox.delivery_log(c, auth.signed_in_user(), sub_id)})


@bp.get("/api/alerts/inbox")
@auth.require_user
def inbox():
    """The user's inbox, newest first (`?unread=true` for unread ones only)."""
    unread_only = parse.boolean("unread", request.args.get("unread"), False)
    user = auth.signed_in_user()
    with db.conn() as c:
        items = alert_inbox.inbox(c, user, _base_url(), unread_only)
        return jsonify({"unread": alert_inbox.unread(c, user), "items": items})


@bp.post("/api/alerts/inbox/read")
@auth.require_user
def mark_read():
    """Mark inbox alerts read: `{"ids": [...]}`, or all without ids."""
    body = request.get_json(silent=True) or {}
    raw = body.get("ids") if isinstance(body, dict) else None
    ids = None if raw is None else [parse.integer("ids", i, 1) for i in (raw if isinstance(raw, list) else [raw])]
    with db.conn() as c:
        return jsonify({"marked": alert_inbox.mark_read(c, auth.signed_in_user(), ids)})


@bp.route("/api/alerts/allowed-hosts", methods=["GET", "POST", "DELETE"])
@auth.require_admin
def allowed_hosts():
    """Administrators: hosts that may receive webhooks although they resolve to internal addresses."""
    body = request.get_json(silent=True) or {}
    with db.conn() as c:
        if request.method == "POST":
            ssrf.allow(c, parse.text("host", body.get("host"), 253), str(body.get("note") or "")[:200])
        elif request.method == "DELETE":
            ssrf.disallow(c, parse.text("host", request.args.get("host"), 253))
        return jsonify({"hosts": sorted(ssrf.allowed_hosts(c))})
