"""Row checks shared by file loaders and supplier lists: numbers, coordinates, dates, identifiers.

Each takes a row (a dict of text cells) and a column, and raises RowError(column, reason) when the value
cannot be used; numbers, dates and yes/no values are parsed by `core.parse`.
"""

from __future__ import annotations

import re
from datetime import date

from core import parse
from core.errors import Invalid
from geo.datum import in_china_bbox, to_wgs84
from ingest.report import RowError
from standards import uscc
from standards.industries import INDUSTRIES

_INDUSTRY_LOOKUP = {k: k for k in INDUSTRIES} | {zh: k for k, (zh, _) in INDUSTRIES.items()} | {
    en.lower(): k for k, (_, en) in INDUSTRIES.items()}


# The largest penalty violations.penalty_cny (numeric(14, 2)) holds, in CNY.
MAX_PENALTY = 999_999_999_999.99


def number(row: dict, column: str, required: bool = True) -> float | None:
    """A finite float from a cell, None when empty and not `required`, or RowError."""
    text = (row.get(column) or "").strip()
    if not text:
        if required:
            raise RowError(column, "missing value")
        return None
    try:
        return parse.number(column, text)
    except Invalid:
        raise RowError(column, f"not a number: {text!r}") from None


def point(row: dict, crs: str) -> tuple[float, float]:
    """WGS84 lon/lat from the row's lon/lat columns in `crs`; must fall in China."""
    lon, lat = number(row, "lon"), number(row, "lat")
    assert lon is not None and lat is not None
    swapped = " (are lon and lat swapped?)" if in_china_bbox(lat, lon) else ""
    if not (-180 <= lon <= 180):
        raise RowError("lon", f"longitude {lon} outside -180..180{swapped}")
    if not (-90 <= lat <= 90):
        raise RowError("lat", f"latitude {lat} outside -90..90{swapped}")
    if not in_china_bbox(lon, lat):
        raise RowError("lon", f"({lon}, {lat}) is outside China{swapped}")
    return to_wgs84(lon, lat, crs)


def parse_date(row: dict, column: str) -> date:
    """A date in ISO, slash, dotted, compact or 年月日 form."""
    text = (row.get(column) or "").strip()
    if not text:
        raise RowError(column, "missing date")
    try:
        return parse.day(column, text, loose=True)
    except Invalid as exc:
        raise RowError(column, exc.reason) from None


def optional_uscc(row: dict, column: str = "uscc") -> str | None:
    """The normalised USCC in `column`, None when empty, RowError when invalid."""
    text = (row.get(column) or "").strip()
    if not text:
        return None
    try:
        return uscc.validate(text)
    except uscc.InvalidUSCC as exc:
        raise RowError(column, f"invalid USCC: {exc}") from None


def industry(row: dict) -> str:
    """Industry code from a code, or a Chinese or English label; 'other' when empty."""
    text = (row.get("industry") or "").strip()
    if not text:
        return "other"
    code = _INDUSTRY_LOOKUP.get(text) or _INDUSTRY_LOOKUP.get(text.lower())
    if not code:
        raise RowError("industry", f"unknown industry {text!r}; use one of: {', '.join(INDUSTRIES)}")
    return code


def boolean(row: dict, column: str) -> bool:
    """A yes/no cell (true/false, 1/0, yes/no, 是/否); no when empty."""
    try:
        return parse.boolean(column, row.get(column), default=False)
    except Invalid as exc:
        raise RowError(column, exc.reason) from None


def legacy_ids(row: dict) -> tuple[str | None, str | None]:
    """Legacy identifiers kept beside a USCC: 15-digit registration number and GB 11714 organisation code."""
    reg = uscc.normalise(row.get("registration_no") or "") or None
    if reg and not re.fullmatch(r"\d{15}", reg):
        raise RowError("registration_no", f"a registration number has 15 digits, got {reg!r}")
    org = uscc.normalise(row.get("organisation_code") or "") or None
    if org:
        if not re.fullmatch(r"[0-9A-Z]{8}[0-9X]", org):
            raise RowError("organisation_code", f"an organisation code has 8 characters and a check, got {org!r}")
        if uscc.organisation_check(org[:8]) != org[8]:
            raise RowError("organisation_code", f"check character of {org} should be "
                                                f"{uscc.organisation_check(org[:8])!r}")
    return reg, org
