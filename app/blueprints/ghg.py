"""The GHG calculator: the /ghg page, its JSON API and saving a result into a facility's PRTR GHG figure."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from app import auth, db
from app.push import json_object
from app.render import page
from core import parse
from core.errors import Forbidden, Invalid, NotFound
from indices import ghg as stored
from standards import ghg

bp = Blueprint("ghg", __name__)
auth.protect(bp)
FORM_LINES = 3


def _form_inputs(form) -> dict:
    """The calculator's inputs from the page's form fields (empty lines left out)."""
    elec = [{"region": form.get(f"region_{i}"), "mwh": form.get(f"mwh_{i}"),
             "factor_year": form.get(f"factor_year_{i}")} for i in range(FORM_LINES) if form.get(f"mwh_{i}")]
    fuels = [{"fuel": form.get(f"fuel_{i}"), "quantity": form.get(f"quantity_{i}")}
             for i in range(FORM_LINES) if form.get(f"quantity_{i}")]
    return {"year": form.get("year"), "electricity": elec, "fuels": fuels, "heat_gj": form.get("heat_gj"),
            "clinker_t": form.get("clinker_t")}


def _factors() -> dict:
    t = ghg.load()
    return {"version": t.version, "versions": ghg.versions(), "notes": list(t.notes), "sources": t.sources,
            "grid": [t.grid[k] for k in sorted(t.grid, key=lambda k: (k[1], k[0]))],
            "fuels": list(t.fuels.values()), "heat": t.heat, "clinker": t.clinker, "regions": t.regions()}


def _may_save() -> bool:
    """Signed-in users see the save fields; the workflow room checks that they act for the company."""
    return auth.current_user() is not None


@bp.route("/ghg", methods=["GET", "POST"])
def calculator():
    """The calculator page: activity data in, scope 1 and 2 out, the factor table below."""
    result, error, form = None, None, request.form
    if request.method == "POST":
        try:
            inputs = _form_inputs(form)
            facility = form.get("facility_id")
            if facility and form.get("save") and _may_save():
                fid = parse.integer("facility_id", facility, lo=1, hi=parse.INT32[1])
                with db.conn() as c:
                    result = stored.save(c, auth.signed_in_user(), fid, inputs)
                    c.commit()
            else:
                result = ghg.calculate(inputs)
        except (Invalid, Forbidden, NotFound) as exc:
            error = exc.reason
    return page("ghg.html", 400 if error else 200, factors=_factors(), result=result, error=error, form=form,
                lines=range(FORM_LINES), may_save=_may_save())


@bp.get("/api/ghg/factors")
def factors():
    """The factor table in use, with every factor's source document and year."""
    return jsonify(_factors())


@bp.post("/api/ghg/calculate")
def calculate():
    """Scope 1 and 2 for the JSON activity data (nothing is stored)."""
    return jsonify(ghg.calculate(json_object()))


@bp.post("/api/facilities/<int:facility_id>/ghg")
@auth.require_user
def save(facility_id: int):
    """Store a calculation and put it into the company's PRTR form draft (users acting for the company only)."""
    with db.conn() as c:
        result = stored.save(c, auth.signed_in_user(), facility_id, json_object())
        c.commit()
    return jsonify(result), 201
