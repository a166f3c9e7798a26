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
