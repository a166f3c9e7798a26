"""Hourly air readings from CNEMC-style files (CSV or XLSX) and push clients: checked, unit-normalised, stored once."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import psycopg

from core import parse
from core.datasets import Dataset, upload_dataset
from core.errors import Invalid
from db.staging import register_dataset, upsert
from ingest.reader import Table, TableError, cell_text, read_table
from ingest.report import FileReport, RowError, write_rejects
from monitoring.rollups import BEIJING, CUTOVER
from monitoring.store import POLLUTANTS, AirReading, Ingest

UNITS = {"pm25": "µg/m3", "pm10": "µg/m3", "so2": "µg/m3", "no2": "µg/m3", "o3": "µg/m3", "co": "mg/m3"}
# Hourly values above these are instrument faults or unit mix-ups, not air (historic extremes in China are far
# lower: dust storms bring PM10 to several thousand µg/m3, winter haze PM2.5 to about 1,000).
CEILING = {"pm25": 2000.0, "pm10": 10000.0, "so2": 5000.0, "no2": 3000.0, "o3": 2000.0, "co": 150.0}


def unit_of(text: str) -> str | None:
    """Canonical 'µg/m3' or 'mg/m3' for a spelling of either (µ/μ/u, m3/m³, Chinese), else None."""
    t = unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "")
    t = t.replace("μ", "u").replace("µ", "u")
    return {"ug/m3": "µg/m3", "微克/立方米": "µg/m3", "mg/m3": "mg/m3", "毫克/立方米": "mg/m3"}.get(t)


def convert(pollutant: str, value: float, unit: str | None) -> float:
    """Value in the pollutant's canonical unit (µg/m3; CO mg/m3)."""
    if unit is None or unit == UNITS[pollutant]:
        return value
    return value * 1000.0 if unit == "mg/m3" else value / 1000.0


def check_values(raw: Mapping[str, object], units: Mapping[str, str | None]) -> tuple[dict[str, float | None],
                                                                                      list[str]]:
    """Normalised concentrations of the six pollutants, and the reasons any of them is unusable."""
    values: dict[str, float | None] = {}
    reasons = []
    for p in POLLUTANTS:
        try:
            v: float | None = parse.number(p, raw.get(p), default=None, missing=parse.MISSING)
        except Invalid:
            reasons.append(f"{p}: not a number: {raw.get(p)!r}")
            continue
        if v is not None:
            given = units.get(p)
            v = convert(p, v, given)
            if v < 0:
                reasons.append(f"{p}: negative concentration {v:g}")
            elif v > CEILING[p]:
                hint = " (was CO given in µg/m3? say so with a co_unit column or a CO(µg/m3) header)" if (
                    p == "co" and given is None) else ""
                reasons.append(f"{p}: {v:g} {UNITS[p]} is beyond the physical range "
                               f"(at most {CEILING[p]:g}){hint}")
        values[p] = v
    if not reasons and all(v is None for v in values.values()):
        reasons.append("no pollutant values")
    return values, reasons


_TIME = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
                   r"(?:[ T](\d{1,2})(?::(\d{2})(?::(\d{2})(?:\.\d+)?)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?")


def parse_time(text: str, hour: object = None) -> datetime:
    """An on-the-hour instant: ISO-like date and time (naive means Beijing time), or a date plus an hour."""
    t = str(text).strip()
    if re.fullmatch(r"\d{8}(\d{2})?", t):  # 20160101 or 2016010108
        t = f"{t[:4]}-{t[4:6]}-{t[6:8]}" + (f" {t[8:]}" if len(t) == 10 else "")
    m = _TIME.fullmatch(t)
    if not m:
        raise ValueError(f"not a date and time: {text!r}")
    y, mo, d, h, mi, s, tz = m.groups()
    if hour is not None and str(hour).strip() != "":
        if h is not None:
            raise ValueError(f"time {text!r} already has an hour")
        h = str(hour).strip()
        if not h.isdigit():
            raise ValueError(f"hour must be 0-23, not {h!r}")
    if h is None:
        raise ValueError(f"{text!r} has no hour")
    zone = BEIJING
    if tz == "Z":
        zone = UTC
    elif tz:
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        zone = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0)))
    try:
        at = datetime(int(y), int(mo), int(d), int(h), int(mi or 0), int(s or 0), tzinfo=zone)
    except ValueError as exc:
        raise ValueError(f"not a valid time: {text!r} ({exc})") from None
    if at.minute or at.second:
        raise ValueError(f"{text!r} is not on the hour (readings are hourly)")
    check_observed(at, text)
    return at


