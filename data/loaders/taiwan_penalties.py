"""Taiwan MOENV penalty decisions (EMS_P_46) as real violation records, Traditional Chinese kept as published."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import date

import psycopg

from data.catalog import DATASETS, folder
from data.loaders import LoadResult, taiwan_ghg
from db.staging import register_dataset, upsert
from ingest.merged import facility_ids

PEN = DATASETS["tw-moenv-penalties"]
GHG = DATASETS["tw-moenv-ghg"]
FILE = "ems_p_46.csv"
SOURCE = "環境部 列管事業污染源裁處資料 (EMS_P_46)"


def status(row: dict[str, str]) -> str:
    """Our lifecycle status: removed when annulled, rectified when improved or nothing to improve, else open."""
    if "廢止" in row["appeal_or_rescind"] or "撤銷" in row["petition_results"]:
        return "removed"
    if row["is_improve"] in ("已改善完成", "不須改善"):
        return "rectified"
    return "open"


def details(row: dict[str, str]) -> dict[str, object]:
    """The published fields our columns do not hold, under their own names (fine in NTD, never in CNY)."""
    return {"fine": float(row["penalty_money"] or 0), "currency": "TWD", "tax_id": row["ban"].strip() or None,
            "control_no": row["ems_no"].strip(), "document_no": row["document_no"],
            "penalty_date": row["penalty_date"], "improvement": row["is_improve"] or None,
            "improve_deadline": row["improve_deadline"] or None, "appeal": row["ispetition"] == "1",
            "appeal_outcome": row["petition_results"] or row["appeal_or_rescind"] or None,
            "payment": row["paymentstate"] or None, "penalty": row["subject"] or None,
            "basis": row["gist_define"] or None, "place": row["transgress_address"] or None,
            "violator": row["transgress_name"] or None, "major": row["isimportant"] == "是"}


def _county(row: dict[str, str]) -> str:
    """The facility's county: the start of its address, else of the violation's place, else the authority's."""
    points = taiwan_ghg.seats()
    for text in (row["fac_address"], row["transgress_address"], row["county_name"]):
        name = taiwan_ghg.county(text[:3])
        if name in points:
            return name
    return taiwan_ghg.county(row["county_name"][:3])


def _read(result: LoadResult) -> list[dict[str, str]]:
    with open(folder(PEN) / FILE, encoding="utf-8-sig", newline="") as fh:
        rows = []
        for line, row in enumerate(csv.DictReader(fh), 2):
            try:
                date.fromisoformat(row["transgress_date"])
                float(row["penalty_money"] or 0)
            except ValueError:
                result.skipped.append((FILE, line, "bad date or fine"))
                continue
            rows.append(row)
        return rows


def load(conn: psycopg.Connection) -> LoadResult:
    """1,000 records on their facilities (the GHG facility of the same control number, else one at county
    precision); idempotent (a decision number and its occurrence in the file)."""
    result = LoadResult(PEN.id)
    register_dataset(conn, PEN)
    rows = _read(result)
    shared = facility_ids(conn, GHG.id)  # merged-away facilities give their survivor
    own = {}
    for row in rows:
        no = row["ems_no"].strip()
        if no not in shared and no not in own:
            own[no] = {"name": row["fac_name"].strip(), "ban": row["ban"].strip(), "company": row["fac_name"].strip(),
                       "county": _county(row), "industry": "other", "address": row["fac_address"] or None,
                       "attrs": {"control_no": no, "pollution_type": row["transgress_type"]}}
    facilities = taiwan_ghg.facility_rows(conn, PEN.id, own, taiwan_ghg.coal_points())
    result.written["facilities"] = upsert(conn, "facilities", taiwan_ghg.COLUMNS, facilities,
                                          conflict=["dataset_id", "ext_id"], update=taiwan_ghg.COLUMNS[2:])
    ids = shared | facility_ids(conn, PEN.id)
    seen: Counter[str] = Counter()
    records: list[tuple] = []
    targets: dict[str, tuple[str, str, str]] = {}
    for row in rows:
        seen[row["document_no"]] += 1
        no = row["ems_no"].strip()
        if no not in ids:
            result.skipped.append((FILE, 0, f"no place for {no}"))
            continue
        records.append((PEN.id, f"{row['document_no']}#{seen[row['document_no']]}", ids[no], row["transgress_date"],
                        row["county_name"], row["transgress_type"], row["transgress_law"], row["openinfor"], SOURCE,
                        json.dumps(details(row), ensure_ascii=False)))
        targets[records[-1][1]] = (status(row), row["penalty_date"], row["is_improve"] or row["appeal_or_rescind"])
    cols = ["dataset_id", "ext_id", "facility_id", "violation_date", "authority", "category", "legal_basis",
            "description", "source", "details"]
    # New records start open; their published outcome is then one transition each (history written by trigger).
    result.written["violations"] = upsert(conn, "violations", cols, records, conflict=["dataset_id", "ext_id"],
                                          update=cols[2:])
    result.written["transitions"] = _transitions(conn, targets)
    return result


def _transitions(conn: psycopg.Connection, targets: dict[str, tuple[str, str, str]]) -> int:
    """Move records still open to their published status, dated by the decision, as the system."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for ext, (to, day, reason) in targets.items():
        if to != "open":
            groups.setdefault((to, day, reason), []).append(ext)
    moved = 0
    for (to, day, reason), exts in sorted(groups.items()):
        conn.execute("SELECT set_config('bluemap.changed_at', %s, true), set_config('bluemap.actor_role', "
                     "'system', true), set_config('bluemap.reason', %s, true)",
                     (f"{day}T12:00:00+08:00", f"環境部公開資料：{reason}"))
        moved += conn.execute("UPDATE violations SET status = %s WHERE dataset_id = %s AND ext_id = ANY(%s) "
                              "AND status = 'open'", (to, PEN.id, exts)).rowcount
    for name in ("changed_at", "actor_role", "reason"):
        conn.execute("SELECT set_config(%s, '', true)", (f"bluemap.{name}",))
    return moved
