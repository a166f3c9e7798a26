"""Synthetic record lifecycles for the demo, walked through the workflow's own functions with plausible dates.

A record meant to end explained gets an explanation submitted 2-8 weeks after the record and accepted a few days
later; one meant to end rectified is then audited by a synthetic auditing organisation 1-3 months later and the
audit confirmed; one meant to end removed is removed 2-6 weeks after that. Every row is flagged synthetic, and
every transition is one history row dated on its own day (not on the day of loading).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from random import Random

import psycopg

from workflow import audits, bulk, records

BEIJING = timezone(timedelta(hours=8))
ORG = ("合成示例第三方审核机构（非真实） Synthetic demo auditor (not real)", "SYN-GCA-0001")
REACHES = {"explained": 1, "rectified": 2, "removed": 3}
TEXTS = [
    ("在线监测设备故障期间排放超标（合成示例）。",
     "Emissions exceeded limits while the monitor was faulty (synthetic example).",
     "已更换监测设备并加强巡检（合成示例）。", "Monitor replaced and inspections stepped up (synthetic example)."),
    ("治理设施检修期间未停产（合成示例）。",
     "Production continued while the treatment unit was serviced (synthetic example).",
     "已修订检修停产制度并完成整改（合成示例）。",
     "Maintenance shutdown rules revised; rectified (synthetic example)."),
    ("危险废物台账记录不全（合成示例）。", "Hazardous-waste ledger incomplete (synthetic example).",
     "已补齐台账并培训相关人员（合成示例）。", "Ledger completed and staff trained (synthetic example)."),
]


def _org(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT id FROM audit_orgs WHERE accreditation_no = %s", (ORG[1],)).fetchone()
    if row:
        return int(row[0])
    row = conn.execute("""INSERT INTO audit_orgs (name, accreditation_no, valid_from, valid_to, synthetic)
                          VALUES (%s, %s, '2010-01-01', '2099-12-31', true) RETURNING id""", ORG).fetchone()
    assert row is not None
    return int(row[0])


def _at(day: date, rng: Random) -> datetime:
    """A working-hours moment of a day in Beijing time, never later than today."""
    day = min(day, date.today() - timedelta(days=1))  # a record of recent days: its steps are still plausible
    return datetime.combine(day, time(rng.randint(9, 17), rng.randint(0, 59)), BEIJING)


def walk(conn: psycopg.Connection, targets: dict[int, tuple[str, date]], seed: str, dataset_id: str) -> dict:
    """Walk each record (id -> (final status, record date)) to its status; counts of what was written."""
    expl, audited, moves = [], [], {"explained": [], "rectified": [], "removed": []}
    for vid, (status, day) in sorted(targets.items()):
        steps = REACHES.get(status, 0)
        if not steps:
            continue
        rng = Random(f"{seed}:lifecycle:{vid}")
        cause_zh, cause_en, measures_zh, measures_en = rng.choice(TEXTS)
        submitted = day + timedelta(days=rng.randint(14, 56))
        accepted = submitted + timedelta(days=rng.randint(2, 10))
        expl.append({"vid": vid, "submitted": _at(submitted, rng), "accepted": _at(accepted, rng),
                     "cause_zh": cause_zh, "cause_en": cause_en, "measures_zh": measures_zh,
                     "measures_en": measures_en, "completion": min(submitted, date.today())})
        moves["explained"].append((vid, expl[-1]["accepted"]))
        if steps < 2:
            continue
        audit_day = min(accepted + timedelta(days=rng.randint(30, 90)), date.today() - timedelta(days=1))
        confirmed = _at(audit_day + timedelta(days=rng.randint(5, 15)), rng)
        audited.append((vid, rng.choice(audits.TYPES), audit_day, _at(audit_day, rng), confirmed))
        moves["rectified"].append((vid, confirmed))
        if steps >= 3:
            moves["removed"].append((vid, _at(confirmed.date() + timedelta(days=rng.randint(14, 42)), rng)))
    # a record is published on its own date, not on the day the demo was loaded
    conn.execute("""UPDATE violation_status_history h
                    SET changed_at = (v.violation_date + time '09:00') AT TIME ZONE 'Asia/Shanghai'
                    FROM violations v WHERE v.id = h.violation_id AND h.from_status IS NULL AND v.id = ANY(%s)""",
                 (list(targets),))
    if not expl:
        return {"explanations": 0, "audits": 0, "removed": 0}
    # thousands of status changes: the cluster cells are rebuilt once, at the loader's data bump
    conn.execute("UPDATE facility_cells_state SET dirty = true WHERE NOT dirty")
    bulk.accepted_explanations(conn, expl, dataset_id, synthetic=True)
    records.move_many(conn, moves["explained"], "explained", "system", "explanation accepted (synthetic demo)", True)
    bulk.passed_audits(conn, _org(conn), audited, "合成示例审核（非真实） Synthetic example audit (not real)",
                       "整改措施已落实（合成示例） Measures in place (synthetic example)", synthetic=True)
    records.move_many(conn, moves["rectified"], "rectified", "system", "passed audit confirmed (synthetic demo)", True)
    records.move_many(conn, moves["removed"], "removed", "system",
                      "整改完成并经审核确认（合成示例） rectified and audited (synthetic example)", True)
    return {"explanations": len(expl), "audits": len(audited), "removed": len(moves["removed"])}