EARLIEST = datetime(1980, 1, 1, tzinfo=UTC)  # no monitoring network reported hourly data before
CLOCK_SKEW = timedelta(hours=1)  # how far ahead of our clock a sender's clock may be


def check_observed(at: datetime, text: object) -> None:
    """Refuse (ValueError) an observation time before 1980 or in the future (beyond CLOCK_SKEW): the rule
    of every hourly reading, air or emission."""
    if at < EARLIEST:
        raise ValueError(f"{text!r} is before 1980")
    if at > datetime.now(UTC) + CLOCK_SKEW:
        raise ValueError(f"{text!r} is in the future")


# CSV headers, normalised (lower case; spaces, dots, dashes and underscores removed), to our names.
COLUMNS = {"stationcode": "station", "station": "station", "code": "station", "监测点编码": "station",
           "站点编码": "station", "time": "time", "timepoint": "time", "datetime": "time",
           "observedat": "time", "时间": "time", "date": "date", "hour": "hour", "counit": "co_unit",
           "unitco": "co_unit",
           "pm25": "pm25", "pm10": "pm10", "so2": "so2", "no2": "no2", "o3": "o3", "co": "co",
           # the national hourly station snapshot layout: new stations come with their name and coordinates
           "时间点": "time", "监测点名称": "name", "站点名称": "name", "stationname": "name", "城市": "city",
           "city": "city", "经度": "lon", "longitude": "lon", "lon": "lon", "纬度": "lat", "latitude": "lat",
           "lat": "lat"}
_UNIT_SUFFIX = re.compile(r"^(.*?)\s*(?:[(\[（](.*?)[)\]）]|_(ug|mg)m3)$")


def header_column(text: str) -> tuple[str | None, str | None]:
    """(our column name or None, unit named in the header or None) of one CSV header cell."""
    t = unicodedata.normalize("NFKC", text).strip().lower()
    unit = None
    m = _UNIT_SUFFIX.match(t)
    if m:
        t = m.group(1)
        unit = unit_of(m.group(2) or f"{m.group(3)}/m3") or f"?{m.group(2) or m.group(3)}"
    return COLUMNS.get(re.sub(r"[\s._-]", "", t)), unit


def load_readings_csv(conn: psycopg.Connection, path: Path, encoding: str | None = "utf-8",
                      skip_invalid: bool = False, dataset_id: str | None = None, licence: str = "unspecified",
                      dataset: Dataset | None = None,
                      cutover: date = CUTOVER) -> FileReport:
    """Check every row of an hourly readings file; store all, or (skip_invalid) the valid rows; no commit."""
    path = Path(path)
    report = FileReport(path.name, "readings")
    try:
        table = read_table(path, encoding)
    except TableError as exc:
        report.add(exc.line, "", exc.reason)
        return report
    names, units = _columns(report, table.header)
    if report.errors:
        return report
    ds = dataset or upload_dataset(path.name, licence, dataset_id)
    # A savepoint (the caller commits): a file with rejected rows stores nothing unless skip_invalid.
    conn.execute("SAVEPOINT readings_file")
    try:
        if {"lon", "lat"} <= set(names):  # a second pass over the file: its rows are read as a stream
            report.notes += _new_stations(conn, ds, read_table(path, encoding), names)
        ingest = Ingest(conn, ds, "line", cutover=cutover)
        rejected = _add_rows(ingest, report, table, names, units)
        ingest.finish()
    except BaseException:
        conn.execute("ROLLBACK TO SAVEPOINT readings_file")
        raise
    report.counts, report.outcomes = ingest.counts, ingest.outcomes
    report.committed = not ingest.counts["rejected"] or skip_invalid
    conn.execute("RELEASE SAVEPOINT readings_file" if report.committed
                 else "ROLLBACK TO SAVEPOINT readings_file")
    if rejected:
        reasons = {o.ref: o.reason for o in report.outcomes if o.status == "rejected"}
        report.rejects_path = write_rejects(path, table.header, [(n, reasons[n], c) for n, c in rejected.items()])
    return report


