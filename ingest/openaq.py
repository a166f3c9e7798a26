"""OpenAQ API v3: China's locations and hourly sensor means mapped to our stations and readings."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import psycopg

from core.datasets import Dataset
from core.errors import Invalid, Unavailable
from db.staging import register_dataset, upsert
from ingest.readings import UNITS, check_values
from monitoring.store import AirReading, Ingest

API = "https://api.openaq.org/v3"
DATASET = Dataset("openaq", "OpenAQ v3 hourly air quality (locations in China)", "CC BY 4.0",
                  "https://creativecommons.org/licenses/by/4.0/",
                  "OpenAQ (openaq.org), from the original providers named per location", "https://openaq.org/")
MOLAR_VOLUME = 24.45  # L/mol at 25 °C and 1 atm, the reference state of China's gas concentrations
MOLAR_MASS = {"so2": 64.066, "no2": 46.0055, "o3": 47.997, "co": 28.010}
OURS = {"pm25": "pm25", "pm10": "pm10", "so2": "so2", "no2": "no2", "o3": "o3", "co": "co"}
PAGE = 1000

Get = Callable[[str, dict], dict]  # (path, query) -> the decoded JSON body


def value_in_our_unit(parameter: str, value: float, unit: str) -> float:
    """µg/m3 (CO: mg/m3) from OpenAQ's µg/m³, mg/m³, ppm or ppb (gases at 25 °C, 1 atm)."""
    u = unit.replace("³", "3").replace("μ", "µ").lower()
    factor = {"µg/m3": 1.0, "ug/m3": 1.0, "mg/m3": 1000.0}.get(u)
    if factor is None and parameter in MOLAR_MASS:
        ppm = {"ppm": 1.0, "ppb": 1e-3}.get(u)
        if ppm is not None:
            factor = ppm * MOLAR_MASS[parameter] * 1000 / MOLAR_VOLUME  # µg/m3 per unit
    if factor is None:
        raise Invalid(f"{parameter}: unit {unit!r} cannot be converted")
    ug = value * factor
    return ug / 1000 if parameter == "co" else ug


@dataclass
class Location:
    """An OpenAQ location: our station code, names, point and its sensors (sensor id -> parameter, unit)."""

    code: str
    name: str
    lon: float
    lat: float
    sensors: dict[int, tuple[str, str]] = field(default_factory=dict)
    providers: str = ""


def location(item: dict) -> Location | None:
    """Our view of a v3 location (None without coordinates or a sensor we keep)."""
    coords = item.get("coordinates") or {}
    if coords.get("latitude") is None or coords.get("longitude") is None:
        return None
    sensors = {int(s["id"]): (OURS[s["parameter"]["name"]], s["parameter"]["units"]) for s in item.get("sensors", [])
               if s.get("parameter", {}).get("name") in OURS}
    if not sensors:
        return None
    providers = ", ".join(sorted({(lic.get("attribution") or {}).get("name") or lic.get("name", "")
                                  for lic in item.get("licenses") or []} - {""}))
    return Location(f"openaq-{item['id']}", item.get("name") or f"OpenAQ {item['id']}", float(coords["longitude"]),
                    float(coords["latitude"]), sensors, providers)


def hour_of(item: dict) -> datetime:
    """The hour a v3 hourly mean belongs to: the end of its period (China's time point convention)."""
    return datetime.fromisoformat(item["period"]["datetimeTo"]["utc"].replace("Z", "+00:00"))


def pages(get: Get, path: str, query: dict) -> Iterator[dict]:
    """Every result of a paged v3 list."""
    page = 1
    while True:
        body = get(path, query | {"limit": PAGE, "page": page})
        results = body.get("results") or []
        yield from results
        if len(results) < PAGE:
            return
        page += 1


def http_get(api_key: str, base: str = API, pause: float = 1.0) -> Get:
    """A v3 client: the key in X-API-Key, 429s waited out (Retry-After), errors as Unavailable."""
    def get(path: str, query: dict) -> dict:
        url = f"{base}{path}?{urllib.parse.urlencode(query)}"
        for _ in range(5):
            req = urllib.request.Request(url, headers={"X-API-Key": api_key, "Accept": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 (fixed https base)
                    return json.load(resp)
            except urllib.error.HTTPError as exc:
                if exc.code != 429:
                    raise Unavailable(f"OpenAQ answered {exc.code} for {path}") from None
                time.sleep(float(exc.headers.get("Retry-After") or 60))
            except (urllib.error.URLError, TimeoutError) as exc:
                raise Unavailable(f"OpenAQ unreachable: {exc}") from None
            time.sleep(pause)
        raise Unavailable("OpenAQ kept answering 429 (rate limit)")
    return get


def replay(folder: Path) -> Get:
    """Recorded v3 responses: `<path with / as _>[_p<page>].json` under `folder` (tests, offline demos)."""
    def get(path: str, query: dict) -> dict:
        name = path.strip("/").replace("/", "_") + (f"_p{query['page']}" if query.get("page", 1) != 1 else "")
        file = folder / f"{name}.json"
        return json.loads(file.read_text(encoding="utf-8")) if file.exists() else {"results": []}
    return get


def store_locations(conn: psycopg.Connection, locations: list[Location]) -> int:
    """Create or refresh the stations of these locations (air, exact coordinates from OpenAQ)."""
    register_dataset(conn, DATASET)
    rows = [(loc.code, "air", loc.name, f"SRID=4326;POINT({loc.lon} {loc.lat})", DATASET.id, False)
            for loc in locations]
    return upsert(conn, "stations", ["code", "kind", "name_en", "geom", "dataset_id", "coords_approximate"], rows,
                  conflict=["code"], update=["name_en", "geom"])


def fetch(conn: psycopg.Connection, get: Get, country: str, since: datetime, until: datetime) -> dict[str, int]:
    """Stations of a country and their hourly means from `since` to `until`, stored like pushed readings."""
    locations = [loc for item in pages(get, "/locations", {"iso": country}) if (loc := location(item))]
    n_stations = store_locations(conn, locations)
    ingest = Ingest(conn, DATASET, "sensor hour")
    ref = 0
    for loc in locations:
        hours: dict[datetime, dict[str, float | None]] = {}
        for sid, (parameter, unit) in loc.sensors.items():
            query = {"datetime_from": since.isoformat(), "datetime_to": until.isoformat()}
            for item in pages(get, f"/sensors/{sid}/hours", query):
                if item.get("value") is None:
                    continue
                try:
                    value = value_in_our_unit(parameter, float(item["value"]), unit)
                except Invalid:
                    continue
                hours.setdefault(hour_of(item), dict.fromkeys(OURS.values()))[parameter] = value
        for at, raw in sorted(hours.items()):
            ref += 1
            values, reasons = check_values(raw, UNITS)  # the checks of pushed readings (ranges, ceilings)
            if reasons:
                ingest.reject(ref, "; ".join(reasons), loc.code, at)
            else:
                ingest.add(AirReading(ref, loc.code, at, values))
    ingest.finish()
    return {"locations": len(locations), "stations": n_stations} | ingest.counts
