"""DECRA: lenders upload portfolios, review matches, read risk levels and reports; admins register institutions.

Every portfolio view checks the signed-in lender's institution; another institution's portfolio is a 404.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, redirect, request, url_for

from app import auth, db, i18n
from app.push import json_object
from app.render import page
from app.words import Words
from core import parse
from core.errors import Forbidden
from indices import decra, decra_report, decra_risk
from indices.decra_intake import PortfolioError
from standards.industries import INDUSTRIES

bp = Blueprint("decra", __name__)
auth.protect(bp)


def _institution(c) -> dict:
    user = auth.signed_in_user()
    if user.role != "lender":
        raise Forbidden("DECRA is for lenders of a registered financial institution")
    return decra.institution_of(c, user.id)


def _upload(c, inst: dict) -> int:
    f = request.files.get("file")
    if f is None or not f.filename:
        raise PortfolioError("choose a CSV or XLSX file")
    data = f.read(decra.decra_intake.MAX_BYTES + 1)
    return decra.upload(c, inst["id"], auth.signed_in_user().id, data, f.filename, request.form.get("name"))


@bp.route("/decra", methods=["GET", "POST"])
@auth.require_user
def home():
    """The institution's portfolios, the upload form and the rules in force."""
    error = None
    with db.conn() as c:
        inst = _institution(c)
        if request.method == "POST":
            try:
                pid = _upload(c, inst)
                c.commit()
                return redirect(url_for("decra.portfolio_page", pid=pid))
            except PortfolioError as exc:
                c.rollback()
                error = exc
        items = decra.portfolios(c, inst["id"])
    return page("decra.html", 400 if error else 200, inst=inst, items=items, error=error,
                rules=decra_risk.rules())


@bp.get("/decra/<int:pid>")
@auth.require_user
def portfolio_page(pid: int):
    """A portfolio: summary by level, industry and province; every borrower with its level and reasons."""
    with db.conn() as c:
        p = decra.portfolio(c, pid, _institution(c)["id"])
    resp = page("decra_portfolio.html", p=p, rules=decra_risk.rules(), levels=decra_report.LEVELS)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.post("/decra/<int:pid>/rows/<int:row_id>")
@auth.require_user
def decide(pid: int, row_id: int):
    """Review a row (accept a candidate, or leave it unmatched) or put it on the watch list."""
    body = json_object()
    action = parse.choice("action", body.get("action"), ("accept", "unmatch", "watch", "unwatch"))
    with db.conn() as c:
        inst = _institution(c)
        if action in ("watch", "unwatch"):
            decra.watch(c, pid, inst["id"], row_id, action == "watch", auth.signed_in_user())
        else:
            fid = body.get("facility_id")
            decra.review(c, pid, inst["id"], row_id, action,
                         parse.integer("facility_id", fid, lo=1, hi=parse.INT32[1]) if fid else None)
        c.commit()
    if request.is_json or request.path.startswith("/api/"):
        return jsonify({"ok": True})
    return redirect(url_for("decra.portfolio_page", pid=pid) + f"#row-{row_id}")


def _words() -> dict:
    lang = i18n.current_lang()
    w = dict(Words(lang).t)
    w |= {f"industry_{k}": v[0] if lang == "zh" else v[1] for k, v in INDUSTRIES.items()}
    return w


@bp.get("/decra/<int:pid>/report.<fmt>")
@auth.require_user
def report(pid: int, fmt: str):
    """The portfolio report as XLSX or PDF."""
    fmt = parse.choice("format", fmt, ("xlsx", "pdf"))
    with db.conn() as c:
        p = decra.portfolio(c, pid, _institution(c)["id"])
    words = _words()
    when = Words(i18n.current_lang()).time(p["assessed_at"])
    meta = [f"{p['name']} · {words.get('decra_rules')} {p['rules']}", f"{words.get('decra_assessed')} {when}"]
    body = decra_report.xlsx(p, words, meta) if fmt == "xlsx" else decra_report.pdf(p, words, meta)
    mime = "application/pdf" if fmt == "pdf" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, mimetype=mime, headers={
        "Content-Disposition": f'attachment; filename="decra-{pid}.{fmt}"', "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff"})


@bp.get("/api/decra/portfolios")
@auth.require_user
def api_list():
    """The institution's portfolios."""
    with db.conn() as c:
        return jsonify(decra.portfolios(c, _institution(c)["id"]))


@bp.post("/api/decra/portfolios")
@auth.require_user
def api_upload():
    """Upload a portfolio (multipart `file`, optional `name`): 201 with its id, or 400 with the bad rows."""
    with db.conn() as c:
        pid = _upload(c, _institution(c))
        c.commit()
    return jsonify({"id": pid, "url": url_for("decra.api_portfolio", pid=pid)}), 201


@bp.get("/api/decra/portfolios/<int:pid>")
@auth.require_user
def api_portfolio(pid: int):
    """A portfolio with its rows, reasons and summary."""
    with db.conn() as c:
        resp = jsonify(decra.portfolio(c, pid, _institution(c)["id"]))
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.post("/api/decra/portfolios/<int:pid>/rows/<int:row_id>")
@auth.require_user
def api_decide(pid: int, row_id: int):
    """JSON {action: accept|unmatch|watch|unwatch, facility_id}."""
    return decide(pid, row_id)


@bp.post("/api/decra/institutions")
@auth.require_admin
def api_institution():
    """Administrators: register an institution {name}, optionally with member e-mails {members: [...]}."""
    body = json_object()
    with db.conn() as c:
        iid = decra.create_institution(c, str(body.get("name") or ""))
        for email in body.get("members") or []:
            decra.add_member(c, str(email), iid)
        c.commit()
    return jsonify({"id": iid}), 201
