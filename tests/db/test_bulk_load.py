"""Bulk loads checked column by column: the same row-level report and rows as the per-row checks, all or nothing,
and for large loads the secondary indexes dropped and built again (after the commit, on two connections)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ingest import bulk, rebuild
from ingest import files as loader
from ingest.files import load_csv
from ops.cli import main as cli
from standards import uscc

pytestmark = pytest.mark.db

FAC_HEADER = "ext_id,name_zh,name_en,name,uscc,industry,address,lon,lat,key_monitored,area_code,registration_no\n"
FAC_ROWS = [
    "b1,北京水泥厂,Beijing Cement,,91110108551385082Q,cement,  Road 1 ,116.40,39.90,yes,110000,",
    "b2,,,Only Name,,Steel,,117.2,39.1,,,",
    "b3,缺坐标,No lon,,,cement,,,39.9,,,",
    "b4,非数字,NaN lon,,,cement,,abc,39.9,,,",
    "b5,巴黎,Paris,,,cement,,2.35,48.85,,,",
    "b6,坏码,Bad USCC,,91110108551385082A,cement,,116.4,39.9,,,",
    "b7,交换,Swapped,,,cement,,39.9,116.4,,,",
    "b8,坏行业,Bad industry,,,spaceships,,116.4,39.9,,,",
    "b9,是否,Bad flag,,,cement,,116.4,39.9,maybe,,",
    ",无编号,No id,,,cement,,116.41,39.91,,,",
    "b11,旧号,Legacy,,,cement,,116.42,39.92,,,110108000000016",
    "b12,,,,,cement,,116.43,39.93,,,",
    "b13,区划,Bad area,,,cement,,116.44,39.94,,1100,",
    "b14,科学计数,Exp,,,chemicals,,1.1645E2,3.994e1,0,,",
    "b15,中文行业,Zh industry,,,水泥,,116.46,39.96,否,,",
]
VIO_HEADER = "ext_id,facility_ext_id,facility_uscc,date,authority,category,penalty_cny,status,source\n"
VIO_ROWS = [
    "v1,b1,,2024-03-01,Beijing EPB,air,1500,open,",
    "v2,,91110108551385082Q,2024/03/02,Beijing EPB,water,,Explained,site visit",
    "v3,b2,,2024-02-30,Beijing EPB,air,,open,",  # an impossible date a lenient parser would roll over
    "v4,b2,,2024-03-04,,air,,open,",
    "v5,b2,,2024-03-05,EPB,air,-3,open,",
    "v6,b2,,2024-03-06,EPB,air,,pending,",
    "v7,nope,,2024-03-07,EPB,air,,open,",
    "v8,,91110108551385082A,2024-03-08,EPB,air,,open,",
    ",b2,,2024-03-09,EPB,air,,,",
    "v10,b14,,2024-03-10,EPB,air,2.5e3,rectified,",
    "v11,b2,,0000-01-01,EPB,air,,open,",  # no year 0 (Python's dates and PostgreSQL's start at year 1)
    "v12,b2,,2023-02-29,EPB,air,,open,",  # not a leap year
    "v13,b2,,2024-02-29,EPB,air,,open,",  # a leap year
    "v14,b2,,2024-03-11,EPB,air,1e400,open,",  # a penalty past a float's range
    "v15,b2,,2024-03-12,EPB,air,1e12,open,",  # and past the column's
    "v16,b2,,2024-03-13,EPB,air,999999999999.99,open,",  # the largest it holds
]


def _write(tmp_path, name: str, header: str, rows: list[str]):
    p = tmp_path / name
    p.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    return p


def _report(r) -> tuple:
    return (r.rows, r.valid, r.inserted, r.committed, r.error_count,
            [(e.line, e.column, e.reason) for e in r.errors])


def _rows(conn, table: str, dataset: str, cols: str) -> list[tuple]:
    return conn.execute(f"SELECT {cols} FROM {table} WHERE dataset_id = %s ORDER BY ext_id", (dataset,)).fetchall()


def test_column_checks_give_the_same_report_and_rows_as_row_checks(conn, tmp_path, monkeypatch):
    fac = _write(tmp_path, "fac.csv", FAC_HEADER, FAC_ROWS)
    vio = _write(tmp_path, "vio.csv", VIO_HEADER, VIO_ROWS)
    assert sum(t.num_rows for t in bulk.batches(fac)) == len(FAC_ROWS)  # this file takes the column path
    staged = []
    real = loader._stage_bulk
    monkeypatch.setattr(loader, "_stage_bulk", lambda *a: (real(*a), staged.append(1))[0])  # counts successes
    fast = [load_csv(conn, "facilities", fac, dataset_id="bulk-fast", skip_invalid=True),
            load_csv(conn, "violations", vio, dataset_id="bulk-fast-v", skip_invalid=True)]
    assert staged == [1, 1]
    monkeypatch.setattr(bulk, "batches", _unsure)  # every row through the per-row checks
    slow = [load_csv(conn, "facilities", fac, dataset_id="bulk-slow", skip_invalid=True),
            load_csv(conn, "violations", vio, dataset_id="bulk-slow-v", skip_invalid=True)]
    assert staged == [1, 1]
    for f, s in zip(fast, slow, strict=True):
        assert _report(f) == _report(s)
    assert fast[0].valid == 5 and fast[1].inserted == 6  # b1 b2 (hashed id) b11 b14; v1 v2 (hashed id) v10 v13 v16
    fcols = ("ext_id, name_zh, name_en, industry, address, source_crs, key_monitored, area_code, "
             "ST_AsEWKT(geom), company_id IS NOT NULL")
    assert [r[1:] for r in _rows(conn, "facilities", "bulk-fast", fcols)] == \
        [r[1:] for r in _rows(conn, "facilities", "bulk-slow", fcols)]
    vcols = "ext_id, violation_date, authority, category, penalty_cny, status, source"
    assert _rows(conn, "violations", "bulk-fast-v", vcols) == _rows(conn, "violations", "bulk-slow-v", vcols)
    conn.rollback()


def _unsure(*args):
    raise bulk.Unsure


def test_blocks_give_the_same_rows_and_report_lines_as_one_block(conn, tmp_path, monkeypatch):
    rows = [f"m{i},工厂{i},Plant {i},,,cement,,{116 + i / 1000:.3f},39.9,,," for i in range(60)]
    rows[40] = "m40,坏经度,Bad lon,,,cement,,abc,39.9,,,"  # a bad row in a later block
    plain = _write(tmp_path, "plain.csv", FAC_HEADER, rows)
    rows[5] = 'm5,工厂5,"Plant\n5",,,cement,,116.005,39.9,,,'  # a quoted line break before it
    multi = _write(tmp_path, "multi.csv", FAC_HEADER, rows)
    small = 300
    blocks = [t.num_rows for t in bulk.batches(plain, small)]
    assert len(blocks) > 3 and blocks[0] < 40 and sum(blocks) == 60  # the bad row is not in the first block
    with pytest.raises(bulk.Unsure):  # records are not one a line: per-row checks (found after the last block)
        list(bulk.batches(multi, small))
    fcols = "ext_id, name_zh, name_en, industry, ST_AsEWKT(geom), company_id IS NOT NULL"
    for path, bad_line in ((plain, 42), (multi, 43)):
        got = []
        for size in (small, 1 << 24):
            monkeypatch.setattr(bulk, "BLOCK_SIZE", size)
            ds = f"blocks-{path.stem}-{size}"
            r = load_csv(conn, "facilities", path, dataset_id=ds, skip_invalid=True)
            assert (r.rows, r.valid, r.inserted) == (60, 59, 59)
            assert [(e.line, e.column) for e in r.errors] == [(bad_line, "lon")]
            got.append((_report(r), _rows(conn, "facilities", ds, fcols)))
        assert got[0] == got[1]
    assert ("m5", "工厂5", "Plant\n5") in [r[:3] for r in _rows(conn, "facilities", "blocks-multi-300", fcols)]
    monkeypatch.setattr(bulk, "BLOCK_SIZE", small)
    r = load_csv(conn, "facilities", plain, dataset_id="blocks-all-or-nothing")  # a bad row in block 4: nothing
    assert not r.committed and r.inserted == 0 and [e.line for e in r.errors] == [42]
    assert _rows(conn, "facilities", "blocks-all-or-nothing", fcols) == []
    conn.rollback()


def _indexes(conn, table: str) -> list[str]:
    return sorted(r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", (table,)))


def test_large_loads_rebuild_indexes_and_cells_all_or_nothing(conn, tmp_path, monkeypatch):
    monkeypatch.setattr(rebuild, "REBUILD_ROWS", 5)  # a small file stands for a national refresh
    monkeypatch.setattr(rebuild, "EXISTING_RATIO", 1e9)  # into a table that already holds the bundled data
    before, keys = _indexes(conn, "facilities"), _constraints(conn)
    rows = [f"big{i},大厂{i},Big {i},,,cement,,{116 + i / 1000:.4f},39.5,,," for i in range(40)]
    bad = _write(tmp_path, "bad.csv", FAC_HEADER.replace(",registration_no", ""),
                 [r.rsplit(",", 1)[0] for r in rows] + ["bigX,坏,Bad,,,cement,,2.0,48.0,,"])
    report = load_csv(conn, "facilities", bad, dataset_id="bulk-big")
    assert not report.committed and report.error_count == 1 and report.errors[0].line == 42
    assert _indexes(conn, "facilities") == before and _constraints(conn) == keys
    assert conn.execute("SELECT count(*) FROM facilities WHERE dataset_id = 'bulk-big'").fetchone()[0] == 0
    good = _write(tmp_path, "good.csv", FAC_HEADER.replace(",registration_no", ""),
                  [r.rsplit(",", 1)[0] for r in rows])
    cells_before = conn.execute("SELECT sum(n) FROM facility_cells WHERE z = 0").fetchone()[0]
    report = load_csv(conn, "facilities", good, dataset_id="bulk-big")
    assert report.committed and report.inserted == 40
    assert _indexes(conn, "facilities") == before and _constraints(conn) == keys  # dropped and made again
    cells_after = conn.execute("SELECT sum(n) FROM facility_cells WHERE z = 0").fetchone()[0]
    assert cells_after == cells_before + 40  # the cluster cells count the new facilities
    # again with 10 more: the unique key is dropped for the load, and the 40 on file are not inserted twice
    more = [f"big{i},大厂{i},Big {i},,,cement,,{116 + i / 1000:.4f},39.5,," for i in range(40, 50)]
    again = _write(tmp_path, "again.csv", FAC_HEADER.replace(",registration_no", ""),
                   [r.rsplit(",", 1)[0] for r in rows] + more + [more[0]])  # and one of them twice in the file
    report = load_csv(conn, "facilities", again, dataset_id="bulk-big")
    assert report.committed and report.inserted == 10
    assert conn.execute("SELECT count(*) FROM facilities WHERE dataset_id = 'bulk-big'").fetchone()[0] == 50
    assert _indexes(conn, "facilities") == before and _constraints(conn) == keys
    conn.execute("DELETE FROM facilities WHERE dataset_id = 'bulk-big'")
    conn.commit()


def test_companies_of_a_large_load_are_found_or_made_once(conn, tmp_path, monkeypatch):
    monkeypatch.setattr(rebuild, "EXISTING_RATIO", 1e9)
    on_file, shared, alone = (uscc.make("110108", 907_000 + i) for i in range(3))
    header = "ext_id,name_zh,name_en,uscc,industry,lon,lat\n"
    first = _write(tmp_path, "co-small.csv", header, [f"co0,已有公司,On file,{on_file},cement,116.3,39.3"])
    assert load_csv(conn, "facilities", first, dataset_id="bulk-co").inserted == 1  # (per-row, key kept)
    known = conn.execute("SELECT id FROM companies WHERE uscc = %s", (on_file,)).fetchone()[0]
    monkeypatch.setattr(rebuild, "REBUILD_ROWS", 5)
    keys = _constraints(conn)
    rows = {"co1": on_file, "co2": shared, "co3": shared, "co4": alone, "co5": "", "co6": "", "co7": on_file}
    for name, picked in (("distinct", ("co1", "co4", "co5", "co6")), ("repeated", tuple(rows))):
        big = _write(tmp_path, f"co-{name}.csv", header, [f"{k},公司{k},Company {k},{rows[k]},cement,116.{i},39.{i}"
                                                          for i, k in enumerate(picked, 1)])
        report = load_csv(conn, "facilities", big, dataset_id="bulk-co")
        assert report.committed and report.inserted == {"distinct": 4, "repeated": 3}[name]
        assert _constraints(conn) == keys  # the companies' unique key dropped for the load and made again
    got = dict(conn.execute("""SELECT f.ext_id, c.uscc FROM facilities f LEFT JOIN companies c ON c.id = f.company_id
                               WHERE f.dataset_id = 'bulk-co'""").fetchall())
    assert got == {"co0": on_file, **{k: v or None for k, v in rows.items()}}
    counts = conn.execute("""SELECT uscc, count(*), min(id) FROM companies WHERE uscc = ANY(%s)
                             GROUP BY uscc""", ([on_file, shared, alone],)).fetchall()
    assert {u: n for u, n, _ in counts} == {on_file: 1, shared: 1, alone: 1}
    assert (on_file, 1, known) in counts  # the company on file, found rather than made again
    conn.rollback()


def _constraints(conn) -> list[tuple]:
    return conn.execute("""SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated
                           FROM pg_constraint WHERE conrelid = ANY('{facilities,violations,companies,
                                                                     violation_status_history}'::regclass[])
                           ORDER BY 1, 2""").fetchall()


def _summary_files(tmp_path, prefix: str):
    """40 facilities and 90 records on 30 of them (statuses, dates and a removed one mixed), ids under `prefix`."""
    fac = _write(tmp_path, f"{prefix}-f.csv", "ext_id,name_zh,name_en,industry,lon,lat\n",
                 [f"{prefix}{i},总结厂{i},Summary {i},cement,{84 + i / 997:.5f},{40 + i / 1009:.5f}"
                  for i in range(40)])
    statuses = ("open", "explained", "rectified", "removed")
    vio = _write(tmp_path, f"{prefix}-v.csv", "ext_id,facility_ext_id,date,authority,category,status\n",
                 [f"{prefix}v{j},{prefix}{j % 30},2023-{1 + j % 12:02d}-{1 + j % 27:02d},EPB,air,{statuses[j * 7 % 4]}"
                  for j in range(90)])
    return fac, vio


def test_large_load_gives_the_summaries_history_and_cells_of_a_small_one(conn, tmp_path, monkeypatch):
    monkeypatch.setattr(rebuild, "EXISTING_RATIO", 1e9)
    tables = ("facilities", "violations", "violation_status_history")
    before = _constraints(conn), [_indexes(conn, t) for t in tables], _triggers(conn)
    done = {}
    for prefix, threshold in (("sml", 10**9), ("lrg", 5)):  # per-row index and key upkeep, then the bulk path
        monkeypatch.setattr(rebuild, "REBUILD_ROWS", threshold)
        fac, vio = _summary_files(tmp_path, prefix)
        rf = load_csv(conn, "facilities", fac, dataset_id=f"sum-{prefix}")
        rv = load_csv(conn, "violations", vio, dataset_id=f"sum-{prefix}-v")
        assert rf.committed and rv.committed and (rf.inserted, rv.inserted) == (40, 90)
        batches = conn.execute("SELECT count(*) FROM alert_event_batches").fetchone()[0]
        assert batches == (prefix == "lrg")
        if prefix == "lrg":  # again: the unique key is dropped for the load, and the 90 on file are left out
            again = load_csv(conn, "violations", vio, dataset_id=f"sum-{prefix}-v")
            assert again.committed and again.inserted == 0
        while conn.execute("SELECT expand_alert_batch(50)").fetchone()[0]:
            pass  # the large load queued its events as one batch: written out as the alert worker does
        done[prefix] = conn.execute(
            """SELECT substr(f.ext_id, 4), f.violation_count, f.latest_violation, f.worst_status,
                      f.violations_synthetic, f.company_id IS NULL, f.area_code,
                      (SELECT array_agg((substr(v.ext_id, 4), h.from_status, h.to_status) ORDER BY v.ext_id)
                       FROM violations v JOIN violation_status_history h ON h.violation_id = v.id
                       WHERE v.facility_id = f.id),
                      (SELECT array_agg((e.kind, e.payload - 'ext_id', substr(e.payload->>'ext_id', 4))
                                        ORDER BY e.payload->>'ext_id')
                       FROM alert_events e WHERE e.facility_id = f.id AND e.kind = 'new_record')
               FROM facilities f WHERE f.dataset_id = %s ORDER BY 1""", (f"sum-{prefix}",)).fetchall()
    assert done["lrg"] == done["sml"]
    assert sum(r[1] for r in done["lrg"]) == sum(j * 7 % 4 != 3 for j in range(90))  # removed ones do not count
    assert {r[3] for r in done["lrg"]} == {"none", "open", "explained"}
    assert (_constraints(conn), [_indexes(conn, t) for t in tables], _triggers(conn)) == before  # all back on
    kept = _cells(conn)  # as kept up by the loads' statement triggers
    assert conn.execute("SELECT refresh_facility_cells(true)").fetchone()[0]
    assert _cells(conn) == kept  # as built again from scratch
    live = conn.execute("""SELECT count(*), sum(violation_count), sum(id) FROM facilities
                           WHERE private_to_brand IS NULL""").fetchone()
    totals = conn.execute("SELECT sum(n), sum(violations), sum(id_sum) FROM facility_cells GROUP BY z ORDER BY z")
    assert [tuple(r) for r in totals.fetchall()] == [tuple(live)] * 12  # every zoom counts every facility
    conn.rollback()  # (records are never deleted: what the loads added stays, out in the Taklamakan)


def _triggers(conn) -> list[tuple]:
    return conn.execute("""SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_trigger WHERE NOT tgisinternal
                           ORDER BY 1, 2""").fetchall()


def test_a_record_twice_in_a_large_file_is_stored_once(conn, tmp_path, monkeypatch):
    monkeypatch.setattr(rebuild, "REBUILD_ROWS", 5)
    monkeypatch.setattr(rebuild, "EXISTING_RATIO", 1e9)
    fac, vio = _summary_files(tmp_path, "two")
    lines = vio.read_text(encoding="utf-8").splitlines()
    vio.write_text("\n".join([*lines, lines[5], lines[1]]) + "\n", encoding="utf-8")  # two records twice
    assert load_csv(conn, "facilities", fac, dataset_id="sum-two").inserted == 40
    report = load_csv(conn, "violations", vio, dataset_id="sum-two-v")
    assert report.committed and report.valid == 92 and report.inserted == 90
    assert conn.execute("""SELECT count(*), count(DISTINCT ext_id) FROM violations
                           WHERE dataset_id = 'sum-two-v'""").fetchone() == (90, 90)
    conn.rollback()


def _cells(conn) -> list[tuple]:
    return conn.execute("""SELECT z, cx, cy, status, key_monitored, n, violations, id_sum,
                                  round((sx / n)::numeric, 2), round((sy / n)::numeric, 2)
                           FROM facility_cells WHERE n > 0 ORDER BY 1, 2, 3, 4, 5""").fetchall()



def _unvalidated(conn) -> set[str]:
    return {r[0] for r in conn.execute("SELECT conname FROM pg_constraint WHERE NOT convalidated")}


def _index_defs(conn, table: str) -> list[str]:
    return sorted(r[0] for r in conn.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", (table,)))


def test_indexes_a_stopped_load_deferred_are_made_by_the_next_upgrade(conn, tmp_path, monkeypatch, settings):
    monkeypatch.setattr(rebuild, "REBUILD_ROWS", 5)
    monkeypatch.setattr(rebuild, "EXISTING_RATIO", 1e9)
    before = _index_defs(conn, "facilities")
    build = rebuild.build_deferred
    monkeypatch.setattr(rebuild, "build_deferred", lambda conn: 0)  # the load stops right after its commit
    rows = [f"dfr{i},延后厂{i},Deferred {i},,,cement,,{116 + i / 1000:.4f},39.6,," for i in range(20)]
    good = _write(tmp_path, "deferred.csv", FAC_HEADER.replace(",registration_no", ""), rows)
    report = load_csv(conn, "facilities", good, dataset_id="bulk-deferred")
    assert report.committed and report.inserted == 20
    pending = {r[0] for r in conn.execute("SELECT name FROM deferred_indexes")}
    missing = set(before) - set(_index_defs(conn, "facilities"))
    checks = {"facilities_company_id_fkey", "facilities_dataset_id_fkey", "facilities_private_to_brand_fkey",
              "companies_dataset_id_fkey"}
    assert len(missing) == len(pending - checks) == 12 and checks <= pending  # recorded in the load's commit
    assert _unvalidated(conn) == checks  # enforced meanwhile, validated after
    conn.commit()
    monkeypatch.setattr(rebuild, "build_deferred", build)
    result = CliRunner().invoke(cli, ["db", "upgrade"], env={"DATABASE_URL": settings.dsn()})
    assert result.exit_code == 0, result.output
    assert "made 16 indexes and key checks a stopped bulk load had left to make" in result.output
    assert _unvalidated(conn) == set()
    assert _index_defs(conn, "facilities") == before  # the same definitions, made again
    assert conn.execute("SELECT count(*) FROM deferred_indexes").fetchone()[0] == 0
    assert build(conn) == 0  # nothing left
    conn.execute("DELETE FROM facilities WHERE dataset_id = 'bulk-deferred'")
    conn.commit()


def test_the_embedded_cluster_is_set_up_for_bulk_loads(cluster, conn):
    settings = dict(conn.execute("""SELECT name, setting FROM pg_settings WHERE name IN
                                    ('max_wal_size', 'checkpoint_timeout', 'wal_compression')""").fetchall())
    assert settings["max_wal_size"] == "8192" and settings["checkpoint_timeout"] == "900"  # MB, s
    assert settings["wal_compression"] in ("lz4", "pglz")
    # text compared byte by byte (the code-point order C.UTF-8 gives, faster); characters classed as UTF-8
    assert conn.execute("SELECT datcollate, datctype FROM pg_database WHERE datname = current_database()"
                        ).fetchone() == ("C", "C.UTF-8")
    conf = (cluster.datadir / "postgresql.conf").read_text()
    cluster._bulk_settings()  # a second start adds nothing
    assert (cluster.datadir / "postgresql.conf").read_text() == conf and conf.count("bluemap bulk loads") == 1


def test_a_statement_of_100000_records_keeps_the_summaries(conn):
    """The summary trigger's hashed branches give what an aggregate of the records gives: the one-pass branch
    (migration 0031: the changed records are half the table or more), then the one that reads the changed
    facilities' records (0026: fewer than half)."""
    conn.execute("SET LOCAL bluemap.alert_batch = on")  # (their alert events as one batch, as a bulk load's)
    for first, n in ((0, 220_000), (220_000, 100_000)):
        held = conn.execute("SELECT reltuples FROM pg_class WHERE oid = 'violations'::regclass").fetchone()[0]
        assert (n * 2 >= held) == (first == 0)  # the branch the trigger takes
        conn.execute("""INSERT INTO violations (dataset_id, ext_id, facility_id, violation_date, authority, category,
                                                source, status, synthetic)
                        SELECT 'synthetic-demo', 'sum100k-' || g, f.id, date '2020-01-01' + g %% 1000, 'EPB', 'air',
                               'test',
                               (ARRAY['open', 'explained', 'rectified', 'removed'])[1 + g %% 4]::violation_status, true
                        FROM generate_series(%s + 1, %s + %s) g
                        JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM facilities
                              ORDER BY id LIMIT 500) f ON f.k = g %% 500""", (first, first, n))
        off = conn.execute("""SELECT count(*) FROM facilities f LEFT JOIN LATERAL (
                                  SELECT count(*) FILTER (WHERE status <> 'removed') AS n,
                                         max(violation_date) FILTER (WHERE status <> 'removed') AS latest
                                  FROM violations v WHERE v.facility_id = f.id) s ON true
                              WHERE (f.violation_count, f.latest_violation) IS DISTINCT FROM (s.n::int, s.latest)
                              """).fetchone()[0]
        assert off == 0
        assert conn.execute("SHOW enable_nestloop").fetchone()[0] == "on"  # put back after the statement
        conn.execute("ANALYZE violations")
    conn.rollback()


