"""One table reader for user files: CSV (UTF-8 with or without BOM, GB18030/GBK) or XLSX, row by row.

A file path is read as a stream (files of millions of rows), bytes (an upload) from memory. The encoding is
the one asked for, or detected (UTF-8, else GB18030) when none is. Blank rows are skipped; a row that cannot
be decoded or has the wrong number of cells comes back with a RowError instead of values.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from core.errors import Invalid
from ingest.report import RowError

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
BOM = b"\xef\xbb\xbf"


class TableError(Invalid):
    """A file that cannot be read as a table at all; `line` says where, when known."""

    def __init__(self, reason: str, line: int = 1) -> None:
        super().__init__(reason)
        self.line = line


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
        data = source if isinstance(source, bytes) else source.read_bytes()
        encoding = detect(data)
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
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableError(f"not a readable XLSX file: {exc}") from None
    ws = wb.worksheets[0]
    rows = enumerate(ws.iter_rows(values_only=True), 1)
    header = next(([cell_text(x) for x in values] for _, values in rows if not _blank(values)), None)
    if header is None:
        wb.close()
        raise TableError("the first sheet is empty")
    return Table(header, f"XLSX, sheet {ws.title!r}", _xlsx_rows(wb, rows, header, ragged))


def _xlsx_rows(wb, rows: Iterator[tuple[int, tuple]], header: list[str], ragged: bool) -> Iterator[TableRow]:
    try:
        for n, values in rows:
            if not _blank(values):
                yield _row(n, list(values), header, ragged)
    finally:
        wb.close()
