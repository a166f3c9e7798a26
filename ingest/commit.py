"""A staged file committed: its companies, facilities or records written in set-based statements, and for a bulk
load (a large file into mostly-new tables, see `ingest.rebuild`) without the per-row upkeep that a bulk load
does once itself: unique keys, triggers with transition tables, foreign key checks."""

from __future__ import annotations

import psycopg

from core.datasets import Dataset
from ingest.facilities import assign_area_codes
from ingest.merged import skip_merged_facilities
from ingest.records import resolve_facilities
from ingest.report import FileReport

# Keys a bulk load's rows meet by construction: dropping them locked the tables they refer to (ACCESS EXCLUSIVE,
# until the commit), so the companies and facilities the load found or made stay; the data set it registers
# (a row it holds locked); no private owner (a file sets none); history rows it writes itself for the records
# it inserts. See rebuild.rebuilt_indexes: enforced from the insert's end, validated after the commit.
MADE_HERE = ("facilities_company_id_fkey", "facilities_dataset_id_fkey", "facilities_private_to_brand_fkey",
             "companies_dataset_id_fkey", "violations_dataset_id_fkey", "violations_facility_id_fkey",
             "violation_status_history_violation_id_fkey")
# The tables whose unique keys a bulk load drops, when mostly new, and makes again by one sorted build (see
# rebuild.rebuilt_indexes); the load then inserts no duplicate itself (_new_keys, _commit_companies).
UNIQUE = {"facilities": ("facilities", "companies"), "violations": ("violations",)}
# The triggers a bulk insert goes without, by kind of file (see _drop_triggers).
BULK_TRIGGERS = {"facilities": (("facilities", "facilities_cells_insert"), ("facilities", "facilities_cells_update"),
                                ("facilities", "facilities_match_names")),
                 "violations": (("facilities", "facilities_cells_update"),
                                ("violation_status_history", "alert_status_changed"),
                                ("violations", "violations_history_insert"),
                                ("violations", "violations_summary_insert"),
                                ("violations", "alert_violations_inserted"))}
ALTERED = {"D": "DISABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS"}  # pg_trigger.tgenabled

COMPANY = "file_stage s LEFT JOIN companies c ON c.uscc = s.uscc"  # a stage row with its company (hash join)


def _commit_companies(conn: psycopg.Connection, ds: Dataset, synthetic: bool, distinct: bool = False) -> None:
    """Companies by USCC; legacy ids attach to them, or identify companies that have no USCC on file (`distinct`:
    the staged USCCs are known to differ)."""
    conn.execute("ALTER TABLE file_stage ADD COLUMN company_id bigint")  # set here for rows without a USCC only
    keyed = conn.execute("SELECT EXISTS (SELECT FROM pg_constraint WHERE conname = 'companies_uscc_key')").fetchone()
    if keyed == (True,):
        conn.execute("""INSERT INTO companies (uscc, name_zh, name_en, dataset_id, synthetic)
                        SELECT DISTINCT ON (uscc) uscc, name_zh, name_en, %s, %s FROM file_stage
                        WHERE uscc IS NOT NULL ON CONFLICT (uscc) DO NOTHING""", (ds.id, synthetic))
    else:  # a bulk load dropped the key (companies locked until the commit): new USCCs, each once, by joins
        on_file = conn.execute("SELECT EXISTS (SELECT FROM companies WHERE uscc IS NOT NULL)").fetchone() == (True,)
        conn.execute(f"""INSERT INTO companies (uscc, name_zh, name_en, dataset_id, synthetic)
                         SELECT {"" if distinct else "DISTINCT ON (uscc)"} uscc, name_zh, name_en, %s, %s
                         FROM file_stage s WHERE uscc IS NOT NULL {"AND NOT EXISTS (SELECT 1 FROM companies c "
                         "WHERE c.uscc = s.uscc)" if on_file else ""}""", (ds.id, synthetic))
    # Rows with a USCC now all have a company: joined where used (COMPANY), not written back into the stage.
    legacy = conn.execute("""SELECT line, name_zh, name_en, registration_no, organisation_code FROM file_stage
                             WHERE uscc IS NULL AND (registration_no IS NOT NULL
                                                     OR organisation_code IS NOT NULL)""").fetchall()
    for line, zh, en, reg, org in legacy:  # rare: old records without a USCC
        found = conn.execute("""SELECT company_id FROM company_alt_ids WHERE (kind, value) IN
                                (('registration_no', %s), ('organisation_code', %s)) LIMIT 1""", (reg, org)).fetchone()
        cid = found[0] if found else conn.execute(
            "INSERT INTO companies (name_zh, name_en, dataset_id, synthetic) VALUES (%s, %s, %s, %s) RETURNING id",
            (zh, en, ds.id, synthetic)).fetchone()[0]
        conn.execute("UPDATE file_stage SET company_id = %s WHERE line = %s", (cid, line))
    for kind in ("registration_no", "organisation_code"):
        conn.execute(f"""INSERT INTO company_alt_ids (company_id, kind, value)
                         SELECT * FROM (SELECT DISTINCT ON (s.{kind}) coalesce(s.company_id, c.id) AS company_id,
                                               '{kind}', s.{kind} FROM {COMPANY} WHERE s.{kind} IS NOT NULL) AS a
                         WHERE company_id IS NOT NULL ON CONFLICT DO NOTHING""")


