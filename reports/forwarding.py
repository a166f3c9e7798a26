"""Forwarding a report to the responsible bureau: a prepared message (with the 12369 hotline), its date, and
the bureau's answer when it comes."""

from __future__ import annotations

from datetime import date

import psycopg

from core.errors import Invalid, NotFound
from db.staging import bump_data_version
from reports import moderation
from reports.kinds import KINDS, LICENCES
from standards.aqi import CHINA

HOTLINE = "12369"
MAX_ANSWER = 4000


def responsible(bureaus: dict | None) -> dict:
    """The bureau to write to, from the near-me answer's `bureau`: the county's or prefecture's when known (the
    first of `local`), else the provincial one; with the 12369 hotline. Invalid outside the mainland system."""
    if not bureaus or not bureaus.get("bureau_zh"):
        raise Invalid("no mainland bureau is responsible for this place (outside the 12369 system)")
    first = (bureaus.get("local") or [None])[0] or bureaus
    return {"bureau_zh": first["bureau_zh"], "bureau_en": first["bureau_en"],
            "hotline": bureaus.get("hotline") or HOTLINE}


def message(report: dict, bureaus: dict | None, base_url: str) -> str:
    """The bilingual message to the bureau: what, when, where (exact), photos, the reporter's licence."""
    bureau = responsible(bureaus)
    hotline = bureau["hotline"]
    when = report["observed_at"].astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    kind_zh, kind_en = KINDS[report["kind"]]
    where = f"{report['lat']:.5f}, {report['lon']:.5f} (WGS84)"
    photos = "\n".join(f"  {base_url.rstrip('/')}{p['url']}" for p in report["photos"]) or "  —"
    facility = (report.get("facility_name_zh") or report.get("facility_name_en") or "")
    text = report["description"] or "—"
    licence = LICENCES[report["licence"]][1]
    return (
        f"{bureau['bureau_zh']}（环保举报热线 {hotline}）：\n"
        f"蔚蓝地图（开放版）收到公众举报，编号 R{report['id']}，现转交贵单位核查。\n"
        f"类型：{kind_zh}\n时间：{when}（北京时间）\n地点：{where}\n"
        + (f"涉及企业：{facility}\n" if facility else "")
        + f"描述：{text}\n照片：\n{photos}\n"
        f"请将处理结果告知我们，我们将公开记录。\n\n"
        f"To the {bureau['bureau_en']} (environmental complaints hotline {hotline}):\n"
        f"Blue Map (open) received citizen report R{report['id']} and forwards it for inspection.\n"
        f"What: {kind_en}\nWhen: {when} (Beijing time)\nWhere: {where}\n"
        + (f"Facility: {report.get('facility_name_en') or facility}\n" if facility else "")
        + f"Description: {text}\nPhotos ({licence}):\n{photos}\n"
        "Please tell us what was found; the answer will be published with the report.\n")


def forward(conn: psycopg.Connection, report_id: int, moderator_id: int, bureaus: dict | None, base_url: str,
            on: date) -> dict:
    """Record that the report was forwarded (the message as prepared, the date); returns the forward."""
    report = moderation.get(conn, report_id)
    if report["status"] in ("rejected", "merged"):
        raise Invalid(f"report {report_id} is {report['status']}: forward the report it stands for instead")
    text = message(report, bureaus, base_url)
    bureau = responsible(bureaus)
    row = conn.execute("""
        INSERT INTO report_forwards (report_id, bureau_zh, bureau_en, hotline, message, forwarded_on, forwarded_by)
        VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id""",
                       (report_id, bureau["bureau_zh"], bureau["bureau_en"], bureau["hotline"],
                        text, on, moderator_id)).fetchone()
    assert row is not None
    if report["status"] == "published":
        bump_data_version(conn)
    return {"id": int(row[0]), "report_id": report_id, "bureau_zh": bureau["bureau_zh"],
            "bureau_en": bureau["bureau_en"], "hotline": bureau["hotline"], "message": text,
            "forwarded_on": on.isoformat()}


def answer(conn: psycopg.Connection, report_id: int, forward_id: int, moderator_id: int, text: str,
           on: date) -> None:
    """Record the bureau's answer to a forward of this report (replacing an earlier recorded one)."""
    text = (text or "").strip()
    if not text or len(text) > MAX_ANSWER:
        raise Invalid(f"answer: the bureau's answer, 1 to {MAX_ANSWER} characters")
    row = conn.execute("""
        UPDATE report_forwards SET answer = %s, answered_on = %s, answer_recorded_by = %s
        WHERE id = %s AND report_id = %s AND forwarded_on <= %s
        RETURNING (SELECT status FROM reports WHERE id = %s)""",
                       (text, on, moderator_id, forward_id, report_id, on, report_id)).fetchone()
    if row is None:
        exists = conn.execute("SELECT forwarded_on FROM report_forwards WHERE id = %s AND report_id = %s",
                              (forward_id, report_id)).fetchone()
        if exists is None:
            raise NotFound(f"report {report_id} has no forward {forward_id}")
        raise Invalid(f"answered_on must not be before the report was forwarded ({exists[0]})")
    if row[0] == "published":
        bump_data_version(conn)
