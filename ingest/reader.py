"""One table reader for user files: CSV (UTF-8 with or without BOM, GB18030/GBK) or XLSX, row by row.

A file path is read as a stream (files of millions of rows), bytes (an upload) from memory. The encoding is
the one asked for, or detected (UTF-8, else GB18030) when none is. Blank rows are skipped; a row that cannot
be decoded or has the wrong number of cells comes back with a RowError instead of values.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from core.errors import Invalid, TooLarge
from ingest.report import RowError

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
BOM = b"\xef\xbb\xbf"
# Bounds of what an XLSX file may unpack to, checked before a sheet is read (a few MB of zip can declare
# gigabytes of XML, or millions of shared strings that would all be held in memory).
XLSX_MAX_UNCOMPRESSED = 256 * 1024 * 1024  # bytes of all parts together, as the zip declares them
XLSX_MAX_PARTS = 10_000
XLSX_MAX_SHARED_STRINGS = 1_000_000
XLSX_MAX_ROWS = 1_048_576  # Excel's own sheet size
XLSX_MAX_COLUMNS = 1_000
_SI = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s>/]")  # a shared string's start tag


class TableError(Invalid):
    """A file that cannot be read as a table at all; `line` says where, when known."""

    def __init__(self, reason: str, line: int = 1) -> None:
        super().__init__(reason)
        self.line = line


class TableTooLarge(TooLarge, TableError):
    """A file over one of the reader's bounds (a 413 when it reaches the web layer)."""


@dataclass(frozen=True)
class TableRow:
    """One non-blank row: its line (or sheet row) number, cells as read, text values by header cell."""

    line: int
    cells: list = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    error: RowError | None = None


@dataclass
class Table:
    """A table being read: its header, how it is read ("CSV, UTF-8"), and its rows (iterate once)."""

    header: list[str]
    how: str
    rows: Iterator[TableRow]