def commit_facilities(conn: psycopg.Connection, ds: Dataset, synthetic: bool, report: FileReport,
                       keyless: bool = False, distinct: frozenset[str] = frozenset()) -> int:
    """Companies, then the staged facilities new to the data set (`keyless`: its unique key is dropped for the
    load, so the rows already on file are left out by a join rather than by the key's conflicts, and the match
    names are those staged, or the function's where none was, instead of the trigger's; `distinct`: the stage
    columns whose values are known to differ, ext_id and uscc)."""
    skip_merged_facilities(conn, ds.id, report)  # merged away by a reviewer: not brought back
    _commit_companies(conn, ds, synthetic, "uscc" in distinct)
    one_each, new_only = _new_keys(conn, "facilities", ds.id, keyless, "ext_id" in distinct)
    match_cols, match_vals, triggers = "", "", []
    if keyless:
        match_cols = ", match_zh, match_en"
        match_vals = """, coalesce(d.match_zh, list_match_name(d.name_zh)),
                          coalesce(d.match_en, list_match_name(d.name_en))"""
        triggers = _drop_triggers(conn, "facilities")[0]
    cur = conn.execute(f"""
        INSERT INTO facilities (dataset_id, ext_id, company_id, name_zh, name_en, industry, address, source_crs,
                                key_monitored, area_code, synthetic, geom, location_precision{match_cols})
        SELECT d.ds, d.ext_id, d.company_id, d.name_zh, d.name_en, d.industry, d.address, d.source_crs,
               d.key_monitored, d.area_code, d.syn, d.geom, d.prec{match_vals}
        FROM (
            SELECT {one_each} %(ds)s AS ds, s.ext_id, coalesce(s.company_id, c.id) AS company_id,
                   s.name_zh, s.name_en, s.industry, s.address, s.source_crs, s.key_monitored, s.area_code,
                   %(syn)s AS syn, s.geom, coalesce(s.location_precision, 'exact') AS prec, s.match_zh, s.match_en
            FROM {COMPANY} {"WHERE " + new_only if new_only else ""}) AS d
        -- Stored in space-filling-curve order: a map tile's facilities then sit on few table pages.
        ORDER BY ST_GeoHash(d.geom, 10)
        {"" if keyless else "ON CONFLICT (dataset_id, ext_id) DO NOTHING"}""", {"ds": ds.id, "syn": synthetic})
    assign_area_codes(conn, ds.id)
    for ddl in triggers:
        conn.execute(ddl)
    return cur.rowcount


def _new_keys(conn: psycopg.Connection, table: str, ds: str, keyless: bool, distinct: bool) -> tuple[str, str]:
    """How an insert of the staged rows (s) keeps one row per ext_id, new to the data set: (a DISTINCT ON or nothing,
    an anti-join condition or nothing). With its unique key dropped (`keyless`), rows of the data set on file are
    left out by the anti-join, merged with the rows DISTINCT ON sorted (without that sort the planner may read the
    table being filled again for each row); with none on file and the staged keys `distinct`, neither is needed."""
    on_file = keyless and conn.execute(f"SELECT EXISTS (SELECT FROM {table} WHERE dataset_id = %s)",
                                       (ds,)).fetchone() == (True,)
    one_each = "" if distinct and not on_file else "DISTINCT ON (s.ext_id)"
    return one_each, (f"NOT EXISTS (SELECT 1 FROM {table} t WHERE t.dataset_id = %(ds)s AND t.ext_id = s.ext_id)"
                      if on_file else "")


