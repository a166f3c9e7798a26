"""Hourly automatic surface-water station readings: the national layout, GB 3838 classes, idempotent storage."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from core.datasets import Dataset
from core.errors import Invalid
from db.staging import register_dataset, upsert
from monitoring.partitions import ensure_month_partitions
from standards import water
from standards.aqi import CHINA

# Column of the national automatic station layout (and English aliases) -> our field.
COLUMNS = {
    "省份": "province", "province": "province", "流域": "basin", "basin": "basin",
    "断面名称": "section", "section": "section", "监测时间": "time", "time": "time",
    "水温": "temp_c", "water_temp": "temp_c", "ph": "ph", "溶解氧": "do_mg", "do": "do_mg",
    "高锰酸盐指数": "codmn", "codmn": "codmn", "氨氮": "nh3n", "nh3n": "nh3n", "总磷": "tp", "tp": "tp",
    "总氮": "tn", "tn": "tn", "电导率": "conductivity", "conductivity": "conductivity",
    "浊度": "turbidity", "turbidity": "turbidity",
}
VALUES = ("temp_c", "ph", "do_mg", "codmn", "nh3n", "tp", "tn", "conductivity", "turbidity")
MISSING = {"", "--", "-", "*", "na", "n/a", "null", "/"}
# Our field -> the standards module's item name.
ITEMS = {"ph": "ph", "do_mg": "do", "codmn": "codmn", "nh3n": "nh3n", "tp": "tp", "tn": "tn"}
REQUIRED = {"section", "time"}


@dataclass(frozen=True)
class WaterReading:
    """One hourly reading of a section, with its class and the parameter that set it."""

    station_id: int
    observed_at: datetime
    values: dict[str, float | None]
    water_class: str | None
    class_parameter: str | None


def field(header: str) -> str | None:
    """Our field for a header such as 溶解氧(mg/L) or pH(无量纲); None for columns we do not keep."""
    key = header.strip().lstrip("\ufeff").split("(")[0].split("（")[0].strip()
    return COLUMNS.get(key) or COLUMNS.get(key.lower())


def number(name: str, raw: str) -> float | None:
    """A measured value; missing markers give None, `<x` (below detection) gives half of x."""
    value = raw.strip()
    if value.lower() in MISSING:
        return None
    try:
        return float(value[1:]) / 2 if value.startswith("<") else float(value)
    except ValueError:
        raise Invalid(f"{name}: {value!r} is not a number") from None


def instant(raw: str) -> datetime:
    """A local (Asia/Shanghai) time such as 2026-11-29 08:00 or 11-29 08:00 with the year given; aware."""
    value = raw.strip().replace("/", "-")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"):
        try:
            t = datetime.strptime(value, fmt)
        except ValueError:
            continue
        t = t if t.tzinfo else t.replace(tzinfo=CHINA)
        if t.minute or t.second:
            raise Invalid(f"time {raw!r} is not on the hour")
        return t
    raise Invalid(f"time {raw!r} is not a date and hour such as 2026-11-29 08:00")


def classify(values: dict[str, float | None], water_body: str | None) -> tuple[str | None, str | None]:
    """GB 3838-2002 class (single factor, worst item) and the item(s) that set it, by the standards module."""
    sample = {item: values.get(f) for f, item in ITEMS.items()}
    result = water.classify(sample, water_body or "river")
    back = {item: f for f, item in ITEMS.items()}
    return result.cls, ",".join(back[i] for i in result.determining) or None


def stations_by_name(conn: psycopg.Connection) -> dict[str, tuple[int, str | None]]:
    """Water stations by Chinese name (the layout names sections, it has no codes), with their water body."""
    out: dict[str, tuple[int, str | None]] = {}
    for sid, code, zh, body in conn.execute(
            "SELECT id, code, name_zh, water_body_type FROM stations WHERE kind = 'water'").fetchall():
        out[code] = (sid, body)
        if zh:
            out[zh] = (sid, body)
    return out


def parse(rows: Iterable[dict[str, str]], stations: dict[str, tuple[int, str | None]],
          errors: list[tuple[int, str]]) -> list[WaterReading]:
    """Readings from the layout's rows; every bad row is reported (line, reason), none is half-read."""
    out = []
    for line, raw in enumerate(rows, 2):
        row = {f: v for k, v in raw.items() if k and (f := field(k))}
        try:
            if REQUIRED - row.keys():
                raise Invalid(f"missing {', '.join(sorted(REQUIRED - row.keys()))}")
            station = stations.get(row["section"].strip())
            if not station:
                raise Invalid(f"unknown section {row['section'].strip()!r}")
            values = {f: number(f, row[f]) if f in row else None for f in VALUES}
            cls, param = classify(values, station[1])
            out.append(WaterReading(station[0], instant(row["time"]), values, cls, param))
        except Invalid as exc:
            errors.append((line, str(exc)))
    return out


def store(conn: psycopg.Connection, readings: list[WaterReading], ds: Dataset, synthetic: bool = False) -> int:
    """Upsert readings (idempotent per station and hour), creating their monthly partitions first."""
    if not readings:
        return 0
    register_dataset(conn, ds)
    times = [r.observed_at.astimezone(UTC) for r in readings]  # partitions are UTC months
    ensure_month_partitions(conn, "water_readings", min(times), max(times))
    cols = ["station_id", "observed_at", *VALUES, "water_class", "class_parameter", "dataset_id", "synthetic"]
    rows = [(r.station_id, r.observed_at, *(r.values[v] for v in VALUES), r.water_class, r.class_parameter,
             ds.id, synthetic) for r in readings]
    return upsert(conn, "water_readings", cols, rows, conflict=["station_id", "observed_at"],
                  update=cols[2:])


def load_file(conn: psycopg.Connection, path: Path, ds: Dataset) -> tuple[int, list[tuple[int, str]]]:
    """Load a CSV of the layout: all rows or none (the report lists every bad row)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        errors: list[tuple[int, str]] = []
        readings = parse(csv.DictReader(fh), stations_by_name(conn), errors)
    if errors:
        return 0, errors
    return store(conn, readings, ds), []
