"""Online emission monitoring: a facility's hourly series against its permit limits, and the push API."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta

from flask import Blueprint, Response, jsonify, request

from app import db
from app.push import MAX_ITEMS, json_body, push_token
from core import parse
from core.datasets import Dataset
from core.errors import Forbidden, Invalid, NotFound, TooLarge
from ingest import emissions
from ingest.report import RowError

bp = Blueprint("emissions", __name__, url_prefix="/api")
DEFAULT_SPAN = timedelta(days=14)
MAX_SPAN = timedelta(days=366)
FIELDS = ["observed_at", "pollutant", "value", "unit", "limit", "over", "synthetic"]

SERIES = """
SELECT to_char(e.observed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:00+08:00'), e.pollutant, e.value,
       l.unit, l.limit_value, e.value > l.limit_value, e.synthetic
FROM emission_readings e JOIN permit_limits l USING (facility_id, pollutant)
WHERE e.facility_id = %(fid)s AND e.observed_at >= %(lo)s AND e.observed_at < %(hi)s
  AND (%(pollutant)s::text IS NULL OR e.pollutant = %(pollutant)s)
ORDER BY e.observed_at, e.pollutant"""


@bp.get("/facilities/<int:facility_id>/emissions")
def series(facility_id: int):
    """Hourly readings of every monitored pollutant (or `pollutant`), from..to (Beijing days), JSON or CSV."""
    pollutant = request.args.get("pollutant") or None
    if pollutant is not None and pollutant not in emissions.POLLUTANTS:
        raise Invalid(f"pollutant must be one of {', '.join(emissions.POLLUTANTS)}, not {pollutant!r}")
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise Invalid(f"format must be json or csv, not {fmt!r}")
    lo_day = parse.day("from", request.args.get("from"), default=None)
    hi_day = parse.day("to", request.args.get("to"), default=None)
    with db.conn() as c:
        exists = facility_id <= 2**62 and c.execute("SELECT 1 FROM facilities WHERE id = %s", (facility_id,)).fetchone()
        if not exists:
            raise NotFound(f"no facility with id {facility_id}")
        limits = [{"pollutant": p, "limit": v, "unit": u, "basis": b, "synthetic": s} for p, v, u, b, s in c.execute(
            "SELECT pollutant, limit_value, unit, basis, synthetic FROM permit_limits WHERE facility_id = %s "
            "ORDER BY pollutant", (facility_id,))]
        if hi_day is None:
            latest = c.execute("SELECT max(observed_at) FROM emission_readings WHERE facility_id = %s",
                               (facility_id,)).fetchone()[0]
            hi_day = latest.astimezone(emissions.BEIJING).date() if latest else date.today()
        lo_day = lo_day or hi_day - DEFAULT_SPAN + timedelta(days=1)
        if hi_day < lo_day:
            raise Invalid("from must not be after to")
        if hi_day - lo_day >= MAX_SPAN:
            raise Invalid(f"the range is too long: at most {MAX_SPAN.days} days")
        lo = datetime.combine(lo_day, time(), emissions.BEIJING)
        hi = datetime.combine(hi_day + timedelta(days=1), time(), emissions.BEIJING)
        rows = c.execute(SERIES, {"fid": facility_id, "lo": lo, "hi": hi, "pollutant": pollutant}).fetchall()
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["facility_id", *FIELDS])
        w.writerows([facility_id, *r] for r in rows)
        name = f"facility-{facility_id}-emissions-{lo_day}-{hi_day}.csv"
        return Response(buf.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return jsonify({"facility_id": facility_id, "from": lo_day.isoformat(), "to": hi_day.isoformat(),
                    "limits": limits, "fields": FIELDS, "rows": [list(r) for r in rows],
                    "synthetic": any(r[-1] for r in rows) or any(x["synthetic"] for x in limits)})


def push_dataset(label: str) -> Dataset:
    """The data set of emission readings pushed by one client (its token's label)."""
    return Dataset(f"push-emissions:{label}", f"Emission readings pushed by {label}", "unspecified", None,
                   f"Pushed through POST /api/emissions by the client labelled {label!r}", None)


@bp.post("/emissions")
def push():
    """Store hourly stack/outfall readings (idempotent per facility, pollutant and hour); exceedances become records."""
    with db.conn() as c:
        token = push_token(c)
        if token.station_id is not None:
            raise Forbidden("this token may only push readings of its station; emission readings need an "
                            "unscoped token")
        payload = json_body()
        items = payload.get("readings") if isinstance(payload, dict) else payload
        if not isinstance(items, list) or not items:
            raise Invalid('expected {"readings": [{"facility_id", "pollutant", "time", "value"}, ...]}')
        if len(items) > MAX_ITEMS:
            raise TooLarge(f"too many readings in one batch: {len(items)} (at most {MAX_ITEMS})")
        parsed: list[emissions.EmissionReading | RowError] = []
        for item in items:
            try:
                parsed.append(emissions.parse_item(item))
            except RowError as exc:
                parsed.append(exc)
        report = emissions.ingest(c, push_dataset(token.label), parsed)
        c.execute("UPDATE api_tokens SET last_used_at = now() WHERE id = %s", (token.id,))
        c.commit()
    counts = {k: report.count(k) for k in ("inserted", "duplicate", "rejected")}
    accepted = counts["inserted"] + counts["duplicate"]
    status = 200 if not counts["rejected"] else 207 if accepted else 422
    return jsonify({"received": len(items), **counts, "new_violations": report.new_violations,
                    "items": report.outcomes}), status
