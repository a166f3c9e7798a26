"""Bulk file loads checked column by column (pyarrow) instead of a Python call per field.

A UTF-8 CSV whose lines are its records is read by pyarrow's CSV reader as text columns, a block of the file at
a time (memory does not grow with the file). Each check of `ingest.files` is then done over whole columns, to a
mask of rows that certainly pass every check and whose values are computed as the per-row checks would; those
rows go to the stage table in one CSV COPY written by Arrow per block. Every other row (any doubt: an error, an
unusual form, a value the per-row code would rewrite) goes through the per-row checks, which write the report:
so the report is the same, row for row, as without this.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from core.parse import FALSE, TRUE
from geo.datum import CHINA_BBOX
from ingest import match_names
from ingest.checks import MAX_PENALTY
from ingest.reader import BOM
from standards.industries import INDUSTRIES

NUMBER = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"
ISO_DAY = r"^\d{4}-\d{2}-\d{2}$"
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_SHAPE = r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$"
_USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_USCC_VALUE = np.full(128, -1, dtype=np.int64)
for _i, _c in enumerate(_USCC_ALPHABET):
    _USCC_VALUE[ord(_c)] = _i
# Bytes of the file read, checked and COPYed at a time: memory grows with it (pyarrow parses a 1 MB block in
# ~50 MB; 4 MB cost 150 MB more at IPE scale for no speed), not with the file. Longer records: per-row checks.
BLOCK_SIZE = 1 << 20
_INDUSTRY = {k: k for k in INDUSTRIES} | {zh: k for k, (zh, _) in INDUSTRIES.items()} | {
    en.lower(): k for k, (_, en) in INDUSTRIES.items()}


class Columns:
    """The file's columns as trimmed text (missing columns read as empty), with a row mask being narrowed."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self.n = table.num_rows
        self.ok = np.ones(self.n, dtype=bool)
        self._cache: dict[str, pa.Array] = {}

    def text(self, name: str) -> pa.Array:
        """The column trimmed of white space (empty strings for a column the file lacks)."""
        if name not in self._cache:
            if name in self.table.column_names:
                col = pc.utf8_trim_whitespace(self.table.column(name).combine_chunks())
            else:
                col = pc.fill_null(pa.nulls(self.n, pa.string()), "")
            self._cache[name] = col
        return self._cache[name]

    def empty(self, name: str) -> np.ndarray:
        """Rows whose cell is empty."""
        return np.asarray(pc.equal(self.text(name), ""), dtype=bool)

    def require(self, mask: np.ndarray | pa.Array) -> None:
        """Keep only rows where `mask` holds."""
        self.ok &= np.asarray(mask, dtype=bool)

    def matches(self, name: str, pattern: str) -> np.ndarray:
        """Rows whose cell matches the regular expression."""
        return np.asarray(pc.match_substring_regex(self.text(name), pattern), dtype=bool)

    def number(self, name: str, required: bool) -> np.ndarray:
        """Floats of the cells that are plain decimal numbers (NaN elsewhere); other non-empty cells fail."""
        good = self.matches(name, NUMBER)
        self.require(good | (~required & self.empty(name)))
        values = np.full(self.n, np.nan)
        values[good] = np.asarray(pc.cast(pc.filter(self.text(name), pa.array(good)), pa.float64()))
        return values

    def nullable(self, name: str) -> pa.Array:
        """The trimmed cells, empty ones as null."""
        col = self.text(name)
        return pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)


class Unsure(Exception):
    """pyarrow cannot be trusted with the file's line numbers (a quoted line break, a blank line) or with the file
    at all (not UTF-8, ragged rows, a record longer than a block): its rows take the per-row checks instead."""


def _header(path: Path, size: int) -> list[str]:
    """The lower-cased column names of the first line (read from the file's first block only)."""
    with open(path, "rb") as fh:
        head = fh.read(size)
    if head.startswith(BOM):
        head = head[len(BOM):]
    try:
        line = head[:head.index(b"\n")].decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise Unsure from None
    return [h.strip().lower() for h in next(csv.reader([line]))]


def _lines(path: Path) -> int:
    """The file's lines (a last line without a line break counts), read a block at a time."""
    count, last = 0, b"\n"
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (0 if last == b"\n" else 1)


