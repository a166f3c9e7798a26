"""`bluemap load-file facilities`: rows with an address and no coordinates are placed from the place index (both the
column and the per-row path), precision stored and shown; rows that cannot be placed are reported, not guessed."""

from __future__ import annotations

import csv
import subprocess
import sys

import psycopg
import pytest

from tests.db.test_basemap import tile

HEADER = ["ext_id", "name_zh", "industry", "address", "province", "city", "county", "lon", "lat"]
# ext_id -> the county the row must land in (by GB/T 2260 code)
PLACED = {"geo-chaoyang": "110105", "geo-yiwu": "330782", "geo-kunshan": "320583"}
ROWS = [
    ["geo-chaoyang", "朝阳测试厂", "cement", "北京市朝阳区建国路1号", "", "", "", "", ""],
    ["geo-yiwu", "义乌测试厂", "textiles", "浙江省义乌市稠城街道", "", "", "", "", ""],
    ["geo-kunshan", "昆山测试厂", "", "玉山镇某路8号", "江苏省", "苏州市", "昆山市", "", ""],
    ["geo-exact", "坐标测试厂", "steel", "天津某路", "", "", "", "117.2", "39.1"],
    ["geo-nowhere", "无处测试厂", "", "某省某市某路3号", "", "", "", "", ""],
    ["geo-twice", "鼓楼测试厂", "", "江苏省鼓楼区中山路1号", "", "", "", "", ""],
]


def run(settings, tmp_path, encoding: str, *flags: str) -> tuple[subprocess.CompletedProcess, str]:
    """Write the file (UTF-8: the column path; GBK: the per-row path) and load it through the CLI."""
    path = tmp_path / f"geo-{encoding}.csv"
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(HEADER)
        w.writerows([[f"{r[0]}-{encoding}", *r[1:]] for r in ROWS])
    dataset = f"upload-geo-{encoding}{''.join(flags)}"
    env = {"DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin", "BLUEMAP_TILE_CACHE": "false",
           "BLUEMAP_VAR_DIR": str(tmp_path)}
    res = subprocess.run([sys.executable, "-m", "ops.cli", "load-file", "facilities", str(path), "--encoding",
                          encoding, "--dataset-id", dataset, *flags], capture_output=True, text=True, env=env)
    return res, dataset


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_unplaceable_rows_are_reported_and_nothing_is_committed(settings, db_url, tmp_path, encoding):
    res, dataset = run(settings, tmp_path, encoding)
    assert res.returncode == 2, res.stderr
    out = res.stdout
    assert "6 rows read, 4 valid, 2 rejected" in out
    assert f"geo-{encoding}.csv:6 [address]: no county, prefecture or place found in '某省某市某路3号'" in out
    line7 = next(x for x in out.splitlines() if f"geo-{encoding}.csv:7 [address]" in x)
    # 江苏省 has two 鼓楼区 (Nanjing's and Xuzhou's): named, not guessed.
    assert "ambiguous: 2 counties in 江苏省" in line7 and "320106" in line7 and "320302" in line7
    assert "nothing committed" in out
    with psycopg.connect(db_url) as c:
        assert c.execute("SELECT count(*) FROM facilities WHERE dataset_id = %s", (dataset,)).fetchone()[0] == 0


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_rows_are_placed_inside_their_county_with_the_precision(settings, db_url, client, tmp_path, encoding):
    res, dataset = run(settings, tmp_path, encoding, "--skip-invalid")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "committed: 4 new facilities" in res.stdout
    rejects = (tmp_path / f"geo-{encoding}.csv.rejects.csv").read_text(encoding="utf-8").splitlines()
    assert [r.split(",")[0] for r in rejects[1:]] == ["6", "7"] and "address: ambiguous" in rejects[2]
    with psycopg.connect(db_url) as c:
        got = {ext.removesuffix(f"-{encoding}"): (precision, fid, address) for ext, precision, fid, address in
               c.execute("SELECT ext_id, location_precision, id, address FROM facilities WHERE dataset_id = %s",
                         (dataset,))}
        assert set(got) == {*PLACED, "geo-exact"}
        assert got["geo-exact"][0] == "exact"
        for ext, code in PLACED.items():
            assert got[ext][0] == "county"
            inside = c.execute("""SELECT ST_Contains(a.geom, f.geom) FROM facilities f, admin_areas a
                                  WHERE f.id = %s AND a.code = %s""", (got[ext][1], code)).fetchone()
            assert inside == (True,), (ext, code)
        # The province, city and county columns are read before the address, and kept with it.
        assert got["geo-kunshan"][2] == "江苏省苏州市昆山市玉山镇某路8号"
    fid = got["geo-yiwu"][1]
    assert client.get(f"/api/facilities/{fid}").get_json()["location_precision"] == "county"
    en = client.get(f"/facilities/{fid}?lang=en").get_data(as_text=True)
    zh = client.get(f"/facilities/{fid}?lang=zh").get_data(as_text=True)
    assert 'data-precision="county"' in en and "placed at the county&#39;s representative point" in en
    assert "位置为县市代表点，不是工厂位置" in zh
    exact = client.get(f"/facilities/{got['geo-exact'][1]}?lang=en").get_data(as_text=True)
    assert "data-precision" not in exact
    # The map's facility points carry it for the popup; given coordinates carry none.
    for ext, precision in (("geo-yiwu", "county"), ("geo-exact", None)):
        body = client.get(f"/api/facilities/{got[ext][1]}").get_json()
        point = next(f for f in tile(client, 14, body["lon"], body["lat"], "factories")
                     if f["properties"].get("id") == got[ext][1])
        assert point["properties"].get("location_precision") == precision
