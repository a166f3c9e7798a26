"""A supplier-list row: what was read, the checks of its values and references, and what became of it."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.errors import Invalid
from geo.datum import DATUMS
from ingest import checks
from ingest.reader import cell_text
from ingest.report import RowError
from supply.chain import TIERS

TIER_ALIASES = {t: t for t in TIERS} | {t.replace("_", " "): t for t in TIERS} | {
    "原材料": "raw_materials", "原料": "raw_materials", "加工": "processing",
    "制造组装": "manufacturing_assembly", "制造": "manufacturing_assembly", "组装": "manufacturing_assembly",
    "直接供应商": "direct_supplier",
    "一级供应商": "direct_supplier", "废物处理": "waste_treatment", "污水处理": "waste_treatment",
    "包装": "packaging", "零售分销": "retail_distribution", "物流": "retail_distribution"}
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


def row_dict(r: Row) -> dict:
    """The row as the upload report shows it."""
    return {"line": r.line, "ref": r.ref, "name": r.name, "outcome": r.outcome, "reason": r.reason,
            "facility_id": r.facility_id, "match_facility_id": r.match_facility_id,
            "confidence": r.confidence, "tier": r.tier, "public": r.public, "parent": r.parent_ref}


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
    if tier:
        canon = TIER_ALIASES.get(tier) or TIER_ALIASES.get(tier.lower())
        if not canon:
            raise RowError("tier", f"unknown tier {tier!r}; use one of {', '.join(TIERS)}")
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
