"""City transparency (PITI-like): the published ranking with its choropleth, per-city breakdowns, and the
assessors' scoring and checking pages."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, request, url_for

from app import auth, db
from app.push import json_object
from app.render import page
from core import parse
from core.errors import Forbidden, Invalid, NotFound
from indices import piti

bp = Blueprint("cities", __name__)
auth.protect(bp)


def _year(c) -> int | None:
    known = piti.years(c)
    return parse.integer("year", request.args.get("year"), lo=1990, hi=2100, default=known[0] if known else None)


@bp.get("/rankings/cities")
def ranking_page():
    """The published city ranking for a year, a choropleth of the scores and the methodology."""
    with db.conn() as c:
        year = _year(c)
        rows = piti.ranking(c, year) if year else []
        shapes, years = piti.shapes(c), piti.years(c)
    return page("rankings_cities.html", year=year, years=years, rows=rows, m=piti.methodology(),
                shapes=shapes, scores={r["code"]: r["total"] for r in rows})


@bp.get("/api/rankings/cities")
def ranking_api():
    """The published city ranking as JSON."""
    with db.conn() as c:
        year = _year(c)
        rows = piti.ranking(c, year) if year else []
    return jsonify({"methodology": piti.VERSION, "year": year, "max": piti.methodology()["max_total"],
                    "cities": rows})


@bp.get("/rankings/cities/<code>")
def city_page(code: str):
    """One city's items for a year: points, evidence, checks; this year's and last year's totals."""
    code = parse.area_code("code", code)
    with db.conn() as c:
        year = _year(c)
        items = piti.city_scores(c, year, code) if year else []
        rank = {r["code"]: r for r in piti.ranking(c, year)} if year else {}
        name = c.execute("SELECT name_zh, name_en FROM admin_areas WHERE code = %s", (code,)).fetchone()
    return page("rankings_city.html", code=code, year=year, items={i["item"]: i for i in items},
                m=piti.methodology(), summary=rank.get(code), name=name)


def _assessor() -> int:
    user = auth.signed_in_user()
    if user.role != "assessor":
        raise Forbidden("assessors only")
    return user.id


@bp.route("/assess", methods=["GET", "POST"])
@auth.require_user
def assess_page():
    """Assessors: score an item of a city for a year; check other assessors' scores."""
    uid = _assessor()
    year = parse.integer("year", request.values.get("year"), lo=1990, hi=2100, default=2025)
    code = request.values.get("code") or ""
    error = None
    with db.conn() as c:
        if request.method == "POST":
            try:
                _score(c, uid, request.form.to_dict())
                c.commit()
                return redirect(url_for("cities.assess_page", year=year, code=code))
            except (Invalid, NotFound) as exc:
                c.rollback()
                error = exc.reason
        cities = c.execute("SELECT code, name_zh, name_en FROM admin_areas WHERE level = 'prefecture' "
                           "ORDER BY code").fetchall()
        todo = c.execute(
            """SELECT s.id, s.year, s.area_code, a.name_zh, a.name_en, s.item, s.points, s.evidence_url, s.note
               FROM piti_scores s JOIN admin_areas a ON a.code = s.area_code
               WHERE s.check_status IS NULL AND NOT s.synthetic AND s.assessor_id <> %s
               ORDER BY s.scored_at LIMIT 200""", (uid,)).fetchall()
    return page("assess.html", 400 if error else 200, year=year, code=code, cities=cities, todo=todo,
                m=piti.methodology(), error=error)


def _score(c, uid: int, body: dict) -> int:
    return piti.score(c, uid, parse.integer("year", body.get("year"), lo=1990, hi=2100),
                      parse.area_code("code", body.get("code")), str(body.get("item") or ""),
                      parse.number("points", body.get("points"), lo=0, hi=1000),
                      str(body.get("evidence_url") or ""), (str(body.get("note") or "")[:2000] or None))


@bp.post("/assess/check/<int:score_id>")
@auth.require_user
def check(score_id: int):
    """A second assessor agrees with or disputes a score."""
    uid = _assessor()
    body = json_object()
    with db.conn() as c:
        piti.check(c, uid, score_id, str(body.get("status") or ""), (str(body.get("note") or "")[:2000] or None))
        c.commit()
    if request.is_json:
        return jsonify({"ok": True})
    return redirect(url_for("cities.assess_page"))


@bp.post("/api/piti/scores")
@auth.require_user
def api_score():
    """Assessors: {year, code, item, points, evidence_url, note} -> 201 with the score's id."""
    uid = _assessor()
    with db.conn() as c:
        sid = _score(c, uid, json_object())
        c.commit()
    return jsonify({"id": sid}), 201