def cell_text(value: object) -> str:
    """A cell as text: spreadsheet whole numbers without .0, dates in ISO, booleans as true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def _blank(cells: Iterable[object]) -> bool:
    return not any(cell_text(c) for c in cells)


def read_table(source: Path | bytes, encoding: str | None = None, ragged: bool = False) -> Table:
    """Open a CSV or XLSX table, or TableError. `ragged`: short rows are padded and empty extra cells
    ignored (spreadsheets); otherwise a row needs exactly as many cells as the header."""
    head = source[:8] if isinstance(source, bytes) else _head(source)
    if not head:
        raise TableError("the file is empty")
    if head.startswith(XLS_MAGIC):
        raise TableError("old Excel .xls files are not read: save the sheet as .xlsx or .csv")
    if head.startswith(XLSX_MAGIC):
        data = source if isinstance(source, bytes) else source.read_bytes()
        return _xlsx(data, ragged)
    if encoding is None:
        encoding = detect(source) if isinstance(source, bytes) else _detect_file(source)
    fh: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")
    return _csv(fh, encoding, ragged)


def _head(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(8)


def detect(data: bytes) -> str:
    """utf-8 when the bytes decode as UTF-8, else gb18030 (which GBK files are a part of)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def _detect_file(path: Path) -> str:
    """detect() of a file, read a block at a time (not held in memory whole)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as fh:
        try:
            while block := fh.read(1 << 20):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8"


def _describe(encoding: str) -> str:
    plain = encoding.replace("-", "").replace("_", "").lower()
    return {"utf8": "UTF-8", "utf8sig": "UTF-8", "gb18030": "GB18030", "gbk": "GBK"}.get(plain, encoding)


def _decode(raw: bytes, encoding: str) -> str | RowError:
    """A physical line as text, or the RowError saying why it cannot be (with a hint for GBK files)."""
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        hint = ""
        try:
            raw.decode("gb18030")
            hint = " (the file looks GBK/GB18030-encoded: use --encoding gbk)"
        except UnicodeDecodeError:
            pass
        return RowError("", f"not valid {encoding} at byte {exc.start}{hint}")


def _csv(fh: IO[bytes], encoding: str, ragged: bool) -> Table:
    lines = _Lines(fh, encoding)
    reader = csv.reader(lines)
    try:
        header = next((cells for cells in reader if not _blank(cells)), None)
    except csv.Error as exc:
        fh.close()
        raise TableError(f"not a CSV file: {exc}", lines.number) from None
    if lines.failed and (header is None or lines.failed[0][0] < lines.number):
        fh.close()
        line, err = lines.failed[0]
        raise TableError(err.reason, line)
    if header is None:
        fh.close()
        raise TableError("the file is empty")
    header = [h.strip() for h in header]
    lines.failed.clear()
    return Table(header, f"CSV, {_describe(encoding)}", _csv_rows(fh, reader, lines, header, ragged))


class _Lines:
    """The decoded physical lines of a byte stream (for csv.reader); undecodable ones are set aside."""

    def __init__(self, fh: IO[bytes], encoding: str) -> None:
        self.fh, self.encoding = fh, encoding
        self.number = 0  # the last line handed out or set aside
        self.consumed = 0  # bytes read so far
        self.failed: list[tuple[int, RowError]] = []

    def __iter__(self) -> Iterator[str]:
        for raw in self.fh:
            self.number += 1
            self.consumed += len(raw)
            if self.number == 1 and raw.startswith(BOM) and _describe(self.encoding) == "UTF-8":
                raw = raw[len(BOM):]
            text = _decode(raw, self.encoding)
            if isinstance(text, RowError):
                self.failed.append((self.number, text))
                continue
            yield text


def _csv_rows(fh: IO[bytes], reader, lines: _Lines, header: list[str], ragged: bool) -> Iterator[TableRow]:
    with fh:
        while True:
            try:
                cells = next(reader, None)
            except csv.Error as exc:
                raise TableError(f"CSV error at line {lines.number}: {exc}", lines.number) from None
            while lines.failed:  # lines that could not be decoded, in their place
                line, err = lines.failed.pop(0)
                yield TableRow(line, error=err)
            if cells is None:
                return
            if not _blank(cells):
                yield _row(lines.number, cells, header, ragged)


def _row(line: int, cells: list, header: list[str], ragged: bool) -> TableRow:
    width = len(header)
    if ragged:
        extra = [c for c in cells[width:] if cell_text(c)]
        if not extra:
            cells = list(cells[:width]) + [None] * (width - len(cells))
    if len(cells) != width:
        return TableRow(line, list(cells), error=RowError("", f"expected {width} cells, found {len(cells)}"))
    return TableRow(line, list(cells), {h: cell_text(c) for h, c in zip(header, cells, strict=True) if h})


def _xlsx(data: bytes, ragged: bool) -> Table:
    import openpyxl

    try:
        _check_xlsx(data)
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError) as exc:
        if isinstance(exc, TableError):
            raise
        raise TableError(f"not a readable XLSX file: {exc}") from None
    ws = wb.worksheets[0]
    if (ws.max_row or 0) > XLSX_MAX_ROWS or (ws.max_column or 0) > XLSX_MAX_COLUMNS:
        wb.close()
        raise TableTooLarge(f"the sheet declares {ws.max_row} rows and {ws.max_column} columns: at most "
                            f"{XLSX_MAX_ROWS} rows and {XLSX_MAX_COLUMNS} columns are read")
    rows = _bounded(enumerate(ws.iter_rows(values_only=True), 1))
    try:
        header = next(([cell_text(x) for x in values] for _, values in rows if not _blank(values)), None)
    except TableError:
        wb.close()
        raise
    if header is None:
        wb.close()
        raise TableError("the first sheet is empty")
    return Table(header, f"XLSX, sheet {ws.title!r}", _xlsx_rows(wb, rows, header, ragged))


def _check_xlsx(data: bytes) -> None:
    """Refuse (TableTooLarge) an XLSX whose parts unpack to too much or hold too many shared strings, before
    anything is parsed: sizes as the zip declares them (reading stops there), strings counted in a stream."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS
    from openpyxl.xml.functions import fromstring

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = z.infolist()
        if len(parts) > XLSX_MAX_PARTS:
            raise TableTooLarge(f"the XLSX file holds {len(parts)} parts (at most {XLSX_MAX_PARTS})")
        total = sum(p.file_size for p in parts)
        if total > XLSX_MAX_UNCOMPRESSED:
            raise TableTooLarge(f"the XLSX file unpacks to {total} bytes, more than the {XLSX_MAX_UNCOMPRESSED} "
                                "read: save the sheet as CSV or split it")
        strings = Manifest.from_tree(fromstring(z.read(ARC_CONTENT_TYPES))).find(SHARED_STRINGS)
        if strings is not None:
            _count_shared_strings(z, strings.PartName[1:])


def _count_shared_strings(z: zipfile.ZipFile, name: str) -> None:
    """Count the shared strings of a part in a stream (no XML kept), refusing more than the bound."""
    n, tail = 0, b""
    with z.open(name) as fh:
        while chunk := fh.read(1 << 20):
            buf = tail + chunk
            cut = max(len(buf) - 64, 0)  # a tag starting in the last bytes is counted with the next chunk
            n += sum(1 for m in _SI.finditer(buf) if m.start() < cut)
            tail = buf[cut:]
            if n > XLSX_MAX_SHARED_STRINGS:
                break
    n += len(_SI.findall(tail))
    if n > XLSX_MAX_SHARED_STRINGS:
        raise TableTooLarge(f"the XLSX file holds more than {XLSX_MAX_SHARED_STRINGS} shared strings: save the "
                            "sheet as CSV or split it")


def _bounded(rows: Iterator[tuple[int, tuple]]) -> Iterator[tuple[int, tuple]]:
    """Sheet rows, refusing a row beyond XLSX_MAX_ROWS or wider than XLSX_MAX_COLUMNS."""
    for n, values in rows:
        if n > XLSX_MAX_ROWS:
            raise TableTooLarge(f"the sheet has more than {XLSX_MAX_ROWS} rows", n)
        if len(values) > XLSX_MAX_COLUMNS:
            raise TableTooLarge(f"row {n} has {len(values)} cells, more than the {XLSX_MAX_COLUMNS} read", n)
        yield n, values


def _xlsx_rows(wb, rows: Iterator[tuple[int, tuple]], header: list[str], ragged: bool) -> Iterator[TableRow]:
    try:
        for n, values in rows:
            if not _blank(values):
                yield _row(n, list(values), header, ragged)
    finally:
        wb.close()
