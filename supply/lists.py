"""Brands' supplier lists: upload (CSV or XLSX), row checks, matching to facilities, review, versions.

The model follows Open Supply Hub's list -> row -> match -> facility, plus supplier-of-supplier edges:

- Upload: every row is read and checked (name required; USCC check digit; coordinates with their datum,
  converted to WGS84; tier category; parent row; public flag). Bad rows are rejected with their column and
  reason. Like `bluemap load-file`, a file with a bad row imports nothing unless `skip_invalid` is asked for;
  the refused version is still kept with its row-level report.
- Matching, per row: a valid USCC on file gives that company's facility (confidence 1). Otherwise candidates
  come from name similarity (pg_trgm on the Chinese and English names, legal-form words such as 有限公司 or
  "Co., Ltd." removed) and distance (PostGIS); confidence = 0.65 x similarity + 0.35 x closeness, where
  closeness is 1 within 100 m and falls to 0 at 10 km (log scale); without coordinates, 0.85 x similarity.
  At or above AUTO_LINK (0.80) the row links automatically; from REVIEW (0.50) it waits for the brand's
  review; below, a new facility is created from the row (rows without coordinates cannot be, and are
  rejected).
- Versions: each upload is a new version of the brand's list. It is accepted once no row waits for review
  (at once when none does); accepting it makes its links active and every earlier link of the brand
  inactive (kept, not deleted), records its supplier -> buyer edges and bumps the data version.
- A link is public only when every row naming that facility says so; rows are private unless marked public.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import zipfile
from dataclasses import dataclass, field

import psycopg

from ingest import checks as v
from core.datasets import Dataset
from ingest.facilities import assign_area_codes
from db.staging import bump_data_version, register_dataset
from geo.datum import DATUMS, in_china_bbox, to_wgs84

DATASET = Dataset("upload:supplier-lists", "Supplier lists uploaded by brands", "provided by the brands",
                  None, "Supplier names, addresses and locations as listed by the brands that uploaded them.",
                  None)
AUTO_LINK = 0.80
REVIEW = 0.50
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20000
NEARBY_M = 5000
TIERS = ("raw_materials", "processing", "manufacturing_assembly", "direct_supplier", "waste_treatment",
         "packaging", "retail_distribution")
TIER_ALIASES = {t: t for t in TIERS} | {t.replace("_", " "): t for t in TIERS} | {
    "原材料": "raw_materials", "原料": "raw_materials", "加工": "processing",
    "制造组装": "manufacturing_assembly", "制造": "manufacturing_assembly", "组装": "manufacturing_assembly",
    "直接供应商": "direct_supplier",
    "一级供应商": "direct_supplier", "废物处理": "waste_treatment", "污水处理": "waste_treatment",
    "包装": "packaging", "零售分销": "retail_distribution", "物流": "retail_distribution"}
COLUMNS: dict[str, tuple[str, ...]] = {  # canonical name: the headers accepted for it
    "ref": ("ref", "id", "row_id", "编号", "序号"),
    "name": ("name", "supplier", "supplier_name", "facility_name", "名称", "供应商", "供应商名称",
             "企业名称"),
    "address": ("address", "地址"),
    "uscc": ("uscc", "credit_code", "统一社会信用代码"),
    "lon": ("lon", "lng", "longitude", "经度"),
    "lat": ("lat", "latitude", "纬度"),
    "crs": ("crs", "datum", "坐标系"),
    "tier": ("tier", "tier_category", "category", "层级", "类别"),
    "parent": ("parent", "parent_ref", "buyer", "上级", "采购方"),
    "public": ("public", "is_public", "公开"),
}
HEADERS = {alias: canon for canon, aliases in COLUMNS.items() for alias in aliases}
OUTCOMES = ("linked", "review", "new_facility", "rejected")
ACTIONS = ("accept", "choose", "new", "drop")
CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff]")
# Legal-form words that every company name shares: removed before names are compared.
_LEGAL = (r"(股份有限公司|有限责任公司|有限公司|分公司|集团|公司|厂|"
          r"co\.?,?\s*ltd\.?|company|limited|ltd\.?|inc\.?|corporation|corp\.?|group|factory|llc)")
_PUNCT = r"[[:punct:][:space:]（）()，、·]+"


def normalise_name(name: str) -> str:
    """Lower case, legal-form words and punctuation removed (mirrors NORM_SQL)."""
    s = re.sub(_LEGAL, "", (name or "").lower())
    return re.sub(r"[\W_（）()，、·]+", " ", s).strip()


def norm_sql(col: str) -> str:
    return f"btrim(regexp_replace(regexp_replace(lower({col}), '{_LEGAL}', '', 'g'), '{_PUNCT}', ' ', 'g'))"


class ListError(ValueError):
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


@dataclass
class Upload:
    """What an upload did: the list version it made and a summary of its rows."""

    list_id: int | None
    version: int | None
    status: str
    committed: bool
    summary: dict
    rows: list[Row]

    def as_dict(self) -> dict:
        return {"list_id": self.list_id, "version": self.version, "status": self.status,
                "committed": self.committed, "summary": self.summary,
                "rows": [row_dict(r) for r in self.rows]}


def row_dict(r: Row) -> dict:
    return {"line": r.line, "ref": r.ref, "name": r.name, "outcome": r.outcome, "reason": r.reason,
            "facility_id": r.facility_id, "match_facility_id": r.match_facility_id,
            "confidence": r.confidence, "tier": r.tier, "public": r.public, "parent": r.parent_ref}


# --- reading -----------------------------------------------------------------------------------------------

def _cell(value) -> str:
    """A spreadsheet value as text (whole floats without .0; dates in ISO)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def read_table(data: bytes, filename: str) -> tuple[list[str], list[tuple[int, list]], str]:
    """Header, (row number, cells) of each non-blank row, and how the file was read; or ListError."""
    if not data:
        raise ListError("the file is empty")
    if len(data) > MAX_BYTES:
        raise ListError(f"a list of at most {MAX_BYTES // 1024 // 1024} MB")
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ListError("old Excel .xls files are not read: save the sheet as .xlsx or .csv")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes almost anything
        raise ListError("the file is neither UTF-8 nor GB18030 text")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ListError("the file is empty") from None
    except csv.Error as exc:
        raise ListError(f"not a CSV file: {exc}") from None
    rows = []
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append((reader.line_num, cells))
            if len(rows) > MAX_ROWS:
                raise ListError(f"a list of at most {MAX_ROWS} rows")
    except csv.Error as exc:
        raise ListError(f"CSV error at line {reader.line_num}: {exc}") from None
    return header, rows, "CSV, " + ("UTF-8" if encoding == "utf-8-sig" else "GB18030")


