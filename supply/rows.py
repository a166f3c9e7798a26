"""A supplier-list row: what was read, the checks of its values and references, and what became of it."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from core.errors import Invalid
from geo.datum import DATUMS
from ingest import checks
from ingest.reader import cell_text
from ingest.report import RowError
from supply.chain import TIERS

# The seven tiers in the order of IPE's green supply chain programme (1 raw materials .. 7 retail), with the
# names lists give them. Tier names are compared folded (see fold_tier): case, full/half width, spaces and
# punctuation do not matter, so "Manufacturing & Assembly", "manufacturing_assembly" and "制造/组装" are one.
TIER_NAMES: dict[str, tuple[str, ...]] = {
    "raw_materials": ("Raw Materials", "Raw Material", "原材料", "原料"),
    "processing": ("Processing", "加工"),
    "manufacturing_assembly": ("Manufacturing & Assembly", "Manufacturing and Assembly", "制造与组装",
                               "制造组装", "制造和组装", "制造", "组装"),
    "direct_supplier": ("Direct Suppliers", "Direct Supplier", "直接供应商", "一级供应商"),
    "waste_treatment": ("Waste Treatment", "废物处理", "废弃物处理", "污水处理"),
    "packaging": ("Packaging", "包装"),
    "retail_distribution": ("Retail & Distribution", "Retail and Distribution", "零售与分销", "零售分销",
                            "零售和分销", "物流"),
}
_NOT_WORD = re.compile(r"[\W_]+")


def fold_tier(text: str) -> str:
    """A tier name folded for comparison: NFKC (full width to half), case folded, punctuation and spaces out."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())


def _tier_aliases() -> dict[str, str]:
    """Folded name, number ("1", "Tier 1", "T1") or synonym -> tier."""
    out = {}
    for n, tier in enumerate(TIERS, 1):
        for alias in (tier, str(n), f"tier {n}", f"t{n}", *TIER_NAMES[tier]):
            out[fold_tier(alias)] = tier
    return out


TIER_ALIASES = _tier_aliases()
# What the report of a row with an unknown tier names: "1 raw_materials (Raw Materials, 原材料); 2 ..."
ACCEPTED_TIERS = "; ".join(f"{n} {t} ({TIER_NAMES[t][0]}, {next(x for x in TIER_NAMES[t] if not x.isascii())})"
                           for n, t in enumerate(TIERS, 1))
OUTCOMES = ("linked", "review", "new_facility", "rejected")
MAX_NAME = 300


class ListError(Invalid):
    """A request about supplier lists that cannot be done; the message says why."""


@dataclass
class Row:
    """One row of an uploaded list: what was read, and what happened to it."""

    line: int
    ref: str
    raw: dict[str, str]
    name: str | None = None
    address: str | None = None
    uscc: str | None = None
    lon: float | None = None
    lat: float | None = None
    crs: str | None = None
    precision: str = "exact"  # facilities.location_precision: exact, or how precisely the address placed the row
    tier: str = "direct_supplier"
    parent_ref: str | None = None
    public: bool = False
    outcome: str = "rejected"
    reason: str | None = None
    match_facility_id: int | None = None
    confidence: float | None = None
    candidates: list[dict] = field(default_factory=list)
    facility_id: int | None = None
    decision: str | None = None
    bad: bool = False
    duplicate_of: int | None = None  # the line of the first row naming the same supplier


def row_dict(r: Row) -> dict:
    """The row as the upload report shows it."""
    return {"line": r.line, "ref": r.ref, "name": r.name, "outcome": r.outcome, "reason": r.reason,
            "facility_id": r.facility_id, "match_facility_id": r.match_facility_id,
            "confidence": r.confidence, "tier": r.tier, "public": r.public, "parent": r.parent_ref,
            "duplicate_of": r.duplicate_of}


def reject(r: Row, reason: str) -> None:
    """Mark a row rejected, for `reason`."""
    r.bad, r.outcome, r.reason = True, "rejected", reason


