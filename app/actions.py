"""What the workflow's JSON actions share: request fields (JSON or form), page forms answered by a redirect with
a message (errors included), uploaded files checked and stored, answers never cached."""

from __future__ import annotations

from functools import wraps
from pathlib import Path

from flask import Response, current_app, flash, jsonify, redirect, request

from app import auth
from core.errors import DomainError, Invalid
from workflow import files


def upload_root() -> Path:
    """Where workflow files are stored (by SHA-256)."""
    return Path(current_app.config["SETTINGS"].var_dir) / "uploads"


def fields() -> dict:
    """The request's fields: a JSON object, or the form."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise Invalid("send a JSON object")
        return body
    return request.form.to_dict()


def from_page() -> bool:
    """A page's form (it carries `_next`): answer with a redirect, not JSON."""
    return not request.is_json and bool(request.form.get("_next"))


def action(fn):
    """JSON for API clients; for a page's form a message and a redirect back, errors included."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        if not from_page():
            return fn(*args, **kwargs)
        back = auth.safe_next(request.form.get("_next"))
        try:
            fn(*args, **kwargs)
        except DomainError as exc:
            flash(exc.reason, "error")
            for name, why in dict(exc.details.get("errors") or {}).items():  # type: ignore[call-overload]
                flash(f"{name}: {why}", "error")
        else:
            flash("", "saved")
        return redirect(back)

    return wrapper


def answer(body: dict, status: int = 200) -> Response:
    """A JSON answer, never cached."""
    resp = jsonify(body)
    resp.status_code = status
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def save_file(c, name: str, purpose: str, required: bool = True) -> int | None:
    """Check and store the uploaded file of field `name`; its id (None when optional and absent)."""
    upload = request.files.get(name)
    if upload is None or not upload.filename:
        if required:
            raise Invalid(f"{name}: attach a PDF, PNG or JPEG file")
        return None
    return files.save(c, upload_root(), auth.signed_in_user(), upload.read(), upload.filename, purpose, name)