def _read_xlsx(data: bytes) -> tuple[list[str], list[tuple[int, list]], str]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ListError(f"not a readable XLSX file: {exc}") from None
    try:
        ws = wb.worksheets[0]
        rows, header = [], None
        for n, values in enumerate(ws.iter_rows(values_only=True), 1):
            values = list(values)
            if header is None:
                if not any(x is not None and str(x).strip() for x in values):
                    continue
                header = [_cell(x) for x in values]
                continue
            if any(x is not None and str(x).strip() for x in values):
                rows.append((n, values))
            if len(rows) > MAX_ROWS:
                raise ListError(f"a list of at most {MAX_ROWS} rows")
    finally:
        wb.close()
    if header is None:
        raise ListError("the first sheet is empty")
    return header, rows, f"XLSX, sheet {ws.title!r}"


# --- checking ----------------------------------------------------------------------------------------------

def map_header(header: list[str]) -> tuple[list[str | None], list[str]]:
    """Canonical column of each header cell, and the problems (unknown, repeated or missing columns)."""
    out: list[str | None] = []
    problems = []
    seen = set()
    for h in header:
        key = (h or "").strip().lower().replace(" ", "_")
        canon = HEADERS.get(key) or HEADERS.get((h or "").strip())
        if not key:
            out.append(None)
            continue
        if canon is None:
            problems.append(f"unknown column {h!r}; columns: {', '.join(COLUMNS)}")
        elif canon in seen:
            problems.append(f"column {canon!r} appears twice")
        seen.add(canon)
        out.append(canon)
    if "name" not in seen:
        problems.append("required column 'name' is missing")
    if ("lon" in seen) != ("lat" in seen):
        problems.append("give both lon and lat columns, or neither")
    return out, problems


