"""China AQI per HJ 633-2012 and its 2026 revision: IAQI, AQI, primary and over-standard pollutants."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

VERSIONS = ("hj633_2012", "hj633_2026")
IAQI_NODES = (0, 50, 100, 150, 200, 300, 400, 500)
POLLUTANTS = ("so2", "no2", "pm10", "co", "o3", "pm25")

# Breakpoints (µg/m3; CO mg/m3) at IAQI 0, 50, 100, 150, 200, 300, 400, 500; None where the table stops.
_BASE: dict[tuple[str, str], tuple[float | None, ...]] = {
    ("so2", "24h"): (0, 50, 150, 475, 800, 1600, 2100, 2620),
    ("so2", "1h"): (0, 150, 500, 650, 800, None, None, None),
    ("no2", "24h"): (0, 40, 80, 180, 280, 565, 750, 940),
    ("no2", "1h"): (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    ("pm10", "24h"): (0, 50, 150, 250, 350, 420, 500, 600),
    ("co", "24h"): (0, 2, 4, 14, 24, 36, 48, 60),
    ("co", "1h"): (0, 5, 10, 35, 60, 90, 120, 150),
    ("o3", "1h"): (0, 160, 200, 300, 400, 800, 1000, 1200),
    ("o3", "8h"): (0, 100, 160, 215, 265, 800, None, None),
    ("pm25", "24h"): (0, 35, 75, 115, 150, 250, 350, 500),
}
# The 2026 revision tightens the IAQI-100 node of PM10 and PM2.5 (24-hour).
_2026 = {("pm10", "24h"): (0, 50, 120, 250, 350, 420, 500, 600),
         ("pm25", "24h"): (0, 35, 60, 115, 150, 250, 350, 500)}
BREAKPOINTS: dict[str, dict[tuple[str, str], tuple[float | None, ...]]] = {
    "hj633_2012": dict(_BASE), "hj633_2026": {**_BASE, **_2026}}

# Observation dates are calendar dates in China (Asia/Shanghai: UTC+8, no daylight saving since 1991).
CHINA = timezone(timedelta(hours=8))
CUTOVER = date(2026, 3, 1)  # HJ 633-2026 applies to observations on and after this local date
_SCALE = {"hj633_2012": "China AQI (HJ 633-2012)", "hj633_2026": "China AQI (HJ 633-2026)"}


@dataclass(frozen=True)
class Category:
    """An AQI category: level 1-6, names and the standard's colour."""

    level: int
    name_zh: str
    name_en: str
    colour: str


CATEGORIES = (
    Category(1, "优", "Excellent", "#00e400"),
    Category(2, "良", "Good", "#ffff00"),
    Category(3, "轻度污染", "Lightly polluted", "#ff7e00"),
    Category(4, "中度污染", "Moderately polluted", "#ff0000"),
    Category(5, "重度污染", "Heavily polluted", "#99004c"),
    Category(6, "严重污染", "Severely polluted", "#7e0023"),
)
_UPPER = (50, 100, 150, 200, 300)


@dataclass(frozen=True)
class AqiResult:
    """AQI with its sub-indices, primary and over-standard pollutants, category and the scale used."""

    aqi: int | None
    iaqi: dict[str, int]
    primary: tuple[str, ...]
    over_standard: tuple[str, ...]
    category: Category | None
    version: str
    scale_name: str


def local_date(when: date | datetime) -> date:
    """The calendar date in China of an observation (an aware instant is converted; a naive one is local)."""
    if isinstance(when, datetime):
        return (when.astimezone(CHINA) if when.tzinfo is not None else when).date()
    return when


def version_for(when: date | datetime, cutover: date = CUTOVER) -> str:
    """The HJ 633 version in force on the observation's local (Asia/Shanghai) date."""
    d = local_date(when)
    return "hj633_2026" if d >= cutover else "hj633_2012"


def scale_name(version: str) -> str:
    """Human name of the index scale, to show wherever an AQI is shown."""
    return _SCALE[version]


def category_for(aqi: int | None) -> Category | None:
    """The category of an AQI value."""
    if aqi is None:
        return None
    for upper, cat in zip(_UPPER, CATEGORIES, strict=False):
        if aqi <= upper:
            return cat
    return CATEGORIES[-1]


def _round(value: float) -> int:
    # HJ 633-2012 states no rounding rule; the 2026 text requires rounding up. We round up for both,
    # so one value gives one index whatever the date (the reference's PM2.5 = 80 case gives 107).
    return math.ceil(round(value, 9))


