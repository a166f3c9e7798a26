"""Reading an uploaded supplier list (CSV or XLSX, through the shared table reader): limits, columns, rows."""

from __future__ import annotations

from ingest.reader import TableError, TableRow, read_table
from supply.rows import ListError, Row, parse_row, reject

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20000
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


def read_rows(data: bytes, default_crs: str, default_public: bool) -> tuple[list[Row], str]:
    """The checked rows of an uploaded file and how it was read ("CSV, UTF-8"); ListError for a file that
    cannot be read at all (empty, too large, unknown or repeated columns, not CSV or XLSX)."""
    if not data:
        raise ListError("the file is empty")
    if len(data) > MAX_BYTES:
        raise ListError(f"a list of at most {MAX_BYTES // 1024 // 1024} MB")
    try:
        table = read_table(data, ragged=True)
        columns, problems = map_header(table.header)
        if problems:
            raise ListError("; ".join(problems))
        rows = []
        for t in table.rows:
            rows.append(_row(t, columns, default_crs, default_public))
            if len(rows) > MAX_ROWS:
                raise ListError(f"a list of at most {MAX_ROWS} rows")
    except TableError as exc:
        raise ListError(exc.reason) from None
    if not rows:
        raise ListError("the list has a header but no rows")
    return rows, table.how


def _row(t: TableRow, columns: list[str | None], default_crs: str, default_public: bool) -> Row:
    cells = t.cells
    named = {c: cells[i] if i < len(cells) else None for i, c in enumerate(columns) if c}
    r = parse_row(t.line, named, default_crs, default_public)
    if t.error and not r.bad:  # extra cells beyond the header (or an undecodable line)
        reject(r, t.error.reason)
    return r
