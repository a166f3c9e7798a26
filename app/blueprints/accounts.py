"""Sign in and out, invitations, the admin page (brands, invitations, users), a user's API tokens."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, request, url_for

from accounts import users as accounts
from app import auth, db
from app.render import page

bp = Blueprint("accounts", __name__)
auth.protect(bp)


def _home(user: accounts.User) -> str:
    if user.is_admin:
        return url_for("accounts.admin")
    if user.role == "auditor":
        return url_for("audits.audits_page")
    if user.brand_slug is None:
        return url_for("workflow.company_page")
    return url_for("brands.brand_page", slug=user.brand_slug)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; 5 failures for one address from one IP within 15 minutes answer 429."""
    nxt = request.values.get("next", "")
    if request.method == "GET":
        user = auth.current_user()
        if user is not None:
            return redirect(auth.safe_next(nxt) if nxt else _home(user))
        return page("login.html", next=nxt)
    email = request.form.get("email", "")
    try:
        with db.conn() as c:
            user = accounts.authenticate(c, email, request.form.get("password", ""),
                                         request.remote_addr or "")
    except accounts.RateLimited as exc:
        resp = page("login.html", 429, next=nxt, email=email, error_key="too_many_logins")
        resp.headers["Retry-After"] = str(exc.retry_after)
        return resp
    if user is None:
        return page("login.html", 401, next=nxt, email=email, error_key="login_failed")
    auth.log_in(user)
    return redirect(auth.safe_next(nxt) if nxt else _home(user))


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """Members of the public sign up (role member): the password rules and rate limits of sign-in."""
    from accounts import signup as signups

    if request.method == "GET":
        return page("signup.html")
    form = request.form
    if request.is_json:
        body = request.get_json(silent=True)
        form = body if isinstance(body, dict) else {}  # type: ignore[assignment]
    error: accounts.AccountError | None = None
    with db.conn() as c:  # the failure is committed too: it counts towards the limit
        try:
            if form.get("password") != form.get("password2", form.get("password")):
                raise accounts.AccountError("the two passwords differ")
            user = signups.sign_up(c, str(form.get("email") or ""), str(form.get("password") or ""),
                                   str(form.get("name") or ""), request.remote_addr or "")
        except accounts.AccountError as exc:
            error = exc
    if isinstance(error, accounts.RateLimited):
        if auth.wants_json() or request.is_json:
            return auth.retry_after_response(error)
        resp = page("signup.html", 429, email=form.get("email"), error_key="too_many_logins")
        resp.headers["Retry-After"] = str(error.retry_after)
        return resp
    if error is not None:
        if auth.wants_json() or request.is_json:
            return jsonify({"error": str(error)}), 400
        return page("signup.html", 400, email=form.get("email"), error_text=str(error))
    auth.log_in(user)
    if auth.wants_json() or request.is_json:
        return jsonify({"id": user.id, "email": user.email, "role": user.role}), 201
    return redirect(_home(user))


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """GET asks (a link cannot sign anyone out), POST with the CSRF token signs out."""
    if request.method == "GET":
        if auth.current_user() is None:
            return redirect(url_for("brands.supply_chain"))
        return page("message.html", heading_key="logout", message="", logout_form=True)
    auth.log_out()
    return redirect(url_for("brands.supply_chain"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invitation(token: str):
    """Accept an invitation: choose a name and password, then signed in."""
    with db.conn() as c:
        inv = accounts.open_invitation(c, token)
    if inv is None:
        return page("message.html", 404, heading_key="invite_invalid", message="")
    if request.method == "GET":
        return page("invite.html", inv=inv)
    if request.form.get("password") != request.form.get("password2"):
        return page("invite.html", 400, inv=inv, error="passwords_differ")
    try:
        with db.conn() as c:
            user = accounts.accept_invitation(c, token, request.form.get("name", ""),
                                              request.form.get("password", ""))
    except accounts.AccountError as exc:
        return page("invite.html", 400, inv=inv, error_text=str(exc))
    auth.log_in(user)
    return redirect(_home(user))


@bp.get("/admin")
@auth.require_admin
def admin():
    """Brands (with their public and private supplier counts), invitations and users."""
    with db.conn() as c:
        brands = accounts.list_brands(c)
        invitations = accounts.list_invitations(c)
        users = accounts.list_users(c)
    return page("admin.html", brands=brands,
                invitations=invitations, users=users)


@bp.post("/admin/brands")
@auth.require_admin
def create_brand():
    """Admin: create a brand."""
    try:
        with db.conn() as c:
            accounts.create_brand(c, request.form.get("slug", ""), request.form.get("name_en", ""),
                                  request.form.get("name_zh"))
    except accounts.AccountError as exc:
        flash(str(exc), "error")
    else:
        flash(request.form.get("slug", "").strip().lower(), "brand_created")
    return redirect(url_for("accounts.admin"))


@bp.post("/admin/invitations")
@auth.require_admin
def create_invitation():
    """A new invitation; its link is shown to the admin once (nothing is e-mailed)."""
    role = request.form.get("role", "brand")
    slug = request.form.get("brand", "")
    try:
        with db.conn() as c:
            brand_id = None
            if role == "brand":
                row = c.execute("SELECT id FROM brands WHERE slug = %s", (slug,)).fetchone()
                if row is None:
                    raise accounts.AccountError("choose the brand the user belongs to")
                brand_id = row[0]
            _, token = accounts.invite(c, request.form.get("email", ""), role, brand_id,
                                       auth.signed_in_user().id)
    except accounts.AccountError as exc:
        flash(str(exc), "error")
        return redirect(url_for("accounts.admin"))
    flash(url_for("accounts.invitation", token=token, _external=True), "invite_link")
    return redirect(url_for("accounts.admin"))


@bp.post("/admin/invitations/<int:invitation_id>/revoke")
@auth.require_admin
def revoke_invitation(invitation_id: int):
    """Admin: revoke an invitation."""
    with db.conn() as c:
        accounts.revoke_invitation(c, invitation_id)
    return redirect(url_for("accounts.admin"))


@bp.post("/admin/users/<int:user_id>/disabled")
@auth.require_admin
def set_disabled(user_id: int):
    """Admin: disable or enable a user."""
    if user_id == auth.signed_in_user().id:
        flash("you cannot disable yourself", "error")
        return redirect(url_for("accounts.admin"))
    with db.conn() as c:
        accounts.set_disabled(c, user_id, request.form.get("disabled") == "true")
    return redirect(url_for("accounts.admin"))


@bp.get("/account")
@auth.require_user
def account():
    """The signed-in user's API tokens."""
    user = auth.signed_in_user()
    with db.conn() as c:
        tokens = accounts.list_tokens(c, user.id)
    return page("account.html", tokens=tokens)


@bp.post("/account/tokens")
@auth.require_user
def create_token():
    """Create an API token for the signed-in user (shown once)."""
    user = auth.signed_in_user()
    if user.via_token:
        return auth.forbidden("API tokens are created from a signed-in browser session")
    try:
        with db.conn() as c:
            _, secret = accounts.create_token(c, user.id, request.form.get("label", ""))
    except accounts.AccountError as exc:
        flash(str(exc), "error")
    else:
        flash(secret, "new_token")
    return redirect(url_for("accounts.account"))


@bp.post("/account/tokens/<int:token_id>/revoke")
@auth.require_user
def revoke_token(token_id: int):
    """Revoke one of the signed-in user's API tokens."""
    with db.conn() as c:
        accounts.revoke_token(c, auth.signed_in_user().id, token_id)
    return redirect(url_for("accounts.account"))


@bp.get("/api/me")
@auth.require_user
def me():
    """Who the session or token belongs to."""
    u = auth.signed_in_user()
    return jsonify({"id": u.id, "email": u.email, "name": u.name, "role": u.role, "brand": u.brand_slug})
