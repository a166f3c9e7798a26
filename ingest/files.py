"""Load user files (facilities, violations; CSV or XLSX) with a row-level report; all or nothing unless asked."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from psycopg.copy import QueuedLibpqWriter
from tqdm import tqdm

from core.datasets import Dataset, upload_dataset
from db.staging import bump_data_version, ewkt_point, register_dataset
from ingest import bulk, geocode_rows, match_names, rebuild
from ingest import checks as v
from ingest.commit import MADE_HERE, UNIQUE, commit_facilities, commit_violations
from ingest.geocode_rows import ADMIN_COLUMNS
from ingest.keyset import KeySet
from ingest.reader import Table, TableError, cell_text, read_table
from ingest.report import FileReport, write_rejects

FACILITY_COLUMNS = {"ext_id", "uscc", "name", "name_zh", "name_en", "industry", "address", "lon", "lat",
                    "key_monitored", "area_code", "registration_no", "organisation_code", *ADMIN_COLUMNS}
VIOLATION_COLUMNS = {"ext_id", "facility_ext_id", "facility_uscc", "date", "authority", "category",
                     "legal_basis", "penalty_cny", "description", "source", "status"}
STATUSES = ("open", "explained", "rectified", "removed")


def _facility_row(row: dict, crs: str) -> tuple:
    locate = geocode_rows.wanted(row)  # no coordinates but an address: placed after staging, at no point yet
    lon, lat = v.point(row, crs) if locate is None else (None, None)
    code = v.optional_uscc(row)
    name_zh = (row.get("name_zh") or "").strip() or None
    name_en = (row.get("name_en") or row.get("name") or "").strip() or None
    if not name_zh and not name_en:
        raise v.RowError("name", "a facility needs a name (name, name_zh or name_en)")
    where = locate if lon is None or lat is None else f"{lon:.5f}|{lat:.5f}"
    ext = (row.get("ext_id") or "").strip() or code or "h:" + hashlib.sha1(
        f"{name_zh}|{name_en}|{where}".encode()).hexdigest()[:16]
    area = (row.get("area_code") or "").strip() or None
    if area and not (len(area) == 6 and area.isdigit()):
        raise v.RowError("area_code", f"GB/T 2260 codes have 6 digits, got {area!r}")
    reg, org = v.legacy_ids(row)
    address = locate or (row.get("address") or "").strip() or None
    geom = None if lon is None or lat is None else ewkt_point(round(lon, 7), round(lat, 7))
    return (ext, name_zh, name_en, v.industry(row), address, crs, code, v.boolean(row, "key_monitored"), area, geom,
            reg, org, None, None)  # (match names: the function's, in the insert or by the trigger)


def _violation_row(row: dict, crs: str) -> tuple:
    fac_ext = (row.get("facility_ext_id") or "").strip() or None
    fac_uscc = v.optional_uscc(row, "facility_uscc")
    if not fac_ext and not fac_uscc:
        raise v.RowError("facility_ext_id", "each violation names its facility (facility_ext_id or facility_uscc)")
    when = v.parse_date(row, "date")
    for col in ("authority", "category"):
        if not (row.get(col) or "").strip():
            raise v.RowError(col, "missing value")
    status = (row.get("status") or "open").strip().lower()
    if status not in STATUSES:
        raise v.RowError("status", f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    penalty = v.number(row, "penalty_cny", required=False)
    if penalty is not None and penalty < 0:
        raise v.RowError("penalty_cny", "penalty cannot be negative")
    if penalty is not None and round(penalty, 2) > v.MAX_PENALTY:
        raise v.RowError("penalty_cny", f"penalty must be at most {v.MAX_PENALTY:,.2f} CNY")
    ext = (row.get("ext_id") or "").strip() or "h:" + hashlib.sha1("|".join(
        str(x) for x in (fac_ext, fac_uscc, when, row["authority"], row["category"], row.get("description"))
    ).encode()).hexdigest()[:16]
    return (ext, fac_ext, fac_uscc, when, row["authority"].strip(), row["category"].strip(),
            (row.get("legal_basis") or "").strip() or None, penalty, (row.get("description") or "").strip() or None,
            (row.get("source") or "").strip() or "file upload", status)


KINDS: dict[str, tuple[set[str], set[str], Callable[[dict, str], tuple], str]] = {
    "facilities": (FACILITY_COLUMNS, {"lon", "lat"}, _facility_row,
                   "line int, ext_id text, name_zh text, name_en text, industry text, address text, "
                   "source_crs text, uscc text, key_monitored bool, area_code text, geom geometry(Point,4326), "
                   "registration_no text, organisation_code text, match_zh text, match_en text"),
    "violations": (VIOLATION_COLUMNS, {"date", "authority", "category"}, _violation_row,
                   "line int, ext_id text, facility_ext_id text, facility_uscc text, violation_date date, "
                   "authority text, category text, legal_basis text, penalty_cny numeric, description text, "
                   "source text, status violation_status"),
}


def load_csv(conn: psycopg.Connection, kind: str, path: Path, crs: str = "wgs84", encoding: str | None = "utf-8",
             skip_invalid: bool = False, dataset_id: str | None = None, licence: str = "unspecified",
             dataset: Dataset | None = None,
             progress: bool = False) -> FileReport:
    """Check every row of `path`, then commit all of it, or (skip_invalid) the valid rows only."""
    path = Path(path)
    report = FileReport(path.name, kind)
    try:
        table = read_table(path, encoding)
    except TableError as exc:
        report.add(exc.line, "", exc.reason)
        return report
    header = [h.lower() for h in table.header]
    if not _header_ok(report, header):
        return report
    if conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
        rebuild.build_deferred(conn)  # what a load stopped after its commit left to make
    rebuild.tune(conn)
    conn.execute(f"CREATE TEMP TABLE file_stage ({KINDS[kind][3]}) ON COMMIT DROP")
    bulky = table.how.startswith("CSV, UTF-8")
    return _load(conn, report, table, path, crs, encoding, skip_invalid, dataset
                 or upload_dataset(path.name, licence, dataset_id), progress, bulky)


def _load(conn: psycopg.Connection, report: FileReport, table: Table, path: Path, crs: str,
          encoding: str | None, skip_invalid: bool, ds: Dataset, progress: bool, bulky: bool) -> FileReport:
    """load_csv, from staging on."""
    kind, header = report.kind, [h.lower() for h in table.header]
    try:  # checked column by column, a block at a time; the rows it is not sure of take the per-row checks
        if not bulky:
            raise bulk.Unsure
        rejects, distinct = _stage_bulk(conn, report, path, crs)
    except bulk.Unsure:  # not a file for the column checks (found out at worst after its last block): start again
        conn.execute("TRUNCATE file_stage")
        report = FileReport(path.name, kind)  # (lines of records may differ from the blocks')
        rejects, distinct = _stage(conn, report, table, header, crs, progress), frozenset()
    conn.execute("ANALYZE file_stage")  # row counts and distinct keys for the joins that follow
    if kind == "facilities":  # rows with an address and no coordinates: placed from the place index, or reported
        rejects += geocode_rows.place(conn, report, path, encoding)
    register_dataset(conn, ds)
    if kind == "facilities":
        with rebuild.rebuilt_indexes(conn, "facilities", report.valid, also=("companies",), unique=UNIQUE[kind],
                                  made_here=MADE_HERE) as keyless:
            report.inserted = commit_facilities(conn, ds, ds.synthetic, report, keyless, distinct)
    else:
        before = report.error_count
        with rebuild.rebuilt_indexes(conn, "violations", report.valid, also=("violation_status_history",),
                                  unique=UNIQUE[kind], made_here=MADE_HERE) as keyless:
            report.inserted = commit_violations(conn, ds, ds.synthetic, report, keyless, distinct)
        rejects += [(i.line, f"{i.column}: {i.reason}", []) for i in report.errors[before:]]
    if report.error_count and not skip_invalid:
        conn.rollback()
        report.inserted = 0
        return report
    bump_data_version(conn, derived=False)
    conn.commit()
    report.committed = True
    rebuild.build_deferred(conn)  # the indexes a large load dropped and the stale cells, made on several connections
    if rejects:
        report.rejects_path = write_rejects(path, table.header, rejects)
    return report


def _header_ok(report: FileReport, header: list[str]) -> bool:
    """Report unknown and missing columns of the (lower-cased) header; True when there are none."""
    allowed, required = KINDS[report.kind][:2]
    if report.kind == "facilities" and not required & set(header) and {"address", *ADMIN_COLUMNS} & set(header):
        required = set()  # addresses without any coordinates: every row is placed from its address
    unknown = [h for h in header if h not in allowed]
    missing = sorted(required - set(header))
    for h in unknown:
        report.add(1, h, f"unknown column {h!r}; allowed: {', '.join(sorted(allowed))}")
    for h in missing:
        report.add(1, h, f"required column {h!r} is missing")
    return not (unknown or missing)


def _stage(conn: psycopg.Connection, report: FileReport, table: Table, header: list[str], crs: str,
           progress: bool) -> list[tuple[int, str, list[str]]]:
    """COPY every valid row into file_stage; report the others and return them as rejects."""
    parse = KINDS[report.kind][2]
    rejects: list[tuple[int, str, list[str]]] = []
    bar = tqdm(unit=" rows", desc=report.file, disable=not progress)
    with conn.cursor().copy("COPY file_stage FROM STDIN") as copy:
        for row in table.rows:
            bar.update()
            report.rows += 1
            try:
                if row.error:
                    raise row.error
                copy.write_row((row.line, *parse(dict(zip(header, map(cell_text, row.cells), strict=True)), crs)))
                report.valid += 1
            except v.RowError as exc:
                report.add(row.line, exc.column, exc.reason)
                rejects.append((row.line, f"{exc.column}: {exc.reason}" if exc.column else exc.reason,
                                row.cells))
    bar.close()
    return rejects


def _stage_bulk(conn: psycopg.Connection, report: FileReport, path: Path,
                crs: str) -> tuple[list[tuple[int, str, list[str]]], frozenset[str]]:
    """COPY the rows the column checks are sure of, a block of the file at a time, on one COPY (a thread sends each
    block while the next is checked, and the server stores it meanwhile), then check the others one by one (they
    make the report); bulk.Unsure (with rows staged and reported) when the file is not for this path. The rejects,
    and the key columns whose staged values are known to differ (every row staged here, none there twice)."""
    columns = [c.split()[0] for c in KINDS[report.kind][3].split(", ")]
    keys = {"ext_id": KeySet(), **({"uscc": KeySet()} if report.kind == "facilities" else {})}
    match = report.kind == "facilities" and match_names.agrees(conn)  # the match names staged too

    def staged(out: pa.Table) -> None:
        for name, keyset in keys.items():
            keyset.add(pc.drop_null(out.column(name)))

    rejects: list[tuple[int, str, list[str]]] = []
    unsure: list[bulk.Unsure] = []
    mixed = False  # rows were staged by the per-row checks too
    blocks = _until_unsure(bulk.batches(path), unsure)
    while True:
        doubtful = None
        with conn.cursor() as cur, cur.copy("COPY file_stage FROM STDIN (FORMAT csv)",
                                            writer=QueuedLibpqWriter(cur)) as copy:
            for table in blocks:
                first = report.rows + 2  # records are one a line (bulk.batches makes sure), after the header
                ok = bulk.stage(copy.write, table, report.kind, crs, STATUSES, columns, first, staged, match)
                report.rows += table.num_rows
                report.valid += int(ok.sum())
                if not ok.all():  # the per-row checks COPY the block's other rows: this COPY ends first
                    doubtful = (table, np.flatnonzero(~ok), first)
                    break
        if doubtful is None:
            break
        mixed = True
        rejects += _stage_doubtful(conn, report, *doubtful, crs)
    if unsure:
        raise unsure[0]
    return rejects, frozenset(() if mixed else (name for name, keyset in keys.items() if keyset.distinct()))


def _until_unsure(blocks: Iterator[pa.Table], unsure: list[bulk.Unsure]) -> Iterator[pa.Table]:
    """The blocks, ending (with the exception kept in `unsure`) where bulk.batches finds the file is not for the
    column checks: raised inside a COPY, it would abort the COPY and with it the transaction."""
    try:
        yield from blocks
    except bulk.Unsure as exc:
        unsure.append(exc)


def _stage_doubtful(conn: psycopg.Connection, report: FileReport, table: pa.Table, doubtful: np.ndarray,
                    first: int, crs: str) -> list[tuple[int, str, list[str]]]:
    """The per-row checks of some rows of a block (row i on line first + i): COPY the valid, report the others."""
    if not doubtful.size:
        return []
    parse = KINDS[report.kind][2]
    rejects: list[tuple[int, str, list[str]]] = []
    header = table.column_names
    with conn.cursor().copy("COPY file_stage FROM STDIN") as copy:
        for i, row in zip(doubtful.tolist(), table.take(pa.array(doubtful, pa.int64())).to_pylist(), strict=True):
            cells, line = [row[h] for h in header], first + i
            try:
                copy.write_row((line, *parse(dict(zip(header, map(cell_text, cells), strict=True)), crs)))
                report.valid += 1
            except v.RowError as exc:
                report.add(line, exc.column, exc.reason)
                rejects.append((line, f"{exc.column}: {exc.reason}" if exc.column else exc.reason, cells))
    return rejects
