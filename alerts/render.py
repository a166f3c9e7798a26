"""What an alert says: the event with its facility (names, USCC, address, page link), the record, and the
brand's context for brand subscriptions, as one dict per delivery and as bilingual title and text lines."""

from __future__ import annotations

from typing import Any

import psycopg

from alerts.events import AQI_WORDS, LABELS, STATUS_WORDS

DETAILS = """
SELECT d.id, d.event_id, d.subscription_id, d.channel, d.attempts, e.kind, e.created_at, e.payload,
       e.facility_id, f.name_zh, f.name_en, c.uscc, f.address, f.area_code, f.industry, f.synthetic,
       e.violation_id, e.station_id, s.target, s.label, s.user_id, s.email, s.webhook_url, s.webhook_secret,
       b.slug, b.name_zh, b.name_en, l.tier::text, l.is_public, sb.slug, sb.name_en, sb.name_zh, e.brand_id
FROM alert_deliveries d
JOIN alert_events e ON e.id = d.event_id
JOIN alert_subscriptions s ON s.id = d.subscription_id
LEFT JOIN facilities f ON f.id = e.facility_id
LEFT JOIN companies c ON c.id = f.company_id
LEFT JOIN brands b ON b.id = s.brand_id AND s.target = 'brand'
LEFT JOIN LATERAL (SELECT tier, is_public FROM brand_facility_links
                   WHERE brand_id = s.brand_id AND facility_id = e.facility_id AND active
                   ORDER BY is_public DESC LIMIT 1) l ON s.target = 'brand'
LEFT JOIN brands sb ON sb.id = e.brand_id
WHERE d.id = ANY(%s)
ORDER BY d.id"""
KEYS = ("delivery_id", "event_id", "subscription_id", "channel", "attempts", "kind", "created_at", "payload",
        "facility_id", "name_zh", "name_en", "uscc", "address", "area_code", "industry", "synthetic",
        "violation_id", "station_id", "target", "label", "user_id", "email", "webhook_url", "webhook_secret",
        "brand_slug", "brand_zh", "brand_en", "tier", "link_public", "event_brand_slug", "event_brand_en",
        "event_brand_zh", "event_brand_id")


def details(conn: psycopg.Connection, delivery_ids: list[int], base_url: str) -> list[dict[str, Any]]:
    """One dict per delivery with everything a message needs (titles and lines in both languages)."""
    out = []
    for r in conn.execute(DETAILS, (delivery_ids,)):
        d = dict(zip(KEYS, r, strict=True))
        d["uscc"] = d["uscc"].strip() if d["uscc"] else None
        d["url"] = f"{base_url.rstrip('/')}/facilities/{d['facility_id']}" if d["facility_id"] else None
        if d["kind"] == "report_published" and d["payload"].get("url"):
            d["url"] = base_url.rstrip("/") + str(d["payload"]["url"])
        d["title_zh"], d["title_en"] = title(d, "zh"), title(d, "en")
        d["lines_zh"], d["lines_en"] = lines(d, "zh"), lines(d, "en")
        out.append(d)
    return out


def _pick(pair: tuple[str, str] | None, lang: str, default: str = "") -> str:
    if pair is None:
        return default
    return pair[0] if lang == "zh" else pair[1]


def _facility(d: dict, lang: str) -> str:
    names = (d["name_zh"] or d["name_en"], d["name_en"] or d["name_zh"])
    return _pick((names[0] or "", names[1] or ""), lang) or f"#{d['facility_id']}"