def test_match_names_computed_in_columns_are_the_functions(conn, tmp_path, monkeypatch):
    """A large facilities file: the column checks stage the match names of the names ingest.match_names computes;
    names it leaves (other scripts) and rows the per-row checks staged get the function's; the trigger is on again."""
    monkeypatch.setattr(rebuild, "REBUILD_ROWS", 5)
    monkeypatch.setattr(rebuild, "EXISTING_RATIO", 1e9)
    monkeypatch.setattr(bulk, "BLOCK_SIZE", 400)
    staged: list = []
    real = bulk.stage
    monkeypatch.setattr(bulk, "stage", lambda *a, **k: staged.append(a[-1]) or real(*a, **k))
    rows = [f"mn{i},北京{i}号水泥有限公司,Beijing No. {i} Cement Co. Ltd.,,,cement,,{116 + i / 1000:.4f},39.7,,,"
            for i in range(30)]
    rows[17] = "mn17,天津钢铁集团,Tianjin Steel Group,,,cement,,116.02,39.7,,,110108000000016"  # per-row checks
    rows[18] = "mn18,乌鲁木齐纺织厂,Ürümqi Textiles CO.，LTD,,,cement,,116.03,39.7,,,"  # a name left to the function
    report = load_csv(conn, "facilities", _write(tmp_path, "names.csv", FAC_HEADER, rows), dataset_id="bulk-names")
    assert report.committed and report.inserted == 30 and staged and all(staged)  # match names staged
    got = conn.execute("""SELECT count(*), count(*) FILTER (WHERE match_zh IS NOT DISTINCT FROM list_match_name(name_zh)
                                                   AND match_en IS NOT DISTINCT FROM list_match_name(name_en)),
                                 count(*) FILTER (WHERE match_zh = '天津钢铁'),
                                 count(*) FILTER (WHERE match_en = 'ürümqi textiles co')
                          FROM facilities WHERE dataset_id = 'bulk-names'""").fetchone()
    assert got == (30, 30, 1, 1)
    assert conn.execute("SELECT tgenabled FROM pg_trigger WHERE tgname = 'facilities_match_names'").fetchone() == ("O",)
    conn.execute("DELETE FROM facilities WHERE dataset_id = 'bulk-names'")
    conn.commit()