def _text(row: dict, col: str) -> str:
    return _cell(row.get(col)).strip()


def parse_row(line: int, cells: dict, default_crs: str, default_public: bool) -> Row:
    """A Row from a row's cells by canonical column; bad values mark it rejected with a reason."""
    raw = {k: _cell(val) for k, val in cells.items()}
    r = Row(line, _text(cells, "ref") or str(line), raw)
    try:
        name = _text(cells, "name")
        if not name:
            raise v.RowError("name", "a supplier needs a name")
        if len(name) > 300:
            raise v.RowError("name", "a name of at most 300 characters")
        r.name = name
        r.address = _text(cells, "address")[:500] or None
        code = cells.get("uscc")
        if isinstance(code, (int, float)) and not isinstance(code, bool):
            raise v.RowError("uscc", "the USCC is stored as a number in the spreadsheet (digits may be "
                                     "lost): format the column as text")
        r.uscc = v.optional_uscc({"uscc": _text(cells, "uscc")})
        crs = (_text(cells, "crs") or default_crs).lower().replace("-", "")
        if crs not in DATUMS:
            raise v.RowError("crs", f"unknown datum {crs!r}; use one of {', '.join(DATUMS)}")
        lon_t, lat_t = _text(cells, "lon"), _text(cells, "lat")
        if lon_t or lat_t:
            lon = v.number({"lon": lon_t}, "lon")
            lat = v.number({"lat": lat_t}, "lat")
            assert lon is not None and lat is not None
            looks_swapped = in_china_bbox(lat, lon) and not in_china_bbox(lon, lat)
            swapped = " (are lon and lat swapped?)" if looks_swapped else ""
            if not -180 <= lon <= 180:
                raise v.RowError("lon", f"longitude {lon} outside -180..180{swapped}")
            if not -90 <= lat <= 90:
                raise v.RowError("lat", f"latitude {lat} outside -90..90{swapped}")
            if crs != "wgs84" and not in_china_bbox(lon, lat):
                raise v.RowError("crs", f"{crs} coordinates exist only in China; ({lon}, {lat}) is "
                                        f"outside{swapped}")
            r.lon, r.lat = to_wgs84(lon, lat, crs)
            r.crs = crs
        tier = _text(cells, "tier")
        if tier:
            canon = TIER_ALIASES.get(tier) or TIER_ALIASES.get(tier.lower())
            if not canon:
                raise v.RowError("tier", f"unknown tier {tier!r}; use one of {', '.join(TIERS)}")
            r.tier = canon
        r.parent_ref = _text(cells, "parent") or None
        flag = _text(cells, "public")
        r.public = v.boolean({"public": flag}, "public") if flag else default_public
        r.outcome = "pending"
    except v.RowError as exc:
        r.bad, r.outcome, r.reason = True, "rejected", f"{exc.column}: {exc.reason}"
    return r


def _reject(r: Row, reason: str) -> None:
    r.bad, r.outcome, r.reason = True, "rejected", reason


def check_references(rows: list[Row]) -> None:
    """Reject repeated refs, parents that name no row (or the row itself), and rows in a cycle."""
    by_ref: dict[str, Row] = {}
    for r in rows:
        if r.ref in by_ref:
            _reject(r, f"ref: {r.ref!r} is already the ref of line {by_ref[r.ref].line}")
        else:
            by_ref[r.ref] = r
    for r in rows:
        if r.bad or r.parent_ref is None:
            continue
        if r.parent_ref == r.ref:
            _reject(r, "parent: a supplier cannot be its own buyer")
        elif r.parent_ref not in by_ref:
            _reject(r, f"parent: no row with ref {r.parent_ref!r} in this list")
    for r in rows:  # follow the parents up: a row reached again from itself is in a cycle
        if r.bad or r.parent_ref is None:
            continue
        path, cur = [r.ref], by_ref.get(r.parent_ref)
        while cur is not None and len(path) <= len(rows):
            if cur is r:
                r.bad, r.outcome = True, "rejected"
                r.reason = "parent: the parent rows form a cycle " + " -> ".join(path + [r.ref])
                break
            path.append(cur.ref)
            cur = by_ref.get(cur.parent_ref) if cur.parent_ref else None