def iaqi(pollutant: str, avg: str, concentration: float | None, version: str) -> float | None:
    """Raw (unrounded) sub-index, or None when missing or outside the table's defined range."""
    if concentration is None or concentration < 0 or math.isnan(concentration):
        return None
    table = BREAKPOINTS[version][(pollutant, avg)]
    for i in range(1, len(table)):
        hi = table[i]
        if hi is None:
            # Past the last defined breakpoint of SO2 1h (800) or O3 8h (800).
            if version == "hj633_2026":
                return 200.0 if pollutant == "so2" else 300.0
            return None
        lo = table[i - 1]
        assert lo is not None
        if concentration <= hi:
            return (IAQI_NODES[i] - IAQI_NODES[i - 1]) / (hi - lo) * (concentration - lo) + IAQI_NODES[i - 1]
    return 500.0


def _combine(sub: Mapping[str, float | None], complete: bool, version: str, known: bool = True) -> AqiResult:
    """The AQI of the sub-indices; `known=False` when a measured pollutant's sub-index cannot be determined."""
    rounded = {p: _round(v) for p, v in sub.items() if v is not None}
    if not rounded:
        return AqiResult(None, {}, (), (), None, version, scale_name(version))
    top = max(rounded.values())
    primary = tuple(p for p in POLLUTANTS if rounded.get(p) == top) if top > 50 else ()
    over = tuple(p for p in POLLUTANTS if rounded.get(p, 0) > 100)
    # 2026 §5.3.1: with a pollutant missing, an AQI of 100 or less is not published (NA). HJ 633-2012 has no
    # such rule: its AQI is the largest sub-index of the pollutants present.
    aqi = top if known and (complete or top > 100 or version == "hj633_2012") else None
    return AqiResult(aqi, rounded, primary if aqi is not None else (), over, category_for(aqi), version,
                     scale_name(version))


def hourly_aqi(readings: Mapping[str, float | None], version: str) -> AqiResult:
    """Real-time AQI from 1-hour concentrations (PM assessed against the 24-hour breakpoints).

    `so2_24h`, the 24-hour moving mean of SO2 ending at the hour, is needed (2012) when SO2 exceeds 800."""
    sub: dict[str, float | None] = {
        "so2": iaqi("so2", "1h", readings.get("so2"), version),
        "no2": iaqi("no2", "1h", readings.get("no2"), version),
        "co": iaqi("co", "1h", readings.get("co"), version),
        "o3": iaqi("o3", "1h", readings.get("o3"), version),
        "pm10": iaqi("pm10", "24h", readings.get("pm10"), version),
        "pm25": iaqi("pm25", "24h", readings.get("pm25"), version),
    }
    known = True
    if sub["so2"] is None and readings.get("so2") is not None:
        # HJ 633-2012 table 1 note: a 1-hour SO2 above 800 µg/m3 gets no 1-hour IAQI; the SO2 IAQI is the one
        # of the 24-hour mean (`so2_24h`, the moving mean ending at this hour). Without a valid 24-hour mean
        # the SO2 IAQI, and so the AQI, cannot be determined: it is not published (never published without SO2).
        sub["so2"] = iaqi("so2", "24h", readings.get("so2_24h"), version)
        known = sub["so2"] is not None
    complete = all(readings.get(p) is not None for p in POLLUTANTS)
    return _combine(sub, complete, version, known)


def daily_aqi(readings: Mapping[str, float | None], version: str) -> AqiResult:
    """Daily AQI from 24-hour means, the O3 maximum 8-hour average and (2012) the O3 maximum 1-hour value."""
    sub: dict[str, float | None] = {p: iaqi(p, "24h", readings.get(p), version)
                                    for p in ("so2", "no2", "pm10", "co", "pm25")}
    o3_8h = iaqi("o3", "8h", readings.get("o3_8h"), version)
    if version == "hj633_2012":
        o3_1h = iaqi("o3", "1h", readings.get("o3_1h"), version)
        # Above 800 µg/m3 the 8h IAQI is undefined in 2012 and the 1h IAQI is used instead.
        candidates = [v for v in (o3_8h, o3_1h) if v is not None]
        sub["o3"] = max(candidates) if candidates else None
        o3_present = readings.get("o3_8h") is not None or readings.get("o3_1h") is not None
    else:
        sub["o3"] = o3_8h
        o3_present = readings.get("o3_8h") is not None
    complete = o3_present and all(readings.get(p) is not None for p in ("so2", "no2", "pm10", "co", "pm25"))
    return _combine(sub, complete, version)


def _moving(values: Sequence[float | None], window: int, minimum: int) -> list[float | None]:
    out: list[float | None] = []
    for i in range(len(values)):
        win = [v for v in values[max(0, i - window + 1): i + 1] if v is not None]
        out.append(sum(win) / len(win) if len(win) >= minimum and i + 1 >= window else None)
    return out


def o3_8h_moving_average(hourly: Sequence[float | None]) -> list[float | None]:
    """8-hour moving average ending at each hour; at least 6 valid hours in the window (GB 3095 validity)."""
    return _moving(hourly, 8, 6)


def moving_average_24h(hourly: Sequence[float | None]) -> list[float | None]:
    """24-hour moving average ending at each hour; at least 20 valid hours (GB 3095 validity)."""
    return _moving(hourly, 24, 20)