def _new_stations(conn: psycopg.Connection, ds: Dataset, table: Table, names: list[str | None]) -> list[str]:
    """Stations a snapshot file names with coordinates that we do not know yet, created as air stations."""
    if not {"lon", "lat"} <= set(names):
        return []
    known = {r[0] for r in conn.execute("SELECT code FROM stations")}
    new: dict[str, tuple] = {}
    for row in table.rows:
        if row.error is not None:
            continue
        cells = {n: cell_text(c).strip() for n, c in zip(names, row.cells, strict=True) if n}
        code = cells.get("station", "")
        if not code or code in known or code in new:
            continue
        try:
            lon, lat = parse.number("lon", cells.get("lon"), -180, 180), parse.number("lat", cells.get("lat"), -90, 90)
        except Invalid:
            continue  # its readings are rejected as for an unknown station
        name = cells.get("name") or code
        label = f"{cells['city']} {name}" if cells.get("city") and not name.startswith(cells["city"]) else name
        new[code] = (code, "air", label, label, f"SRID=4326;POINT({lon} {lat})", ds.id, False)
    if not new:
        return []
    register_dataset(conn, ds)
    upsert(conn, "stations", ["code", "kind", "name_zh", "name_en", "geom", "dataset_id", "coords_approximate"],
           list(new.values()), conflict=["code"])
    return [f"{len(new)} new stations created from the file's coordinates: {', '.join(sorted(new)[:20])}"]


def _columns(report: FileReport, header: list[str]) -> tuple[list[str | None], dict[str, str | None]]:
    """Our name of each header cell and the units the header names; header problems go to the report."""
    cols = [header_column(h) for h in header]
    names = [n for n, _ in cols]
    for h, (_, unit) in zip(header, cols, strict=True):
        if unit and unit.startswith("?"):
            report.add(1, h, "unknown unit; use µg/m3 or mg/m3")
    missing = [c for c in ("station",) if c not in names]
    if "time" not in names and not {"date", "hour"} <= set(names):
        missing.append("time (or date and hour)")
    if not set(POLLUTANTS) & set(names):
        missing.append(f"a pollutant ({', '.join(POLLUTANTS)})")
    for m in missing:
        report.add(1, "", f"required column missing: {m}")
    ignored = [h for h, n in zip(header, names, strict=True) if n is None]
    if ignored:
        report.notes.append(f"columns ignored: {', '.join(ignored)}")
    units: dict[str, str | None] = {n: u for n, u in cols if n in POLLUTANTS and u}
    report.notes += [f"{p} converted from {u} to {UNITS[p]}" for p, u in units.items() if u != UNITS[p]]
    return names, units


def _add_rows(ingest: Ingest, report: FileReport, table: Table, names: list[str | None],
              units: Mapping[str, str | None]) -> dict[int, list]:
    """Check each row and queue it for storing; the cells of rejected rows by line."""
    rejected: dict[int, list] = {}
    for row in table.rows:
        report.rows += 1
        before = ingest.counts["rejected"]
        cells = [cell_text(c) for c in row.cells]
        values = {n: c for n, c in zip(names, cells, strict=True) if n} if row.error is None else {}
        try:
            if row.error:
                raise row.error
            ingest.add(_file_reading(row.line, values, units))
        except RowError as exc:
            ingest.reject(row.line, exc.reason, values.get("station"))
        if ingest.counts["rejected"] > before:
            rejected[row.line] = cells
    return rejected