# --- matching ----------------------------------------------------------------------------------------------

def closeness(distance_m: float) -> float:
    """1 within 100 m, 0.5 at 1 km, 0 from 10 km (log scale)."""
    if distance_m <= 100:
        return 1.0
    return max(0.0, 1.0 - math.log10(distance_m / 100) / 2)


def confidence(similarity: float, distance_m: float | None) -> float:
    if distance_m is None:
        return round(0.85 * similarity, 3)
    return round(0.65 * similarity + 0.35 * closeness(distance_m), 3)


_POINT = "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)"
_CANDIDATE_COLS = f"""f.id, f.name_zh, f.name_en, f.address, c.uscc,
    greatest(coalesce(similarity({norm_sql('f.name_zh')}, %(qn)s), 0),
             coalesce(similarity({norm_sql('f.name_en')}, %(qn)s), 0)) AS sim,
    CASE WHEN %(lon)s::float8 IS NULL THEN NULL
         ELSE ST_Distance(f.geom::geography, {_POINT}::geography) END AS dist"""
BY_USCC = f"""SELECT {_CANDIDATE_COLS} FROM companies c JOIN facilities f ON f.company_id = c.id
    WHERE c.uscc = %(uscc)s::bpchar ORDER BY dist NULLS LAST, f.id LIMIT 5"""
BY_NAME = f"""SELECT {_CANDIDATE_COLS} FROM (
        (SELECT id FROM facilities WHERE name_zh %% %(q)s ORDER BY similarity(name_zh, %(q)s) DESC LIMIT 20)
        UNION
        (SELECT id FROM facilities WHERE lower(name_en) %% lower(%(q)s)
         ORDER BY similarity(lower(name_en), lower(%(q)s)) DESC LIMIT 20)
    ) h JOIN facilities f ON f.id = h.id LEFT JOIN companies c ON c.id = f.company_id"""
NEARBY = f"""SELECT {_CANDIDATE_COLS} FROM (
        SELECT id FROM facilities WHERE ST_DWithin(geom::geography, {_POINT}::geography, {NEARBY_M})
        ORDER BY geom <-> {_POINT} LIMIT 10
    ) h JOIN facilities f ON f.id = h.id LEFT JOIN companies c ON c.id = f.company_id"""


def _candidate(rec, row_uscc: str | None) -> dict:
    fid, zh, en, address, code, sim, dist = rec
    conf = confidence(float(sim), None if dist is None else float(dist))
    if row_uscc and code and code.strip() != row_uscc:
        conf = round(conf * 0.5, 3)  # the registry says it is another company
    return {"facility_id": fid, "name_zh": zh, "name_en": en, "address": address,
            "uscc": code and code.strip(), "similarity": round(float(sim), 3),
            "distance_m": None if dist is None else round(float(dist)), "confidence": conf}