def batches(path: Path, block_size: int | None = None) -> Iterator[pa.Table]:
    """The CSV's records as text columns with lower-cased names, a block of the file (BLOCK_SIZE bytes) at a time,
    so memory is bounded by the block, not the file. Record i (from 0, over all blocks) is on line i + 2: that is
    checked after the last block (records one a line), and Unsure raised when it does not hold or pyarrow fails."""
    size = block_size or BLOCK_SIZE
    names = _header(path, size)
    options = {"read_options": pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=size,
                                                     use_threads=False),
               "parse_options": pacsv.ParseOptions(newlines_in_values=True),  # blocks cut between records
               "convert_options": pacsv.ConvertOptions(column_types={h: pa.string() for h in names},
                                                       strings_can_be_null=False)}
    counted = [0]
    try:
        # A Python file object: no name ending (.gz) makes it decompress, and pyarrow reads it a block at a time
        # (given a path or a native file, it read most of the file ahead of the batches asked for).
        with open(path, "rb") as source:
            yield from _blocks(pacsv.open_csv(source, **options), counted)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise Unsure from exc
    if counted[0] != _lines(path) - 1:
        raise Unsure


def _blocks(reader: pacsv.CSVStreamingReader, counted: list[int]) -> Iterator[pa.Table]:
    """The reader's record batches as tables, adding up their rows in `counted`."""
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return
        counted[0] += batch.num_rows
        yield pa.Table.from_batches([batch])


def _uscc_ok(cols: Columns, name: str) -> np.ndarray:
    """Rows whose cell is empty or a well-formed USCC with the right check character (GB 32100)."""
    text = cols.text(name)
    shaped = cols.matches(name, _USCC_SHAPE)
    ok = cols.empty(name)
    idx = np.flatnonzero(shaped)
    if idx.size:  # shaped cells are 18 ASCII characters each, so the taken values lie end to end in one buffer
        taken = pc.take(text, pa.array(idx))
        start = int(np.frombuffer(taken.buffers()[1], dtype=np.int32)[taken.offset])
        raw = np.frombuffer(taken.buffers()[2], dtype=np.uint8)[start:start + 18 * idx.size]
        vals = _USCC_VALUE[raw.reshape(-1, 18)]
        check = (-(vals[:, :17] * _USCC_WEIGHTS).sum(axis=1)) % 31
        ok[idx] = check == vals[:, 17]
    return ok


def _choice(cols: Columns, name: str, mapping: Mapping[str, object], default: object) -> pa.Array:
    """Cells mapped through `mapping` (exactly, or lower-cased); empty cells `default`; others fail the row."""
    text = cols.text(name)
    uniq = pc.unique(text)
    mapped = [default if t == "" else mapping.get(t, mapping.get(t.lower())) for t in uniq.to_pylist()]
    out = pc.take(pa.array(mapped), pc.index_in(text, value_set=uniq))
    cols.require(np.asarray(pc.is_valid(out), dtype=bool))
    return out


def _points(lon: np.ndarray, lat: np.ndarray) -> pa.Array:
    """Hex EWKB of SRID 4326 points (as COPY reads them into a geometry column), rounded to 7 decimals."""
    rec = np.zeros(lon.size, dtype=[("order", "u1"), ("type", "<u4"), ("srid", "<u4"), ("x", "<f8"), ("y", "<f8")])
    rec["order"], rec["type"], rec["srid"] = 1, 0x20000001, 4326
    rec["x"], rec["y"] = np.round(lon, 7), np.round(lat, 7)
    data = rec.tobytes().hex().encode("ascii")
    offsets = np.arange(0, len(data) + 1, 2 * rec.itemsize, dtype=np.int32)
    return pa.StringArray.from_buffers(lon.size, pa.py_buffer(offsets), pa.py_buffer(data))


