"""A merged-away facility stays merged: re-loading its source file through the CLI skips it, and a violation
file naming its ext_id lands on the survivor (real database, real CLI, merge over HTTP)."""

from __future__ import annotations

import random
import subprocess
import sys

import psycopg

from ingest.facilities import FacilityRow, write_facilities
from ingest.merged import facility_ids
from standards import uscc
from tests.supply_helpers import unique
from tests.workflow_helpers import PDF, client_for, post


def _load(settings, tmp_path, kind: str, name: str, text: str) -> subprocess.CompletedProcess:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    env = {"DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin", "BLUEMAP_TILE_CACHE": "false",
           "BLUEMAP_VAR_DIR": str(tmp_path / "var")}
    res = subprocess.run([sys.executable, "-m", "ops.cli", "load-file", kind, str(path)],
                         capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    return res


def _ids(db_url: str, ext_ids: list[str]) -> dict[str, int]:
    with psycopg.connect(db_url) as c:
        return dict(c.execute("SELECT ext_id, id FROM facilities WHERE ext_id = ANY(%s)", (ext_ids,)).fetchall())


def test_reloading_a_merged_file_skips_the_duplicate_and_its_records_reach_the_survivor(app, settings, db_url,
                                                                                        tmp_path):
    tag = unique("Reload")
    code = uscc.make("150100", random.randrange(10**8))
    lon, lat = round(random.uniform(112.5, 113.5), 4), round(random.uniform(42.3, 42.9), 4)
    a, b = f"{tag}-A", f"{tag}-B"
    plants = ("ext_id,uscc,name_zh,name_en,industry,lon,lat\n"
              f"{a},{code},{tag}一厂,{tag} Plant,chemicals,{lon},{lat}\n"
              f"{b},{code},{tag}一厂(重复),{tag} Plant dup,chemicals,{lon + 0.002},{lat}\n")
    first = _load(settings, tmp_path, "facilities", f"plants-{tag}.csv", plants)
    assert "committed: 2 new facilities" in first.stdout, first.stdout
    ids = _ids(db_url, [a, b])
    survivor, duplicate = ids[a], ids[b]

    ent, _ = client_for(app, db_url, "member")
    rev, _ = client_for(app, db_url, "admin")
    r = post(ent, "/api/workflow/claims", {"uscc": code, "contact_name": "王经理", "position": "EHS",
                                           "contact_phone": "0471-7654321"}, files={"licence": (PDF, "l.pdf")})
    assert r.status_code == 201, r.json
    assert post(rev, f"/api/review/claims/{r.json['id']}", json={"decision": "approved"}).status_code == 200
    r = post(ent, "/api/workflow/merge-proposals", json={"survivor_id": survivor, "duplicate_id": duplicate,
                                                         "reason": "同一厂区，两次录入"})
    assert r.status_code == 201, r.json
    assert post(rev, f"/api/review/merges/{r.json['id']}", json={"decision": "merged"}).status_code == 200

    again = _load(settings, tmp_path, "facilities", f"plants-{tag}.csv", plants)
    assert f"line 3: facility '{b}' was merged into facility {survivor}" in again.stdout, again.stdout
    assert "committed: 0 new facilities, 1 already present, 1 merged into other facilities" in again.stdout
    assert "0 rejected" in again.stdout
    assert _ids(db_url, [a, b]) == {a: survivor}
    with psycopg.connect(db_url) as c:  # the loaders' generic path (bundled data sets) skips it too
        row = FacilityRow(f"upload:plants-{tag}.csv", b, f"{tag} Plant dup", None, "chemicals", lon, lat)
        assert write_facilities(c, row.dataset_id, [row]) == 0
        assert facility_ids(c, row.dataset_id)[b] == survivor
        c.rollback()
    assert _ids(db_url, [a, b]) == {a: survivor}

    records = ("ext_id,facility_ext_id,date,authority,category\n"
               f"{tag}-v1,{b},2024-03-01,呼和浩特市生态环境局,超标排放\n"
               f"{tag}-v2,{a},2024-03-02,呼和浩特市生态环境局,超标排放\n")
    out = _load(settings, tmp_path, "violations", f"records-{tag}.csv", records)
    assert "committed: 2 new violations" in out.stdout, out.stdout
    with psycopg.connect(db_url) as c:
        got = dict(c.execute("SELECT ext_id, facility_id FROM violations WHERE ext_id = ANY(%s)",
                             ([f"{tag}-v1", f"{tag}-v2"],)).fetchall())
    assert got == {f"{tag}-v1": survivor, f"{tag}-v2": survivor}
