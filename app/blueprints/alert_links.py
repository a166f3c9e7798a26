"""Links in alert messages that work without a session: the Atom feed (secret token in the URL) and the signed
one-click unsubscribe (RFC 8058: a mail client POSTs it; a browser gets a page with a button first)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from alerts import inbox, links, subscriptions
from app import db
from app.auth import secret_key
from app.i18n import current_lang
from app.render import page

bp = Blueprint("alert_links", __name__)


def _secret() -> str:
    s = current_app.config["SETTINGS"]
    return secret_key(s.var_dir, s.secret_key)


@bp.get("/alerts/feeds/<token>.atom")
def feed(token: str):
    """A subscription's alerts as an Atom feed (readable by feed readers; the token is the key)."""
    s = current_app.config["SETTINGS"]
    with db.conn() as c:
        body = inbox.feed(c, token, s.public_url or request.host_url, current_lang())
    resp = Response(body, mimetype="application/atom+xml")
    resp.headers["Cache-Control"] = "private, max-age=60"
    return resp


@bp.route("/alerts/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    """GET: a page with one button; POST (the button, or a mail client's one-click): e-mail stops."""
    sub_id, channel = links.read_unsubscribe_token(_secret(), token)
    if request.method == "GET":
        return page("alerts_unsubscribe.html", token=token, done=False)
    with db.conn() as c:
        subscriptions.unsubscribe(c, sub_id, channel)
    return page("alerts_unsubscribe.html", token=token, done=True)
