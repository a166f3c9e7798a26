"""`bluemap load-file`: bad rows reported by file, line, column and reason; nothing lost; no duplicates."""

import subprocess
import sys

import pytest

from ingest.files import load_csv

GOOD = "ext_id,name_zh,name_en,uscc,industry,lon,lat\n"


def write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def count(conn, dataset):
    return conn.execute("SELECT count(*) FROM facilities WHERE dataset_id = %s", (dataset,)).fetchone()[0]


BAD = (GOOD
       + "t1,测试水泥厂,Test Cement,91110108551385082Q,cement,116.40,39.90\n"
       + "t2,缺坐标,Missing coords,,cement,,39.9\n"
       + "t3,非数字,Not a number,,cement,abc,39.9\n"
       + "t4,巴黎,Paris,,cement,2.35,48.85\n"
       + "t5,坏码,Bad USCC,91110108551385082A,cement,116.4,39.9\n"
       + "t6,好厂,Good plant,,steel,117.2,39.1\n")


def test_bad_rows_reported_and_nothing_committed(conn, tmp_path):
    report = load_csv(conn, "facilities", write(tmp_path, "bad.csv", BAD), dataset_id="upload-test")
    conn.commit()
    assert not report.committed
    where = {(e.line, e.column) for e in report.errors}
    assert where == {(3, "lon"), (4, "lon"), (5, "lon"), (6, "uscc")}
    reasons = " ".join(e.reason for e in report.errors)
    assert "missing value" in reasons and "not a number" in reasons and "outside China" in reasons
    assert "check digit" in reasons
    assert count(conn, "upload-test") == 0


def test_skip_invalid_commits_valid_rows_and_writes_rejects(conn, tmp_path):
    path = write(tmp_path, "skip.csv", BAD)
    report = load_csv(conn, "facilities", path, dataset_id="upload-skip", skip_invalid=True)
    assert report.committed and report.inserted == 2
    assert count(conn, "upload-skip") == 2
    rejects = report.rejects_path.read_text().splitlines()
    assert rejects[0].startswith("_line,_reason,ext_id")
    assert len(rejects) == 5 and rejects[1].startswith("3,")
    again = load_csv(conn, "facilities", path, dataset_id="upload-skip", skip_invalid=True)
    assert again.inserted == 0 and count(conn, "upload-skip") == 2


def test_gbk_file_read_as_utf8_gets_a_hint_then_loads_with_encoding(conn, tmp_path):
    path = write(tmp_path, "gbk.csv", GOOD + "g1,北京水泥厂,Beijing Cement,,cement,116.3,39.8\n", "gbk")
    report = load_csv(conn, "facilities", path, dataset_id="upload-gbk")
    assert not report.committed
    assert report.errors[0].line == 2 and "--encoding gbk" in report.errors[0].reason
    report = load_csv(conn, "facilities", path, dataset_id="upload-gbk", encoding="gbk")
    assert report.committed
    name = conn.execute("SELECT name_zh FROM facilities WHERE dataset_id = 'upload-gbk'").fetchone()[0]
    assert name == "北京水泥厂"


def test_unknown_and_missing_columns(conn, tmp_path):
    report = load_csv(conn, "facilities", write(tmp_path, "cols.csv", "name,longitude,lat,colour\nx,1,2,red\n"))
    assert not report.committed
    cols = {e.column for e in report.errors}
    assert {"longitude", "colour", "lon"} <= cols


def test_gcj02_file_is_converted(conn, tmp_path):
    path = write(tmp_path, "gcj.csv", GOOD + "c1,天安门测试,Tiananmen test,,other,116.403744,39.910103\n")
    report = load_csv(conn, "facilities", path, dataset_id="upload-gcj", crs="gcj02")
    assert report.committed
    lon, lat, crs = conn.execute("SELECT ST_X(geom), ST_Y(geom), source_crs FROM facilities "
                                 "WHERE dataset_id = 'upload-gcj'").fetchone()
    assert lon == pytest.approx(116.3975, abs=1e-5) and lat == pytest.approx(39.9087, abs=1e-5)
    assert crs == "gcj02"


def test_violations_file(conn, tmp_path):
    load_csv(conn, "facilities", write(tmp_path, "f.csv", GOOD + "vf1,违规厂,Violator,,chemicals,120.1,30.2\n"),
             dataset_id="upload-vio")
    text = ("ext_id,facility_ext_id,date,authority,category,penalty_cny,status\n"
            "a1,vf1,2024年3月5日,杭州市生态环境局,超标排放,50000,open\n"
            "a2,nope,2024-03-06,杭州市生态环境局,超标排放,,open\n"
            "a3,vf1,2024-13-40,杭州市生态环境局,超标排放,,open\n"
            "a4,vf1,2024-03-07,杭州市生态环境局,超标排放,,closed\n")
    path = write(tmp_path, "v.csv", text)
    report = load_csv(conn, "violations", path, dataset_id="upload-vio")
    assert not report.committed
    assert {(e.line, e.column) for e in report.errors} == {(3, "facility_ext_id"), (4, "date"), (5, "status")}
    report = load_csv(conn, "violations", path, dataset_id="upload-vio", skip_invalid=True)
    assert report.inserted == 1
    status = conn.execute("SELECT v.status FROM violations v JOIN facilities f ON f.id = v.facility_id "
                          "WHERE f.ext_id = 'vf1'").fetchone()[0]
    assert status == "open"


def test_cli_reports_and_exits_nonzero(settings, tmp_path):
    path = write(tmp_path, "cli.csv", BAD)
    env = {"DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin"}
    res = subprocess.run([sys.executable, "-m", "ops.cli", "load-file", "facilities", str(path)],
                         capture_output=True, text=True, env=env)
    assert res.returncode == 2
    assert "cli.csv:4 [lon]: not a number" in res.stdout
    assert "nothing committed" in res.stdout


def test_legacy_identifiers_are_kept_as_alternate_ids(conn, tmp_path):
    text = ("ext_id,name_zh,uscc,registration_no,organisation_code,lon,lat\n"
            "L1,老厂甲,91110000600037341L,110000012345678,,116.3,39.9\n"
            "L2,老厂乙,,110000087654321,55138508-2,116.31,39.91\n"
            "L3,老厂丙,,12345,,116.32,39.92\n"
            "L4,老厂丁,,,55138508-3,116.32,39.92\n")
    path = write(tmp_path, "legacy.csv", text)
    report = load_csv(conn, "facilities", path, dataset_id="upload-legacy")
    assert {(e.line, e.column) for e in report.errors} == {(4, "registration_no"), (5, "organisation_code")}
    report = load_csv(conn, "facilities", path, dataset_id="upload-legacy", skip_invalid=True)
    assert report.inserted == 2
    rows = conn.execute("""SELECT f.ext_id, c.uscc, a.kind, a.value FROM facilities f
                           JOIN companies c ON c.id = f.company_id JOIN company_alt_ids a ON a.company_id = c.id
                           WHERE f.dataset_id = 'upload-legacy' ORDER BY 1, 3""").fetchall()
    assert rows == [("L1", "91110000600037341L", "registration_no", "110000012345678"),
                    ("L2", None, "organisation_code", "551385082"),
                    ("L2", None, "registration_no", "110000087654321")]