def parse_row(line: int, cells: dict[str, object], default_crs: str, default_public: bool) -> Row:
    """A Row from a row's cells by canonical column; bad values mark it rejected with a reason."""
    raw = {k: cell_text(val) for k, val in cells.items()}
    r = Row(line, raw.get("ref") or str(line), raw)
    try:
        _name_and_ids(r, raw, cells.get("uscc"))
        _place(r, raw, default_crs)
        _tier(r, raw.get("tier", ""))
        r.parent_ref = raw.get("parent") or None
        r.public = checks.boolean(raw, "public") if raw.get("public") else default_public
        r.outcome = "pending"
    except RowError as exc:
        reject(r, f"{exc.column}: {exc.reason}")
    return r


def _name_and_ids(r: Row, raw: dict[str, str], uscc_cell: object) -> None:
    name = raw.get("name", "")
    if not name:
        raise RowError("name", "a supplier needs a name")
    if len(name) > MAX_NAME:
        raise RowError("name", f"a name of at most {MAX_NAME} characters")
    r.name = name
    r.address = raw.get("address", "")[:500] or None
    if isinstance(uscc_cell, int | float) and not isinstance(uscc_cell, bool):
        raise RowError("uscc", "the USCC is stored as a number in the spreadsheet (digits may be lost): "
                               "format the column as text")
    r.uscc = checks.optional_uscc(raw)


def _place(r: Row, raw: dict[str, str], default_crs: str) -> None:
    """WGS84 coordinates from the row's datum, checked as `bluemap load-file` checks them (in China)."""
    crs = (raw.get("crs") or default_crs).lower().replace("-", "")
    if crs not in DATUMS:
        raise RowError("crs", f"unknown datum {crs!r}; use one of {', '.join(DATUMS)}")
    if raw.get("lon") or raw.get("lat"):
        r.lon, r.lat = checks.point(raw, crs)
        r.crs = crs


def _tier(r: Row, tier: str) -> None:
    """The row's tier from its name, number (1-7, "Tier 1", "T2") or a synonym."""
    if tier:
        canon = TIER_ALIASES.get(fold_tier(tier))
        if not canon:
            raise RowError("tier", f"unknown tier {tier!r}; use a number, name or synonym of: {ACCEPTED_TIERS}")
        r.tier = canon


def check_references(rows: list[Row]) -> None:
    """Reject repeated refs, parents that name no row (or the row itself), and rows in a cycle."""
    by_ref: dict[str, Row] = {}
    for r in rows:
        if r.ref in by_ref:
            reject(r, f"ref: {r.ref!r} is already the ref of line {by_ref[r.ref].line}")
        else:
            by_ref[r.ref] = r
    for r in rows:
        if r.bad or r.parent_ref is None:
            continue
        if r.parent_ref == r.ref:
            reject(r, "parent: a supplier cannot be its own buyer")
        elif r.parent_ref not in by_ref:
            reject(r, f"parent: no row with ref {r.parent_ref!r} in this list")
    for r in rows:  # follow the parents up: a row reached again from itself is in a cycle
        if r.bad or r.parent_ref is None:
            continue
        path, cur = [r.ref], by_ref.get(r.parent_ref)
        while cur is not None and len(path) <= len(rows):
            if cur is r:
                reject(r, "parent: the parent rows form a cycle " + " -> ".join(path + [r.ref]))
                break
            path.append(cur.ref)
            cur = by_ref.get(cur.parent_ref) if cur.parent_ref else None


def note_orphans(rows: list[Row]) -> None:
    """Note rows whose parent row was rejected: they are kept, without their chain edge."""
    by_ref = {r.ref: r for r in rows}
    for r in rows:
        if not r.bad and r.parent_ref and by_ref.get(r.parent_ref) and by_ref[r.parent_ref].bad:
            note = f"parent row {r.parent_ref} was rejected: no chain edge"
            r.reason = f"{r.reason}; {note}" if r.reason else note