def match(conn: psycopg.Connection, r: Row) -> None:
    """Set the row's outcome (linked, review or new_facility, or rejected), match and candidates."""
    params = {"q": r.name, "qn": normalise_name(r.name or ""), "lon": r.lon, "lat": r.lat, "uscc": r.uscc}
    if r.uscc:
        found = conn.execute(BY_USCC, params).fetchall()
        if found:
            r.candidates = [_candidate(x, None) | {"confidence": 1.0, "by": "uscc"} for x in found]
            r.outcome, r.decision = "linked", "auto"
            r.match_facility_id = r.facility_id = r.candidates[0]["facility_id"]
            r.confidence = 1.0
            r.reason = f"USCC {r.uscc} on file"
            return
    cands: dict[int, dict] = {}
    queries = [BY_NAME] + ([NEARBY] if r.lon is not None else [])
    for sql in queries:
        for rec in conn.execute(sql, params):
            cands[rec[0]] = _candidate(rec, r.uscc)
    ranked = sorted(cands.values(), key=lambda c: (-c["confidence"], c["facility_id"]))[:5]
    r.candidates = ranked
    top = ranked[0] if ranked else None
    r.confidence = top["confidence"] if top else 0.0
    if top and top["confidence"] >= AUTO_LINK:
        r.outcome, r.decision = "linked", "auto"
        r.match_facility_id = r.facility_id = top["facility_id"]
        r.reason = _why(top)
    elif top and top["confidence"] >= REVIEW:
        r.outcome = "review"
        r.match_facility_id = top["facility_id"]
        r.reason = "uncertain match: " + _why(top)
    else:
        best = f" (best confidence {top['confidence']:.2f})" if top else ""
        if r.lon is not None:
            r.outcome, r.decision = "new_facility", "auto"
            r.reason = "no facility on file matches" + best
        else:
            _reject(r, f"lon: no facility on file matches{best} and the row has no coordinates to create one")


def _why(c: dict) -> str:
    where = f", {c['distance_m']} m away" if c["distance_m"] is not None else ", no coordinates given"
    return f"name similarity {c['similarity']:.2f}{where}; confidence {c['confidence']:.2f}"


# --- storing -----------------------------------------------------------------------------------------------

def new_facility(conn: psycopg.Connection, r: Row) -> int:
    """A facility made from a row (the same name and place give the same facility); returns its id."""
    assert r.lon is not None and r.lat is not None and r.name
    register_dataset(conn, DATASET)
    key = "sl:" + hashlib.sha1(f"{normalise_name(r.name)}|{r.lon:.5f}|{r.lat:.5f}".encode()).hexdigest()[:16]
    company_id = None
    if r.uscc:
        zh, en = (r.name, None) if CJK.search(r.name) else (None, r.name)
        conn.execute("""INSERT INTO companies (uscc, name_zh, name_en, dataset_id) VALUES (%s, %s, %s, %s)
                        ON CONFLICT (uscc) DO NOTHING""", (r.uscc, zh, en, DATASET.id))
        company_id = conn.execute("SELECT id FROM companies WHERE uscc = %s", (r.uscc,)).fetchone()[0]
    zh, en = (r.name, None) if CJK.search(r.name) else (None, r.name)
    conn.execute("""INSERT INTO facilities (dataset_id, ext_id, company_id, name_zh, name_en, industry,
                                            address, source_crs, attrs, geom)
                    VALUES (%s, %s, %s, %s, %s, 'other', %s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326))
                    ON CONFLICT (dataset_id, ext_id) DO NOTHING""",
                 (DATASET.id, key, company_id, zh, en, r.address, r.crs or "wgs84",
                  json.dumps({"source": "brand supplier list"}), round(r.lon, 7), round(r.lat, 7)))
    fid = conn.execute("SELECT id FROM facilities WHERE dataset_id = %s AND ext_id = %s",
                       (DATASET.id, key)).fetchone()[0]
    assign_area_codes(conn, DATASET.id)
    return int(fid)


def summarise(rows: list[Row], how: str = "") -> dict:
    counts = {o: 0 for o in OUTCOMES}
    for r in rows:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    return {"rows": len(rows), **counts, "read_as": how}


_ROW_COLS = ("list_id", "line", "ref", "raw", "name", "address", "uscc", "lon", "lat", "crs", "tier",
             "parent_ref", "is_public", "outcome", "reason", "match_facility_id", "confidence", "candidates",
             "facility_id", "decision")


def _store_rows(conn: psycopg.Connection, list_id: int, rows: list[Row]) -> None:
    with conn.cursor().copy(f"COPY supplier_list_rows ({', '.join(_ROW_COLS)}) FROM STDIN") as copy:
        for r in rows:
            copy.write_row((list_id, r.line, r.ref, json.dumps(r.raw, ensure_ascii=False), r.name, r.address,
                            r.uscc, r.lon, r.lat, r.crs, r.tier, r.parent_ref, r.public, r.outcome, r.reason,
                            r.match_facility_id, r.confidence, json.dumps(r.candidates, ensure_ascii=False),
                            r.facility_id, r.decision))


