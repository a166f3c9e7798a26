"""The one table reader: CSV in UTF-8 (with BOM) or GB18030/GBK, XLSX, blank rows, widths, bad lines."""

import io

import pytest

from ingest.reader import TableError, read_table
from ingest.report import FileReport, write_rejects


def rows(table):
    return [(r.line, r.values, r.error and r.error.reason) for r in table.rows]


def test_utf8_with_bom_and_blank_rows():
    t = read_table("\ufeffname,lon\n\nA,116.4\n ,\nB,117\n".encode())
    assert t.header == ["name", "lon"] and t.how == "CSV, UTF-8"
    assert rows(t) == [(3, {"name": "A", "lon": "116.4"}, None), (5, {"name": "B", "lon": "117"}, None)]


def test_gbk_is_detected_or_named():
    data = "名称,经度\n北京水泥厂,116.3\n".encode("gbk")
    t = read_table(data)
    assert t.how == "CSV, GB18030" and rows(t)[0][1] == {"名称": "北京水泥厂", "经度": "116.3"}
    with pytest.raises(TableError, match="--encoding gbk") as err:
        read_table(data, "utf-8")
    assert err.value.line == 1
    assert read_table(data, "gbk").how == "CSV, GBK"


def test_an_undecodable_line_is_a_row_error_in_its_place(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"name,lon\nA,1\n" + "乙,2\n".encode("gbk") + b"C,3\n")
    got = rows(read_table(path, "utf-8"))
    assert [g[0] for g in got] == [2, 3, 4] and "use --encoding gbk" in got[1][2] and got[2][1]["name"] == "C"


def test_widths_exact_or_ragged():
    data = b"a,b,c\n1,2\n1,2,3,4\n1,2,3,\n"
    assert [g[2] for g in rows(read_table(data))] == ["expected 3 cells, found 2", "expected 3 cells, found 4",
                                                       "expected 3 cells, found 4"]
    got = rows(read_table(data, ragged=True))
    assert got[0][1] == {"a": "1", "b": "2", "c": ""} and got[1][2] == "expected 3 cells, found 4"
    assert got[2][1] == {"a": "1", "b": "2", "c": "3"}


def test_xlsx_and_unreadable_files():
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append([None])
    wb.active.append(["name", "uscc", "lon"])
    wb.active.append(["A", 914400020838052920, 113.25])
    buf = io.BytesIO()
    wb.save(buf)
    t = read_table(buf.getvalue())
    assert t.how.startswith("XLSX") and t.header == ["name", "uscc", "lon"]
    row = next(t.rows)
    assert row.line == 3 and isinstance(row.cells[1], float) and row.values["lon"] == "113.25"
    for data, reason in ((b"", "empty"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "xlsx"),
                         (b"PK\x03\x04broken", "not a readable XLSX"), (b"\n\n", "empty")):
        with pytest.raises(TableError, match=reason):
            read_table(data)


def test_rejects_file_and_report_text(tmp_path):
    path = tmp_path / "f.csv"
    out = write_rejects(path, ["name", "lon"], [(4, "lon: not a number: 'x'", ["B", "x"]), (2, "name: missing", [])])
    assert out.read_text(encoding="utf-8").splitlines() == ["_line,_reason,name,lon", "2,name: missing",
                                                            "4,lon: not a number: 'x',B,x"]
    report = FileReport("f.csv", "facilities", rows=2, valid=1)
    report.add(4, "lon", "not a number: 'x'")
    assert report.text().splitlines() == [
        "f.csv: 2 rows read, 1 valid, 1 rejected", "  f.csv:4 [lon]: not a number: 'x'",
        "nothing committed: fix the rows above, or use --skip-invalid to load the valid rows"]


def _xlsx(build=None) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["name", "lon"])
    ws.append(["A", 116.4])
    if build:
        build(ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _with_part(data: bytes, name: str, content: bytes) -> bytes:
    """The XLSX `data` with part `name` replaced (or added), deflated."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != name:
                dst.writestr(info, src.read(info))
        dst.writestr(name, content)
    return out.getvalue()


def test_xlsx_shared_strings_bomb_is_refused_before_parsing():
    """About 40 KB of zip holding a million and one shared strings (17 MB of XML) is refused, not loaded."""
    import zipfile

    from ingest.reader import XLSX_MAX_SHARED_STRINGS, TableTooLarge

    ns = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    n = XLSX_MAX_SHARED_STRINGS + 1
    sst = b'<sst ' + ns + b' count="1" uniqueCount="1">' + b"<si><t>a</t></si>" * n + b"</sst>"
    data = _xlsx()
    types = zipfile.ZipFile(io.BytesIO(data)).read("[Content_Types].xml").replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                     b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    bomb = _with_part(_with_part(data, "[Content_Types].xml", types), "xl/sharedStrings.xml", sst)
    assert len(bomb) < 200_000
    with pytest.raises(TableTooLarge, match="shared strings") as err:
        read_table(bomb)
    assert isinstance(err.value, TableError)  # callers reporting table errors report this one too
    from app.errors import status_of

    assert status_of(err.value) == 413


def test_xlsx_declaring_gigabytes_is_refused_from_the_zip_directory():
    import struct

    from ingest.reader import TableTooLarge

    data = bytearray(_xlsx())
    central = data.rfind(b"PK\x01\x02" + data[data.rfind(b"PK\x01\x02") + 4:data.rfind(b"PK\x01\x02") + 6])
    assert central > 0
    struct.pack_into("<I", data, central + 24, 0xFFFF0000)  # the last part's uncompressed size: about 4 GB
    with pytest.raises(TableTooLarge, match="unpacks to"):
        read_table(bytes(data))


def test_xlsx_rows_and_columns_are_bounded():
    from ingest.reader import XLSX_MAX_COLUMNS, TableTooLarge

    wide = _xlsx(lambda ws: ws.cell(row=3, column=XLSX_MAX_COLUMNS + 1, value="x"))
    with pytest.raises(TableTooLarge, match="columns"):
        read_table(wide)
    rows = _xlsx(lambda ws: ws.cell(row=1_048_576, column=1, value="x"))
    dim = b'<dimension ref="A1:B2000000"/>'
    import re
    import zipfile

    sheet = zipfile.ZipFile(io.BytesIO(rows)).read("xl/worksheets/sheet1.xml")
    lying = _with_part(rows, "xl/worksheets/sheet1.xml", re.sub(rb"<dimension [^>]*/>", dim, sheet))
    with pytest.raises(TableTooLarge, match="rows"):
        read_table(lying)
    assert next(read_table(_xlsx()).rows).values == {"name": "A", "lon": "116.4"}
