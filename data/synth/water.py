"""Synthetic hourly readings of the demo water sections (flagged synthetic), through the real ingest path."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg

from data.catalog import DATASETS
from data.loaders import LoadResult
from data.synth.names import rng_for
from ingest import water
from standards.aqi import CHINA

DS = DATASETS["synthetic-demo"]
SEED = "bluemap-water-v1"
START = datetime(2026, 11, 1, tzinfo=CHINA)  # fixed, so every load writes the same rows
HOURS = 7 * 24
# Typical (pH, DO, CODMn, NH3-N, TP, TN) of a section whose quality is about class I..V and worse.
PROFILES = ((7.6, 8.2, 1.6, 0.10, 0.015, 0.4), (7.5, 7.0, 3.2, 0.35, 0.07, 0.9), (7.4, 5.8, 5.0, 0.8, 0.15, 1.3),
            (7.3, 4.2, 8.0, 1.3, 0.25, 1.8), (7.2, 2.8, 12.5, 1.8, 0.35, 2.4), (7.1, 1.6, 18.0, 2.6, 0.5, 3.5))


def _rows(conn: psycopg.Connection) -> list[dict[str, str]]:
    """The sections' hours in the national layout (Chinese headers), as a monitoring archive publishes them."""
    rows = []
    for code, zh in conn.execute("SELECT code, name_zh FROM stations WHERE kind = 'water' AND synthetic "
                                 "ORDER BY code").fetchall():
        rng = rng_for(SEED, code)
        ph, do, codmn, nh3n, tp, tn = rng.choices(PROFILES, weights=(1, 3, 3, 2, 1, 1))[0]
        for h in range(HOURS):
            f = 1 + 0.15 * rng.uniform(-1, 1)
            t = START + timedelta(hours=h)
            rows.append({
                "断面名称": zh, "监测时间": t.strftime("%Y-%m-%d %H:%M"),
                "水温(℃)": f"{14 + 4 * rng.random():.1f}", "pH(无量纲)": f"{ph + rng.uniform(-0.2, 0.2):.2f}",
                "溶解氧(mg/L)": f"{do / f:.2f}", "高锰酸盐指数(mg/L)": f"{codmn * f:.2f}",
                "氨氮(mg/L)": f"{nh3n * f:.3f}", "总磷(mg/L)": f"{tp * f:.3f}", "总氮(mg/L)": f"{tn * f:.2f}",
                "电导率(μS/cm)": f"{300 + 200 * rng.random():.0f}", "浊度(NTU)": f"{5 + 20 * rng.random():.1f}",
                # one hour in fifty the analyser is down
                **({"氨氮(mg/L)": "--"} if rng.random() < 0.02 else {}),
            })
    return rows


def load(conn: psycopg.Connection) -> LoadResult:
    """A week of hourly readings for every demo section, classed by GB 3838-2002; idempotent."""
    result = LoadResult("synthetic-water")
    errors: list[tuple[int, str]] = []
    readings = water.parse(_rows(conn), water.stations_by_name(conn), errors)
    result.skipped.extend(("synthetic water", line, reason) for line, reason in errors)
    result.written["water_readings"] = water.store(conn, readings, DS, synthetic=True)
    return result