def upload(conn: psycopg.Connection, brand_id: int, data: bytes, filename: str, *, user_id: int | None = None,
           name: str | None = None, default_crs: str = "wgs84", default_public: bool = False,
           skip_invalid: bool = False) -> Upload:
    """Read, check and match a list, store it as the brand's next version, accept it when nothing waits for
    review. Commits. ListError for a file that cannot be read at all (nothing stored then)."""
    if default_crs not in DATUMS:
        raise ListError(f"crs must be one of {', '.join(DATUMS)}")
    header, table, how = read_table(data, filename)
    columns, problems = map_header(header)
    if problems:
        raise ListError("; ".join(problems))
    rows = []
    for line, cells in table:
        named = {c: cells[i] if i < len(cells) else None for i, c in enumerate(columns) if c}
        extra = [x for x in cells[len(columns):] if _cell(x)]
        r = parse_row(line, named, default_crs, default_public)
        if extra and not r.bad:
            _reject(r, f"expected {len(columns)} cells, found {len(cells)}")
        rows.append(r)
    if not rows:
        raise ListError("the list has a header but no rows")
    check_references(rows)
    conn.execute("SELECT id FROM brands WHERE id = %s FOR UPDATE", (brand_id,))
    conn.execute("SELECT set_limit(0.3)")
    for r in rows:
        if not r.bad:
            match(conn, r)
    bad = sum(r.bad for r in rows)
    refused = bad > 0 and not skip_invalid
    if refused:
        for r in rows:
            if not r.bad:
                r.outcome, r.facility_id, r.decision, r.match_facility_id = "rejected", None, None, None
                r.confidence, r.candidates = None, []
                r.reason = (f"not imported: {bad} row(s) of this file were rejected; fix them, or upload "
                            "again importing only the valid rows")
    else:
        for r in rows:
            if r.outcome == "new_facility":
                r.facility_id = new_facility(conn, r)
        _orphans(rows)
    register_dataset(conn, DATASET)
    version = conn.execute("SELECT coalesce(max(version), 0) + 1 FROM supplier_lists WHERE brand_id = %s",
                           (brand_id,)).fetchone()[0]
    list_name = (name or "").strip()[:200] or filename[:200] or "supplier list"
    summary = summarise(rows, how)
    status = "rejected" if refused else "pending"
    list_id = conn.execute("""INSERT INTO supplier_lists (brand_id, name, version, file_name, status,
                                                          dataset_id, uploaded_by, summary)
                              VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
                           (brand_id, list_name, version, filename[:200], status, DATASET.id, user_id,
                            json.dumps(summary))).fetchone()[0]
    _store_rows(conn, list_id, rows)
    if not refused:
        # An older version still in review is superseded by this one.
        conn.execute("""UPDATE supplier_lists SET status = 'replaced', replaced_at = now()
                        WHERE brand_id = %s AND id <> %s AND status = 'pending'""", (brand_id, list_id))
        if summary["review"] == 0:
            accept(conn, list_id)
            status = "accepted"
    conn.commit()
    return Upload(list_id, version, status, not refused, summary, rows)


def _orphans(rows: list[Row]) -> None:
    """Note rows whose parent row was rejected: they are kept, without their chain edge."""
    by_ref = {r.ref: r for r in rows}
    for r in rows:
        if not r.bad and r.parent_ref and by_ref.get(r.parent_ref) and by_ref[r.parent_ref].bad:
            note = f"parent row {r.parent_ref} was rejected: no chain edge"
            r.reason = f"{r.reason}; {note}" if r.reason else note


def accept(conn: psycopg.Connection, list_id: int) -> None:
    """Make a list version the brand's current one (see the module docstring). Does not commit."""
    row = conn.execute("SELECT brand_id, status FROM supplier_lists WHERE id = %s FOR UPDATE",
                       (list_id,)).fetchone()
    if row is None or row[1] != "pending":
        raise ListError("only a list version waiting for acceptance can be accepted")
    brand_id = row[0]
    if conn.execute("SELECT 1 FROM supplier_list_rows WHERE list_id = %s AND outcome = 'review' LIMIT 1",
                    (list_id,)).fetchone():
        raise ListError("rows of this list still wait for review")
    conn.execute("UPDATE brand_facility_links SET active = false WHERE brand_id = %s AND active", (brand_id,))
    conn.execute("""INSERT INTO brand_facility_links (brand_id, facility_id, list_id, tier, is_public, active,
                                                      dataset_id)
                    SELECT %(b)s, facility_id, %(l)s, (array_agg(tier ORDER BY line))[1], bool_and(is_public),
                           true, %(ds)s
                    FROM supplier_list_rows WHERE list_id = %(l)s AND facility_id IS NOT NULL
                      AND outcome IN ('linked', 'new_facility')
                    GROUP BY facility_id
                    ON CONFLICT (brand_id, facility_id, list_id) DO UPDATE
                      SET active = true, tier = EXCLUDED.tier, is_public = EXCLUDED.is_public""",
                 {"b": brand_id, "l": list_id, "ds": DATASET.id})
    conn.execute("""INSERT INTO supplier_edges (supplier_facility_id, buyer_facility_id, list_id, dataset_id)
                    SELECT DISTINCT s.facility_id, p.facility_id, %(l)s, %(ds)s
                    FROM supplier_list_rows s
                    JOIN supplier_list_rows p ON p.list_id = s.list_id AND p.ref = s.parent_ref
                    WHERE s.list_id = %(l)s AND s.outcome IN ('linked', 'new_facility')
                      AND p.outcome IN ('linked', 'new_facility') AND s.facility_id <> p.facility_id
                    ON CONFLICT DO NOTHING""", {"l": list_id, "ds": DATASET.id})
    conn.execute("""UPDATE supplier_lists SET status = 'replaced', replaced_at = now()
                    WHERE brand_id = %s AND id <> %s AND status IN ('accepted', 'pending')""",
                 (brand_id, list_id))
    conn.execute("UPDATE supplier_lists SET status = 'accepted', accepted_at = now() WHERE id = %s",
                 (list_id,))
    bump_data_version(conn)


def _refresh_summary(conn: psycopg.Connection, list_id: int) -> dict:
    rows = conn.execute("SELECT outcome, count(*) FROM supplier_list_rows WHERE list_id = %s GROUP BY 1",
                        (list_id,)).fetchall()
    counts: dict[str, int] = {r[0]: r[1] for r in rows}
    row = conn.execute("""UPDATE supplier_lists SET summary = summary || %s::jsonb WHERE id = %s
                          RETURNING summary""",
                       (json.dumps({o: counts.get(o, 0) for o in OUTCOMES}), list_id)).fetchone()
    return row[0]


def decide(conn: psycopg.Connection, brand_id: int, row_id: int, action: str, user_id: int | None,
           facility_id: int | None = None) -> dict:
    """A review decision on one row; accepts the list when it was the last one. Commits.

    accept: link the proposed facility; choose: link `facility_id` (a candidate or any facility);
    new: none of them, create a new facility from the row; drop: leave the row out of the list."""
    if action not in ACTIONS:
        raise ListError(f"action must be one of {', '.join(ACTIONS)}")
    row = conn.execute("""SELECT r.id, r.list_id, r.outcome, r.match_facility_id, r.name, r.address,
                                 r.uscc, r.lon, r.lat, r.crs, l.status
                          FROM supplier_list_rows r JOIN supplier_lists l ON l.id = r.list_id
                          WHERE r.id = %s AND l.brand_id = %s FOR UPDATE OF r""",
                       (row_id, brand_id)).fetchone()
    if row is None:
        raise ListError(f"no row {row_id} in this brand's lists")
    _, list_id, outcome, proposed, name, address, code, lon, lat, crs, status = row
    if outcome != "review" or status != "pending":
        raise ListError("this row does not wait for review (decided already, or its list version was "
                        "replaced)")
    if action == "accept":
        new = ("linked", proposed, "accepted", "accepted by reviewer")
    elif action == "choose":
        if facility_id is None or not conn.execute("SELECT 1 FROM facilities WHERE id = %s",
                                                   (facility_id,)).fetchone():
            raise ListError(f"no facility with id {facility_id}")
        new = ("linked", facility_id, "chosen", f"facility {facility_id} chosen by reviewer")
    elif action == "new":
        if lon is None:
            raise ListError("the row has no coordinates, so no facility can be made from it: choose one or "
                            "drop it")
        fid = new_facility(conn, Row(0, "", {}, name=name, address=address, uscc=code, lon=lon, lat=lat,
                                     crs=crs))
        new = ("new_facility", fid, "new_facility", "no match: new facility made by reviewer")
    else:
        new = ("rejected", None, "rejected", "left out by reviewer")
    conn.execute("""UPDATE supplier_list_rows SET outcome = %s, facility_id = %s, decision = %s, reason = %s,
                           decided_by = %s, decided_at = now() WHERE id = %s""", (*new, user_id, row_id))
    summary = _refresh_summary(conn, list_id)
    accepted = False
    if summary.get("review", 0) == 0:
        accept(conn, list_id)
        accepted = True
    conn.commit()
    return {"row_id": row_id, "outcome": new[0], "facility_id": new[1], "list_id": list_id,
            "list_accepted": accepted, "summary": summary}


# --- reading back ------------------------------------------------------------------------------------------

def versions(conn: psycopg.Connection, brand_id: int, list_id: int | None = None) -> list[dict]:
    """The brand's list versions, newest first (only `list_id` when given)."""
    if list_id is not None and not 0 < list_id < 2**63:
        return []
    rows = conn.execute("""SELECT l.id, l.name, l.version, l.file_name, l.status, l.uploaded_at,
                                  l.accepted_at, l.replaced_at, l.summary, u.email, l.dataset_id
                           FROM supplier_lists l LEFT JOIN users u ON u.id = l.uploaded_by
                           WHERE l.brand_id = %s AND (%s::bigint IS NULL OR l.id = %s)
                           ORDER BY l.version DESC, l.id DESC""", (brand_id, list_id, list_id))
    keys = ("id", "name", "version", "file_name", "status", "uploaded_at", "accepted_at", "replaced_at",
            "summary", "uploaded_by", "dataset_id")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def list_rows(conn: psycopg.Connection, brand_id: int, list_id: int,
              outcome: str | None = None) -> list[dict]:
    """The rows of one of the brand's list versions with what happened to each (empty for another brand's)."""
    where = "AND r.outcome = %(o)s" if outcome else ""
    rows = conn.execute(f"""
        SELECT r.id, r.line, r.ref, r.name, r.address, r.uscc, r.lon, r.lat, r.crs, r.tier::text,
               r.parent_ref, r.is_public, r.outcome, r.reason, r.match_facility_id, r.confidence,
               r.candidates, r.facility_id, r.decision, u.email, r.decided_at, f.name_zh, f.name_en
        FROM supplier_list_rows r JOIN supplier_lists l ON l.id = r.list_id
        LEFT JOIN users u ON u.id = r.decided_by
        LEFT JOIN facilities f ON f.id = r.facility_id
        WHERE r.list_id = %(l)s AND l.brand_id = %(b)s {where}
        ORDER BY r.line""", {"l": list_id, "b": brand_id, "o": outcome})
    keys = ("id", "line", "ref", "name", "address", "uscc", "lon", "lat", "crs", "tier", "parent", "public",
            "outcome", "reason", "match_facility_id", "confidence", "candidates", "facility_id", "decision",
            "decided_by", "decided_at", "facility_name_zh", "facility_name_en")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def review_queue(conn: psycopg.Connection, brand_id: int) -> list[dict]:
    """Rows waiting for review in the brand's pending list version."""
    row = conn.execute("""SELECT id FROM supplier_lists WHERE brand_id = %s AND status = 'pending'
                          ORDER BY version DESC LIMIT 1""", (brand_id,)).fetchone()
    return list_rows(conn, brand_id, row[0], "review") if row else []
