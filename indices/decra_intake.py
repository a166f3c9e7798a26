"""Reading a DECRA portfolio file (CSV or XLSX through the shared table reader): columns, checks, rows.

Columns: borrower (required), uscc, address, lon and lat with crs (wgs84, gcj02, bd09), exposure (CNY,
required, not negative); Chinese headers work too. A file with any bad row is refused whole, every bad row
named with its line, column and reason.
"""

from __future__ import annotations

from core.errors import Invalid
from ingest import checks
from ingest.reader import TableError, cell_text, read_table
from ingest.report import RowError
from supply.rows import Row

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20000
MAX_EXPOSURE = 1e15
COLUMNS: dict[str, tuple[str, ...]] = {
    "borrower": ("borrower", "name", "borrower_name", "company", "借款人", "企业名称", "名称"),
    "uscc": ("uscc", "credit_code", "统一社会信用代码"),
    "address": ("address", "地址"),
    "lon": ("lon", "lng", "longitude", "经度"),
    "lat": ("lat", "latitude", "纬度"),
    "crs": ("crs", "datum", "坐标系"),
    "exposure": ("exposure", "exposure_cny", "amount", "敞口", "贷款余额", "金额"),
}
HEADERS = {alias: canon for canon, aliases in COLUMNS.items() for alias in aliases}


class PortfolioError(Invalid):
    """A portfolio file that cannot be taken; `rows` lists each bad row's line, column and reason."""


def _columns(header: list[str]) -> list[str | None]:
    out, problems = [], []
    for h in header:
        key = (h or "").strip()
        canon = HEADERS.get(key.lower().replace(" ", "_")) or HEADERS.get(key)
        if key and canon is None:
            problems.append(f"unknown column {h!r}; columns: {', '.join(COLUMNS)}")
        elif canon and canon in out:
            problems.append(f"column {canon!r} appears twice")
        out.append(canon)
    problems += [f"required column {c!r} is missing" for c in ("borrower", "exposure") if c not in out]
    if ("lon" in out) != ("lat" in out):
        problems.append("give both lon and lat columns, or neither")
    if problems:
        raise PortfolioError("; ".join(problems))
    return out


def _row(line: int, raw: dict[str, str]) -> tuple[Row, float]:
    name = (raw.get("borrower") or "").strip()
    if not name:
        raise RowError("borrower", "missing value")
    exposure = checks.number(raw, "exposure")
    assert exposure is not None
    if not 0 <= exposure <= MAX_EXPOSURE:
        raise RowError("exposure", f"exposure must be between 0 and {MAX_EXPOSURE:.0f} CNY")
    r = Row(line, str(line), raw, name=name[:300], address=(raw.get("address") or "").strip()[:500] or None,
            uscc=checks.optional_uscc(raw))
    if (raw.get("lon") or "").strip() or (raw.get("lat") or "").strip():
        crs = (raw.get("crs") or "wgs84").strip().lower()
        if crs not in ("wgs84", "gcj02", "bd09"):
            raise RowError("crs", f"unknown crs {crs!r}: wgs84, gcj02 or bd09")
        r.lon, r.lat = checks.point(raw, crs)
    r.outcome = "pending"
    return r, exposure


def read(data: bytes) -> tuple[list[tuple[Row, float]], str]:
    """The rows of a portfolio file with their exposure, and how it was read; PortfolioError otherwise."""
    if not data:
        raise PortfolioError("the file is empty")
    if len(data) > MAX_BYTES:
        raise PortfolioError(f"a portfolio of at most {MAX_BYTES // 1024 // 1024} MB")
    rows, bad = [], []
    try:
        table = read_table(data, ragged=True)
        columns = _columns(table.header)
        for t in table.rows:
            raw = {c: cell_text(t.cells[i]) if i < len(t.cells) else "" for i, c in enumerate(columns) if c}
            try:
                if t.error:
                    raise t.error
                rows.append(_row(t.line, raw))
            except RowError as exc:
                bad.append({"line": t.line, "column": exc.column, "reason": exc.reason})
            if len(rows) + len(bad) > MAX_ROWS:
                raise PortfolioError(f"a portfolio of at most {MAX_ROWS} rows")
    except TableError as exc:
        raise PortfolioError(exc.reason) from None
    if bad:
        raise PortfolioError(f"{len(bad)} bad rows; nothing was imported", rows=bad[:500])
    if not rows:
        raise PortfolioError("the file has a header but no rows")
    return rows, table.how

