"""With an OpenStreetMap extract loaded, supplier-list and facility-file rows whose address names a street of it
inside their county are placed on that street (precision 'street'); unknown or ambiguous streets stay at county."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys

import psycopg
import pytest

from supply import lists as sl
from tests.db.test_cli import run
from tests.osm_extract import CENTRE, write
from tests.supply_helpers import csv_bytes, make_brand, unique

pytestmark = pytest.mark.skipif(not shutil.which("osm2pgsql"), reason="osm2pgsql is not installed (make installs it)")

PUDONG = "310115"
# Added to the test extract inside 浦东新区: one street cut in two touching ways, and two ways of one name ~10 km
# apart (two different streets), each (name, [(lon, lat), ...]).
EXTRA = [("分段测试路", [(121.62, 31.21), (121.63, 31.21)]), ("分段测试路", [(121.63, 31.21), (121.64, 31.21)]),
         ("双名测试路", [(121.60, 31.20), (121.61, 31.20)]), ("双名测试路", [(121.70, 31.12), (121.71, 31.12)])]


def extract_with_extras(path):
    """The test extract with the EXTRA ways (ids after the extract's own, kept in order: nodes, ways, relations)."""
    lines = write(path).read_text(encoding="utf-8").splitlines()
    nodes, ways, nid = [], [], 900000
    for wid, (name, points) in enumerate(EXTRA, start=90000):
        refs = []
        for lon, lat in points:
            nid += 1
            nodes.append(f'<node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"></node>')
            refs.append(f'<nd ref="{nid}"/>')
        ways.append(f'<way id="{wid}" version="1">{"".join(refs)}<tag k="highway" v="residential"/>'
                    f'<tag k="name" v="{name}"/></way>')
    last_node = max(i for i, x in enumerate(lines) if x.startswith("<node"))
    last_way = max(i for i, x in enumerate(lines) if x.startswith("<way"))
    out = lines[:last_node + 1] + nodes + lines[last_node + 1:last_way + 1] + ways + lines[last_way + 1:]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def county(settings, db_url, tmp_path_factory):
    """The extract (with extras) imported with the CLI, dropped again afterwards; the county holding its centre."""
    with psycopg.connect(db_url) as c:
        found = c.execute("SELECT code, name_zh FROM admin_areas WHERE level = 'county' AND "
                          "ST_Contains(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))", CENTRE).fetchone()
        inside = c.execute("SELECT bool_and(ST_Contains(a.geom, ST_SetSRID(ST_MakePoint(x, y), 4326))) "
                           "FROM admin_areas a, unnest(%s::float8[], %s::float8[]) AS p(x, y) WHERE a.code = %s",
                           ([p[0] for _, ps in EXTRA for p in ps], [p[1] for _, ps in EXTRA for p in ps],
                            PUDONG)).fetchone()[0]
    assert found and inside, "the bundled counties must hold the extract's centre and the extra ways"
    res = run(settings, "basemap", "load", str(extract_with_extras(tmp_path_factory.mktemp("osm") / "geo.osm")))
    assert res.returncode == 0, res.stderr
    yield found[1]
    run(settings, "basemap", "drop", "--yes")


def metres_to_road(c: psycopg.Connection, fid: int, name: str) -> float:
    """How far a facility lies from the nearest way of that name, in metres."""
    return c.execute("SELECT min(ST_Distance(f.geom::geography, r.geom::geography)) FROM facilities f, osm.roads r "
                     "WHERE f.id = %s AND r.name_zh = %s", (fid, name)).fetchone()[0]


def county_point(c: psycopg.Connection, name: str) -> tuple[float, float]:
    """The point a county-level placement uses."""
    return c.execute("SELECT ST_X(coalesce(label_point, ST_PointOnSurface(geom))), "
                     "ST_Y(coalesce(label_point, ST_PointOnSurface(geom))) FROM admin_areas "
                     "WHERE level = 'county' AND name_zh = %s AND code LIKE '31%%'", (name,)).fetchone()


def test_supplier_list_rows_are_placed_on_their_street(county, db_url):
    bid, _ = make_brand(db_url, "streets")
    addresses = {"A": f"上海市{county}学府路 88 号", "B": f"上海市{county}无名测试路 9 号",
                 "C": "上海市浦东新区分段测试路 5 号", "D": "上海市浦东新区双名测试路 7 号"}
    rows = [{"ref": k, "name": unique(f"街道测试厂{k}"), "address": a, "lon": "", "lat": ""}
            for k, a in addresses.items()]
    with psycopg.connect(db_url) as c:
        up = sl.upload(c, bid, csv_bytes(rows, ["ref", "name", "address", "lon", "lat"]), "streets.csv")
        by = {r.ref: r for r in up.rows}
        assert up.committed and all(r.outcome == "new_facility" for r in by.values()), [r.reason for r in up.rows]
        got = {k: c.execute("SELECT location_precision, ST_X(geom), ST_Y(geom) FROM facilities WHERE id = %s",
                            (r.facility_id,)).fetchone() for k, r in by.items()}
        assert got["A"][0] == "street" and metres_to_road(c, by["A"].facility_id, "学府路") < 50
        assert f"at street level (学府路, {county})" in by["A"].reason
        assert got["C"][0] == "street" and metres_to_road(c, by["C"].facility_id, "分段测试路") < 50
        assert got["C"][1:] == pytest.approx((121.63, 31.21), abs=0.002)  # on the street, not at one segment's end
        assert got["B"][0] == "county" and got["B"][1:] == pytest.approx(county_point(c, county), abs=1e-6)
        assert "county level" in by["B"].reason and "street" not in by["B"].reason
        assert got["D"][0] == "county" and got["D"][1:] == pytest.approx(county_point(c, "浦东新区"), abs=1e-6)
        assert "street not chosen: 2 streets named 双名测试路 in 浦东新区, over 3 km apart" in by["D"].reason
        c.rollback()


def test_facility_file_rows_are_placed_on_their_street(county, settings, db_url, client, tmp_path):
    path = tmp_path / "streets.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["ext_id", "name_zh", "industry", "address", "lon", "lat"])
        w.writerow(["st-xuefu", "学府路测试厂", "cement", f"上海市{county}学府路 88 号", "", ""])
        w.writerow(["st-none", "无名路测试厂", "cement", f"上海市{county}无名测试路 9 号", "", ""])
        w.writerow(["st-twice", "双名路测试厂", "cement", "上海市浦东新区双名测试路 7 号", "", ""])
    dataset = unique("upload-streets")
    env = {"DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin", "BLUEMAP_TILE_CACHE": "false",
           "BLUEMAP_VAR_DIR": str(tmp_path)}
    res = subprocess.run([sys.executable, "-m", "ops.cli", "load-file", "facilities", str(path), "--dataset-id",
                          dataset], capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "committed: 3 new facilities" in res.stdout
    assert "placed at county level, street not chosen: 2 streets named 双名测试路 in 浦东新区" in res.stdout
    with psycopg.connect(db_url) as c:
        got = {ext: (precision, fid) for ext, precision, fid in c.execute(
            "SELECT ext_id, location_precision, id FROM facilities WHERE dataset_id = %s", (dataset,))}
        assert got["st-xuefu"][0] == "street" and metres_to_road(c, got["st-xuefu"][1], "学府路") < 50
        assert got["st-none"][0] == "county" and got["st-twice"][0] == "county"
    fid = got["st-xuefu"][1]
    assert client.get(f"/api/facilities/{fid}").get_json()["location_precision"] == "street"
    en = client.get(f"/facilities/{fid}?lang=en").get_data(as_text=True)
    zh = client.get(f"/facilities/{fid}?lang=zh").get_data(as_text=True)
    assert 'data-precision="street"' in en and "placed from the address on its street" in en
    assert "位置按地址定位到街道" in zh
