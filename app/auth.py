"""Sign-in for the web app and the JSON API: session cookies, CSRF tokens, Bearer API tokens, access checks.

- The session is Flask's signed cookie, holding the user id and a fingerprint of the password hash (a new
  password ends older sessions); the user is re-read on every request, so disabling a user takes effect at
  once. The signing key comes from BLUEMAP_SECRET_KEY, else from var/secret_key (generated once, shared by
  every worker process).
- Every form carries a CSRF token bound to the session; unsafe requests of the blueprints that call
  `protect()` are refused without it. Requests with `Authorization: Bearer` are authenticated by the token
  alone (no cookie is read), so they need none.
"""

from __future__ import annotations

import hmac
import os
import secrets
from datetime import timedelta
from functools import wraps
from pathlib import Path
from urllib.parse import urlparse

from flask import Blueprint, Flask, Response, current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface

from accounts import users as accounts
from app import db
from core.errors import Forbidden, NotFound, Unauthorized

CSRF_FIELD = "_csrf"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def secret_key(var_dir: Path, configured: str | None) -> str:
    """The configured key, else the one kept in var_dir/secret_key (created atomically on first use)."""
    if configured:
        return configured
    path = Path(var_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another worker made it first
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    for _ in range(50):  # a worker that lost the race may read before the winner has written
        key = path.read_text().strip()
        if key:
            return key
        import time

        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty: delete it or set BLUEMAP_SECRET_KEY")


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions with the signing serializer built once, not on every request."""

    _cached: tuple[object, object] | None = None

    def get_signing_serializer(self, app: Flask):  # type: ignore[override]
        if self._cached is None or self._cached[0] != app.secret_key:
            self._cached = (app.secret_key, super().get_signing_serializer(app))
        return self._cached[1]


def init_app(app: Flask) -> None:
    """Signing key, cookie settings, the template helpers."""
    settings = app.config["SETTINGS"]
    app.session_interface = _SessionInterface()
    app.secret_key = secret_key(settings.var_dir, getattr(settings, "secret_key", None))
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_NAME="bluemap_session",
                      SESSION_COOKIE_SECURE=bool(getattr(settings, "secure_cookies", False)),
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=12))
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["current_user"] = current_user


def csrf_token() -> str:
    """This session's CSRF token (made on first use)."""
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


def _bearer() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("use the Bearer scheme: Authorization: Bearer <token>")
    return secret.strip()


def current_user() -> accounts.User | None:
    """The user of this request: by API token when one is sent, else by session cookie."""
    if "user" in g:
        return g.user
    user = None
    token = _bearer()
    if token is not None:
        with db.conn() as c:
            user = accounts.user_for_token(c, token)
        if user is None:
            raise Unauthorized("unknown or revoked API token")
    elif "uid" in session:
        with db.conn() as c:
            user = accounts.get_user(c, session["uid"])
            if user is not None and session.get("pw") != accounts.password_fingerprint(c, user.id):
                user = None
        if user is None:
            session.pop("uid", None)
            session.pop("pw", None)
    g.user = user
    return user


def manages(brand_id: int) -> bool:
    """True when this request's user manages the brand (its own users and admins)."""
    user = current_user()
    return user is not None and user.can_manage(brand_id)


def signed_in_user() -> accounts.User:
    """The user of a view behind require_user (never None there)."""
    user = current_user()
    assert user is not None
    return user


def log_in(user: accounts.User) -> None:
    """Start a fresh session for `user` (a new CSRF token too: no fixation)."""
    with db.conn() as c:
        fingerprint = accounts.password_fingerprint(c, user.id)
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["pw"] = fingerprint
    session[CSRF_FIELD] = secrets.token_urlsafe(32)
    g.user = user


def log_out() -> None:
    """End the signed-in session, and every copy of its cookie."""
    uid = session.get("uid")
    if isinstance(uid, int):
        with db.conn() as c:
            accounts.end_sessions(c, uid)
    session.clear()
    g.user = None


def check_csrf() -> None:
    """Refuse an unsafe cookie-authenticated request without this session's CSRF token."""
    if request.method not in UNSAFE or request.headers.get("Authorization"):
        return
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    expected = session.get(CSRF_FIELD) or ""
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden("missing or wrong CSRF token: reload the page and try again")


def protect(bp: Blueprint) -> None:
    """CSRF checks on every unsafe request of a blueprint."""
    bp.before_request(check_csrf)


def wants_json() -> bool:
    """API paths, and requests that ask for JSON, get JSON errors; pages get HTML."""
    if request.path.startswith("/api/") or request.headers.get("Authorization"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    accept = request.accept_mimetypes
    return best == "application/json" and accept[best] > accept["text/html"]


def safe_next(target: str | None) -> str:
    """A local path to go to after login (never another site)."""
    if target:
        parts = urlparse(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//") \
                and "\\" not in target and not any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
            return target
    return url_for("brands.supply_chain")


def require_user(fn):
    """Signed-in users only: 401 JSON for the API, a redirect to the login page for pages."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        if current_user() is None:
            if wants_json():
                raise Unauthorized("sign in, or send Authorization: Bearer <token>")
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        return fn(*args, **kwargs)

    return wrapper


def forbidden(reason: str) -> Response:
    """403 as JSON or as a page."""
    if wants_json():
        raise Forbidden(reason)
    from app.render import page

    return page("message.html", 403, heading_key="forbidden", message=reason)


def require_admin(fn):
    """Decorator: only administrators may call the view."""
    @wraps(fn)
    @require_user
    def wrapper(*args, **kwargs):
        if not signed_in_user().is_admin:
            return forbidden("administrators only")
        return fn(*args, **kwargs)

    return wrapper


def require_brand_manager(fn):
    """For views taking `slug`: the brand's own users and admins only (403 for everyone else)."""

    @wraps(fn)
    @require_user
    def wrapper(*args, **kwargs):
        slug = kwargs["slug"]
        with db.conn() as c:
            row = c.execute("SELECT id FROM brands WHERE slug = %s", (slug,)).fetchone()
        user = signed_in_user()
        if row is None:
            if user.is_admin:
                raise NotFound(f"no brand {slug!r}")
            return forbidden("you can only manage your own brand")
        if not user.can_manage(row[0]):
            return forbidden("you can only manage your own brand")
        return fn(*args, **kwargs)

    return wrapper


def retry_after_response(exc: accounts.RateLimited) -> Response:
    """429 with Retry-After for a rate-limited login."""
    resp = current_app.json.response({"error": str(exc), "retry_after": exc.retry_after})
    resp.status_code = 429
    resp.headers["Retry-After"] = str(exc.retry_after)
    return resp