def facilities(cols: Columns, crs: str, match: bool = False) -> list[pa.Array]:
    """Stage columns (without line) of `ingest.files._facility_row`, narrowing `cols.ok` to the rows it is sure of;
    with `match`, the match names of those `ingest.match_names` computes."""
    if crs != "wgs84":
        cols.require(np.zeros(cols.n, dtype=bool))  # datum shifts stay with the per-row code
    lon, lat = cols.number("lon", True), cols.number("lat", True)
    w, s, e, n = CHINA_BBOX
    with np.errstate(invalid="ignore"):
        cols.require((lon >= w) & (lon <= e) & (lat >= s) & (lat <= n))
    name_en_col = pc.if_else(cols.empty("name_en"), cols.text("name"), cols.text("name_en"))
    cols.require(~(cols.empty("name_zh") & np.asarray(pc.equal(name_en_col, ""), dtype=bool)))
    cols.require(_uscc_ok(cols, "uscc"))
    cols.require(~(cols.empty("ext_id") & cols.empty("uscc")))  # hashed ids stay with the per-row code
    cols.require(cols.empty("area_code") | cols.matches("area_code", r"^\d{6}$"))
    cols.require(cols.empty("registration_no") & cols.empty("organisation_code"))
    industry = _choice(cols, "industry", _INDUSTRY, "other")
    key = _choice(cols, "key_monitored", {t: True for t in TRUE} | {t: False for t in FALSE}, False)
    ext = pc.if_else(cols.empty("ext_id"), cols.text("uscc"), cols.text("ext_id"))
    geom = _points(lon, lat)
    none = pa.nulls(cols.n, pa.string())
    name_zh, name_en = cols.nullable("name_zh"), pc.if_else(pc.equal(name_en_col, ""), pa.scalar(None, pa.string()),
                                                             name_en_col)
    matches = [match_names.names(name_zh), match_names.names(name_en)] if match else [none, none]
    return [ext, name_zh, name_en, industry, cols.nullable("address"), pa.array([crs] * cols.n),
            cols.nullable("uscc"), key, cols.nullable("area_code"), geom, none, none, *matches]


def violations(cols: Columns, crs: str, statuses: tuple[str, ...]) -> list[pa.Array]:
    """Stage columns (without line) of `ingest.files._violation_row`, narrowing `cols.ok` likewise."""
    cols.require(_uscc_ok(cols, "facility_uscc"))
    cols.require(~(cols.empty("facility_ext_id") & cols.empty("facility_uscc")))
    cols.require(cols.matches("date", ISO_DAY))
    written = pc.if_else(pa.array(cols.ok), cols.text("date"), "1970-01-01")  # (ASCII digits where checked)
    day = pc.strptime(written, "%Y-%m-%d", "s", error_is_null=True)
    # strptime rolls impossible dates over (2024-02-30 -> 03-01): its year, month and day must be the written ones
    # (compared as numbers: printing the dates back with strftime took 1.5 s of 2M records)
    for part, start, stop in ((pc.year, 0, 4), (pc.month, 5, 7), (pc.day, 8, 10)):
        digits = pc.cast(pc.utf8_slice_codeunits(written, start, stop), pa.int64())
        cols.require(np.asarray(pc.fill_null(pc.equal(part(day), digits), False), dtype=bool))
    cols.require(np.asarray(pc.fill_null(pc.greater(pc.year(day), 0), False), dtype=bool))  # no year 0, as Python
    for col in ("authority", "category"):
        cols.require(~cols.empty(col))
    status = _choice(cols, "status", {s: s for s in statuses}, "open")
    penalty = cols.number("penalty_cny", False)
    with np.errstate(invalid="ignore"):
        cols.require(np.isnan(penalty) | ((penalty >= 0) & (np.round(penalty, 2) <= MAX_PENALTY)))  # (and not inf)
    cols.require(~cols.empty("ext_id"))  # hashed ids stay with the per-row code
    source = pc.if_else(cols.empty("source"), "file upload", cols.text("source"))
    return [cols.text("ext_id"), cols.nullable("facility_ext_id"), cols.nullable("facility_uscc"),
            pc.cast(day, pa.date32()), cols.text("authority"), cols.text("category"), cols.nullable("legal_basis"),
            pa.array(penalty, pa.float64(), from_pandas=True),
            cols.nullable("description"), source, status]


def stage(copy_write: Callable[[bytes], None], table: pa.Table, kind: str, crs: str, statuses: tuple[str, ...],
          names: list[str], first: int = 2, staged: Callable[[pa.Table], None] | None = None,
          match: bool = False) -> np.ndarray:
    """COPY (CSV, written by Arrow) the rows the column checks are sure of, numbered from line `first` (and hand
    them to `staged`, as a table of the stage's columns; `match`: with the facilities' match names); the mask of
    those rows."""
    cols = Columns(table)
    values = facilities(cols, crs, match) if kind == "facilities" else violations(cols, crs, statuses)
    keep = pa.array(cols.ok)
    line = pa.array(np.arange(first, first + cols.n, dtype=np.int32))
    out = pa.table([line, *values], names=names).filter(keep)
    buf = io.BytesIO()
    pacsv.write_csv(out, buf, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    copy_write(buf.getvalue())
    if staged is not None:
        staged(out)
    return cols.ok