def test_a_load_waits_less_for_an_autovacuum_in_its_way(conn):
    """PostgreSQL cancels an autovacuum blocking a lock request after the requester's deadlock_timeout: a load
    (as a superuser, as on the embedded cluster) sets it to a tenth of the default for its transaction only."""
    default = conn.execute("SHOW deadlock_timeout").fetchone()[0]
    rebuild.tune(conn)
    assert conn.execute("SHOW deadlock_timeout").fetchone()[0] == rebuild.LOCK_WAIT
    conn.rollback()
    assert conn.execute("SHOW deadlock_timeout").fetchone()[0] == default == "1s"


def test_a_trigger_turned_off_stays_off_after_a_large_load(conn, tmp_path, monkeypatch):
    """A bulk insert drops some triggers (a disabled one would still copy every row into its transition tables)
    and makes them again in its transaction, each as it was: one an administrator turned off stays off."""
    monkeypatch.setattr(rebuild, "REBUILD_ROWS", 5)
    monkeypatch.setattr(rebuild, "EXISTING_RATIO", 1e9)
    conn.execute("ALTER TABLE facilities DISABLE TRIGGER facilities_cells_insert")
    before = _triggers(conn)
    rows = [f"off{i},关厂{i},Off {i},,,cement,,{116 + i / 1000:.4f},39.8,," for i in range(20)]
    report = load_csv(conn, "facilities", _write(tmp_path, "off.csv", FAC_HEADER.replace(",registration_no", ""),
                                                 rows), dataset_id="bulk-off")
    assert report.committed and report.inserted == 20
    after = _triggers(conn)
    assert after == before and ("facilities", "facilities_cells_insert", "D") in after
    conn.execute("ALTER TABLE facilities ENABLE TRIGGER facilities_cells_insert")
    conn.execute("DELETE FROM facilities WHERE dataset_id = 'bulk-off'")
    conn.commit()