def title(d: dict, lang: str) -> str:
    """One line naming the event and what it is about."""
    kind = _pick(LABELS.get(d["kind"]), lang, d["kind"])
    p = d["payload"]
    if d["kind"] == "aqi_threshold":
        station = p.get("station_zh") if lang == "zh" else p.get("station_en")
        return f"{kind}: {station or p.get('station_code', '')}"
    if d["kind"] == "list_accepted":
        return f"{kind}: {(d['event_brand_zh'] if lang == 'zh' else None) or d['event_brand_en'] or ''}"
    if d["kind"] == "report_published":
        return f"{kind}: {p.get('title_zh') if lang == 'zh' else p.get('title_en') or p.get('title_zh') or ''}"
    if d["kind"] == "notice":
        return f"{kind}: {p.get('zh') if lang == 'zh' else p.get('en')}"
    return f"{kind}: {_facility(d, lang)}" if d["facility_id"] else kind


def lines(d: dict, lang: str) -> list[str]:
    """The message body as short lines (facility, record, brand context)."""
    zh = lang == "zh"
    p, out = d["payload"], []
    if d["facility_id"]:
        out.append(("企业：" if zh else "Facility: ") + _facility(d, lang))
        if d["uscc"]:
            out.append(("统一社会信用代码：" if zh else "USCC: ") + d["uscc"])
        if d["address"]:
            out.append(("地址：" if zh else "Address: ") + d["address"])
    if d["kind"] in ("new_record", "monitoring_episode", "status_change"):
        out.append(("记录：" if zh else "Record: ") + " · ".join(
            str(x) for x in (p.get("date"), p.get("authority"), p.get("category")) if x))
    if d["kind"] == "status_change":
        out.append(("状态：" if zh else "Status: ") + _pick(STATUS_WORDS.get(p.get("from")), lang, "?") + " → "
                   + _pick(STATUS_WORDS.get(p.get("to")), lang, "?"))
    if d["kind"] == "prtr_form":
        out.append(f"{p.get('year')} " + (("更正" if zh else "corrected") if p.get("corrected")
                                          else ("新表" if zh else "new form")))
    if d["kind"] == "aqi_threshold":
        out.append(("空气质量：" if zh else "Air quality: ") + _pick(AQI_WORDS.get(p.get("previous")), lang, "?")
                   + " → " + _pick(AQI_WORDS.get(p.get("category")), lang, "?") + f" (AQI {p.get('aqi')})")
    if d["kind"] == "list_accepted":
        out.append(("供应商：" if zh else "Suppliers: ") + f"{p.get('suppliers', '?')} (+{p.get('added', 0)} "
                   f"-{p.get('removed', 0)})")
    if d["target"] == "brand" and d["brand_slug"] and d["facility_id"]:
        brand = (d["brand_zh"] if zh else None) or d["brand_en"]
        vis = ("公开" if zh else "public") if d["link_public"] else ("非公开" if zh else "private")
        out.append(("品牌供应商：" if zh else "Supplier of ") + f"{brand} ({d['tier'] or '?'}, {vis})")
    if d["synthetic"] or p.get("synthetic"):
        out.append("合成演示数据，非真实记录" if zh else "Synthetic demo data, not a real record")
    if d["url"]:
        out.append(d["url"])
    return out


def webhook_body(d: dict) -> dict[str, Any]:
    """The JSON a webhook receives; `event_id` is stable across retries (receivers de-duplicate on it)."""
    return {"event_id": f"evt-{d['event_id']}", "delivery_id": d["delivery_id"], "kind": d["kind"],
            "occurred_at": d["created_at"].isoformat(), "subscription_id": d["subscription_id"],
            "facility": None if not d["facility_id"] else {
                "id": d["facility_id"], "name_zh": d["name_zh"], "name_en": d["name_en"], "uscc": d["uscc"],
                "address": d["address"], "area_code": d["area_code"], "industry": d["industry"], "url": d["url"]},
            "violation_id": d["violation_id"], "station_id": d["station_id"], "data": d["payload"],
            "brand": {"slug": d["brand_slug"], "tier": d["tier"], "public": d["link_public"]}
            if d["brand_slug"] and d["facility_id"] else None,
            "synthetic": bool(d["synthetic"] or d["payload"].get("synthetic")),
            "title": {"zh": d["title_zh"], "en": d["title_en"]}}