def commit_violations(conn: psycopg.Connection, ds: Dataset, synthetic: bool, report: FileReport,
                       keyless: bool = False, distinct: frozenset[str] = frozenset()) -> int:
    """Each row's facility resolved, then the records new to the data set inserted (`keyless`: a bulk load, as for
    facilities; its alert events queued as one batch, its facilities' cells rebuilt after the commit; `distinct`:
    the stage columns whose values are known to differ: with ext_id, none is left out by a sort)."""
    resolve_facilities(conn, ds.id, report)
    one_each, new_only = _new_keys(conn, "violations", ds.id, keyless, "ext_id" in distinct)
    insert = f"""
        INSERT INTO violations (dataset_id, ext_id, facility_id, violation_date, authority, category, legal_basis,
                                penalty_cny, description, source, status, synthetic)
        SELECT {one_each} %(ds)s, ext_id, facility_id, violation_date, authority,
               category, legal_basis, penalty_cny, description, source, status, %(syn)s
        FROM file_stage s {"WHERE " + new_only if new_only else ""}"""
    if not keyless:
        return conn.execute(insert + " ON CONFLICT (dataset_id, ext_id) DO NOTHING",
                            {"ds": ds.id, "syn": synthetic}).rowcount
    # A bulk insert without the records' insert triggers (their transition table would copy every record): their
    # work done here instead, that of each trigger that was on: the history from the insert's RETURNING, the
    # alert events queued as one batch for the worker, every summary from one pass (migration 0032).
    triggers, firing = _drop_triggers(conn, "violations")
    on = [name in firing for name in ("violations_history_insert", "alert_violations_inserted")]
    row = conn.execute(f"""
        WITH ins AS ({insert} RETURNING id, status, created_at),
        history AS (
            INSERT INTO violation_status_history (violation_id, from_status, to_status, changed_at)
            SELECT id, NULL, status, created_at FROM ins WHERE %(history)s)
        SELECT n, CASE WHEN n > 0 AND %(alerts)s THEN queue_alert_batch(ids) END
        FROM (SELECT count(*) AS n, CASE WHEN max(id) - min(id) + 1 = count(*)
                                         THEN int8multirange(int8range(min(id), max(id), '[]'))
                                         ELSE (SELECT range_agg(int8range(id, id, '[]')) FROM ins) END AS ids
              FROM ins) AS x""", {"ds": ds.id, "syn": synthetic, "history": on[0], "alerts": on[1]}).fetchone()
    inserted = row[0] if row else 0
    if inserted and "violations_summary_insert" in firing:
        conn.execute("SELECT refresh_all_facility_summaries()")
    for ddl in triggers:
        conn.execute(ddl)
    return inserted


def _drop_triggers(conn: psycopg.Connection, kind: str) -> tuple[list[str], set[str]]:
    """Before a bulk insert (the tables are locked for the load): the cell triggers of facilities dropped, the cells
    marked for the rebuild after the commit instead; for facilities, the match names' too (the insert writes them);
    for records, the status-change alerts (a new record's first status is none) and the records' insert triggers
    (the load does their work). Dropped, not disabled: a disabled trigger's transition tables are still filled
    (every facility a summary update rewrote, copied twice). The statements that make them again, as they were
    (run in the load's transaction: a failed load keeps them), and the names of those that were on."""
    conn.execute("UPDATE facility_cells_state SET dirty = true WHERE NOT dirty")
    again, firing = [], set()
    for table, trigger in BULK_TRIGGERS[kind]:
        ddl, enabled = conn.execute("SELECT pg_get_triggerdef(oid), tgenabled FROM pg_trigger WHERE tgrelid = "
                                    "%s::regclass AND tgname = %s", (table, trigger)).fetchone() or (None, None)
        if ddl is None:
            continue
        conn.execute(f"DROP TRIGGER {trigger} ON {table}")
        again.append(ddl)
        if enabled in ("O", "A"):
            firing.add(trigger)
        if enabled != "O":  # (a trigger someone turned off stays off, or as it was set)
            again.append(f"ALTER TABLE {table} {ALTERED[enabled]} TRIGGER {trigger}")
    return again, firing
