"""Rows of one list that name the same supplier twice: the same USCC, or the same name within 100 m.

Each repeat is reported as a duplicate of the first row naming the supplier and left out of the list (it does
not refuse the list): the first row stands for both. Nothing is lost: when the repeat is private the supplier's
link is private (as when two rows name one facility), and rows naming the repeat as their parent are given the
first row as parent instead.
"""

from __future__ import annotations

import math

from supply.matching import normalise_name
from supply.rows import Row

DUPLICATE_M = 100.0
_EARTH_M = 6_371_008.8


def metres(a: Row, b: Row) -> float:
    """Great-circle distance between two rows' WGS84 points."""
    assert a.lon is not None and a.lat is not None and b.lon is not None and b.lat is not None
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b.lon - a.lon) / 2) ** 2
    return 2 * _EARTH_M * math.asin(min(1.0, math.sqrt(h)))


def _name_key(r: Row) -> str:
    return normalise_name(r.name or "") or (r.name or "").strip().lower()


def _first_of(r: Row, by_uscc: dict[str, Row], by_name: dict[str, list[Row]]) -> tuple[Row, str] | None:
    """The earlier row that `r` repeats, and why; None when it repeats none."""
    if r.uscc and r.uscc in by_uscc:
        return by_uscc[r.uscc], f"the same USCC {r.uscc}"
    if r.lon is None:
        return None
    for first in by_name.get(_name_key(r), ()):
        if r.uscc and first.uscc and r.uscc != first.uscc:
            continue  # two companies of one name, registered apart
        d = metres(first, r)
        if d <= DUPLICATE_M:
            return first, f"the same name {round(d)} m away"
    return None


def mark_duplicates(rows: list[Row]) -> int:
    """Report every row (that passed its checks) repeating an earlier one; returns how many do."""
    by_uscc: dict[str, Row] = {}
    by_name: dict[str, list[Row]] = {}
    repeats: dict[str, Row] = {}  # ref of a repeat -> the first row
    for r in rows:
        if r.bad:
            continue
        found = _first_of(r, by_uscc, by_name)
        if found is None:
            if r.uscc:
                by_uscc[r.uscc] = r
            if r.lon is not None:
                by_name.setdefault(_name_key(r), []).append(r)
            continue
        first, why = found
        r.outcome, r.duplicate_of = "rejected", first.line
        r.reason = f"duplicate of line {first.line} ({why}): the supplier is listed once, as line {first.line}"
        if not r.public and first.public:
            first.public = False
            r.reason += "; its link is private, as this row asks"
        repeats[r.ref] = first
    for r in rows:
        if r.parent_ref in repeats and r.duplicate_of is None:
            first = repeats[r.parent_ref]
            r.parent_ref = None if first is r else first.ref
    return len(repeats)