def _file_reading(line: int, row: dict[str, str], header_units: Mapping[str, str | None]) -> AirReading:
    reasons = []
    station = (row.get("station") or "").strip()
    if not station:
        reasons.append("station: missing station code")
    at = None
    try:
        at = parse_time(row["time"]) if "time" in row else parse_time(row.get("date", ""), row.get("hour"))
    except ValueError as exc:
        reasons.append(f"time: {exc}")
    units = dict(header_units)
    co_unit = (row.get("co_unit") or "").strip()
    if co_unit:
        if unit_of(co_unit) is None:
            reasons.append(f"co_unit: unknown unit {co_unit!r}; use µg/m3 or mg/m3")
        units["co"] = unit_of(co_unit)
    values, problems = check_values(row, units)
    reasons += problems
    if reasons or at is None:
        raise RowError.several(reasons)
    return AirReading(line, station, at, values)


def push_dataset(label: str) -> Dataset:
    """The data set of readings pushed by one client (its token's label)."""
    return Dataset(f"push:{label}", f"Readings pushed by {label}", "unspecified", None,
                   f"Pushed through POST /api/readings by the client labelled {label!r}", None)


def parse_units(raw: object) -> dict[str, str | None]:
    """A {"co": "µg/m3", ...} mapping of units to canonical names, or Invalid."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise Invalid("units must be an object such as {\"co\": \"µg/m3\"}")
    out: dict[str, str | None] = {}
    for key, value in raw.items():
        name, _ = header_column(str(key))
        unit = unit_of(value) if isinstance(value, str) else None
        if name not in POLLUTANTS:
            raise Invalid(f"units: unknown pollutant {key!r}")
        if unit is None:
            raise Invalid(f"units: unknown unit {value!r} for {key}; use µg/m3 or mg/m3")
        out[name] = unit
    return out


def item_reading(index: int, item: object, batch_units: Mapping[str, str | None]) -> AirReading:
    """A checked reading from one pushed JSON item, or RowError with every reason."""
    if not isinstance(item, dict):
        raise RowError("", "an item must be a JSON object")
    fields: dict[str, object] = {}
    reasons = []
    units = dict(batch_units)
    for key, value in item.items():
        name, unit_in_key = header_column(str(key))
        if unit_in_key and name in POLLUTANTS:
            if unit_in_key.startswith("?"):
                reasons.append(f"{key}: unknown unit; use µg/m3 or mg/m3")
            units[name] = unit_in_key
        if key == "units":
            try:
                units |= parse_units(value)
            except Invalid as exc:
                reasons.append(exc.reason)
        elif name in ("station", "time", "co_unit", *POLLUTANTS):
            fields[name] = value
        else:
            reasons.append(f"unknown field {key!r}")
    station = fields.get("station")
    if not isinstance(station, str) or not station.strip():
        reasons.append("station: a station code (string) is required")
    at = None
    if not isinstance(fields.get("time"), str):
        reasons.append("observed_at: an ISO 8601 time (string) is required")
    else:
        try:
            at = parse_time(str(fields["time"]))
        except ValueError as exc:
            reasons.append(f"observed_at: {exc}")
    if "co_unit" in fields:
        unit = unit_of(fields["co_unit"]) if isinstance(fields["co_unit"], str) else None
        if unit is None:
            reasons.append(f"co_unit: unknown unit {fields['co_unit']!r}; use µg/m3 or mg/m3")
        units["co"] = unit
    values, problems = check_values(fields, units)
    reasons += problems
    if reasons or at is None or not isinstance(station, str):
        raise RowError.several(reasons)
    return AirReading(index, station.strip(), at, values)
