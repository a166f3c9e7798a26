"""Synthetic demo layer over the real facilities: companies with USCCs, Chinese names, violations,
explanations, key-monitored flags, PRTR disclosures, online emission monitoring (permit limits, hourly
readings, exceedances) and water stations. All flagged synthetic."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import psycopg

from data.catalog import DATASETS
from data.loaders import LoadResult
from data.synth.lifecycle import walk
from data.synth.names import CATEGORIES, company_name, rng_for
from db.staging import ewkt_point, register_dataset, upsert
from standards import uscc
from standards.admin import short_zh

DS = DATASETS["synthetic-demo"]
SEED = "bluemap-demo-v1"
HEAVY = ("power_coal", "cement", "steel", "chemicals", "textiles", "paper", "metals", "leather")
START, END = date(2014, 1, 1), date(2025, 10, 31)


# Only the bundled real data sets are decorated: uploads (brands' lists, user files) never get synthetic names.
DECORATED = ("gppd-china", "sfi-cement-steel", "osh-fixture-lists")


def _facilities(conn: psycopg.Connection) -> list[tuple]:
    """The bundled real facilities with their nearest place's Chinese name."""
    return conn.execute("""
        SELECT f.id, f.ext_id, f.industry, f.area_code,
               coalesce((SELECT regexp_replace(p.name_zh, '市$', '') FROM places p WHERE p.name_zh IS NOT NULL
                         ORDER BY p.geom <-> f.geom LIMIT 1), '中国')
        FROM facilities f WHERE f.dataset_id = ANY(%s) AND NOT f.synthetic AND f.area_code IS NOT NULL
        ORDER BY f.id""", (list(DECORATED),)).fetchall()


def _companies(conn: psycopg.Connection, facs: list[tuple], result: LoadResult) -> None:
    rows, names = [], {}
    for fid, ext, industry, area, city in facs:
        rng = rng_for(SEED, "company", ext)
        name = company_name(rng, city, industry)
        names[fid] = name
        code = uscc.make(area[:4] + f"{rng.randint(1, 20):02d}", rng.randrange(10**8))
        rows.append((code, name, None, DS.id, True))
    result.written["companies"] = upsert(conn, "companies", ["uscc", "name_zh", "name_en", "dataset_id",
                                                             "synthetic"], rows, conflict=["uscc"])
    conn.execute("CREATE TEMP TABLE demo_names (facility_id bigint, name_zh text, uscc text) ON COMMIT DROP")
    with conn.cursor().copy("COPY demo_names FROM STDIN") as cp:
        for (fid, *_), row in zip(facs, rows, strict=True):
            cp.write_row((fid, names[fid], row[0]))
    conn.execute("""
        UPDATE facilities f SET name_zh = d.name_zh, company_id = c.id,
               attrs = f.attrs || '{"name_zh_synthetic": true, "uscc_synthetic": true}'
        FROM demo_names d JOIN companies c ON c.uscc = d.uscc
        WHERE f.id = d.facility_id AND f.company_id IS NULL""")


def _key_monitored(conn: psycopg.Connection, facs: list[tuple]) -> None:
    ids = [fid for fid, ext, industry, *_ in facs
           if industry in HEAVY and rng_for(SEED, "key", ext).random() < 0.45]
    conn.execute("""UPDATE facilities SET key_monitored = true,
                    attrs = attrs || '{"key_monitored_synthetic": true}'
                    WHERE id = ANY(%s) AND NOT key_monitored""", (ids,))


def _violations(conn: psycopg.Connection, facs: list[tuple], result: LoadResult) -> None:
    rows, targets = [], {}
    span = (END - START).days
    for fid, ext, industry, area, city in facs:
        rng = rng_for(SEED, "violations", ext)
        share = 0.55 if industry in HEAVY else 0.2
        if rng.random() > share:
            continue
        for n in range(rng.choice((1, 1, 1, 2, 2, 3, 4, 6))):
            when = START + timedelta(days=rng.randrange(span))
            cat, basis = rng.choice(CATEGORIES)
            authority = f"{city}市生态环境局" if rng.random() < 0.8 else f"{short_zh(area)}省生态环境厅"
            penalty = round(rng.choice((2, 5, 10, 20, 30, 50, 100)) * 10000 * rng.uniform(0.8, 1.6), -2)
            vext = f"{ext}:v{n}"
            age = (END - when).days / span
            status = rng.choices(("open", "explained", "rectified", "removed"),
                                 weights=(1 - age, 0.3, 0.2 + age, 0.1 + age / 2))[0]
            targets[vext] = status
            rows.append((DS.id, vext, fid, when, authority, cat, basis, penalty,
                         f"{cat}（合成示例记录，非真实数据）", "synthetic demo", True))
    result.written["violations"] = upsert(
        conn, "violations", ["dataset_id", "ext_id", "facility_id", "violation_date", "authority", "category",
                             "legal_basis", "penalty_cny", "description", "source", "synthetic"],
        rows, conflict=["dataset_id", "ext_id"])
    # Walk newly inserted rows through the workflow's own steps, with plausible dates (data/synth/lifecycle.py).
    new = conn.execute("SELECT ext_id, id, violation_date FROM violations WHERE dataset_id = %s "
                       "AND created_at = now()", (DS.id,)).fetchall()
    done = walk(conn, {vid: (targets.get(vext, "open"), day) for vext, vid, day in new}, SEED, DS.id)
    result.written["explanations"] = done["explanations"]
    result.written["audits"] = done["audits"]


def _prtr(conn: psycopg.Connection, facs: list[tuple], result: LoadResult) -> None:
    rows = []
    for fid, ext, *_ in facs:
        rng = rng_for(SEED, "prtr", ext)
        if rng.random() > 0.06:
            continue
        base = rng.uniform(1e3, 5e5)
        for year in (2021, 2022, 2023, 2024):
            f = 1 - 0.04 * (year - 2021) * rng.random()
            rows.append((fid, year, round(base * f, 1), round(base * 3.1 * f, 1), round(base * 2.4 * f, 1),
                         json.dumps({"VOCs_t": round(base * 1e-4 * f, 2)}),
                         json.dumps({"SO2_t": round(base * 4e-4 * f, 2), "NOx_t": round(base * 6e-4 * f, 2),
                                     "COD_t": round(base * 2e-4 * f, 2)}), DS.id, True))
    result.written["prtr_disclosures"] = upsert(
        conn, "prtr_disclosures", ["facility_id", "year", "energy_tce", "water_t", "ghg_tco2e", "chemicals",
                                   "discharges", "dataset_id", "synthetic"], rows, conflict=["facility_id", "year"])


def _water_stations(conn: psycopg.Connection, result: LoadResult) -> None:
    places = conn.execute("""SELECT name_en, name_zh, ST_X(geom), ST_Y(geom) FROM places
                             WHERE name_zh IS NOT NULL ORDER BY pop_max DESC NULLS LAST, name_en LIMIT 40""").fetchall()
    rows = []
    for i, (en, zh, lon, lat) in enumerate(places, 1):
        rng = rng_for(SEED, "water", en)
        body = rng.choice(("river", "river", "river", "lake", "reservoir"))
        label = {"river": "断面", "lake": "湖区点位", "reservoir": "水库点位"}[body]
        rows.append((f"SYN-W{i:03d}", "water", f"{zh}{label}（合成）", f"{en} {body} section (synthetic)", body,
                     False, ewkt_point(lon + rng.uniform(-0.05, 0.05), lat + rng.uniform(-0.05, 0.05)), DS.id, True))
    result.written["stations"] = upsert(
        conn, "stations", ["code", "kind", "name_zh", "name_en", "water_body_type", "coords_approximate", "geom",
                           "dataset_id", "synthetic"], rows, conflict=["code"])


# Synthetic permit limits, modelled on the national standards' limits for each industry: (pollutant, mg/m3 or
# mg/L, basis). Coal power at the ultra-low emission limits; the water limits are direct-discharge limits.
PERMITS = {
    "power_coal": (("so2", 35, "超低排放 ultra-low emission (GB 13223-2011 tightened)"),
                   ("nox", 50, "超低排放 ultra-low emission (GB 13223-2011 tightened)"),
                   ("particulates", 10, "超低排放 ultra-low emission (GB 13223-2011 tightened)")),
    "cement": (("particulates", 30, "GB 4915-2013"), ("so2", 200, "GB 4915-2013"), ("nox", 400, "GB 4915-2013")),
    "steel": (("particulates", 50, "GB 28662-2012"), ("so2", 200, "GB 28662-2012"), ("nox", 300, "GB 28662-2012")),
    "chemicals": (("cod", 100, "GB 8978-1996 grade 1"), ("nh3n", 15, "GB 8978-1996 grade 1")),
    "paper": (("cod", 90, "GB 3544-2008"), ("nh3n", 12, "GB 3544-2008")),
    "textiles": (("cod", 80, "GB 4287-2012"), ("nh3n", 10, "GB 4287-2012")),
    "leather": (("cod", 100, "GB 30486-2013"), ("nh3n", 25, "GB 30486-2013")),
}
EMISSION_FACILITIES = 40
EMISSION_HOURS = 14 * 24  # the last two weeks of the demo period, hourly


def _emissions(conn: psycopg.Connection, facs: list[tuple], result: LoadResult) -> None:
    """Permit limits and two weeks of hourly readings for some key-monitored facilities, with exceedances."""
    from ingest.emissions import POLLUTANTS, ingest
    from ingest.emissions import EmissionReading as Reading

    key = {fid for (fid,) in conn.execute("SELECT id FROM facilities WHERE key_monitored").fetchall()}
    chosen = sorted((rng_for(SEED, "emission-pick", ext).random(), fid, ext, industry)
                    for fid, ext, industry, *_ in facs if fid in key and industry in PERMITS)[:EMISSION_FACILITIES]
    limits = [(fid, p, lim, POLLUTANTS[p][2], basis, DS.id, True)
              for _, fid, _, industry in chosen for p, lim, basis in PERMITS[industry]]
    upsert(conn, "permit_limits", ["facility_id", "pollutant", "limit_value", "unit", "basis", "dataset_id",
                                   "synthetic"], limits, conflict=["facility_id", "pollutant"])
    last = datetime(END.year, END.month, END.day, 23, tzinfo=timezone(timedelta(hours=8)))
    readings: list = []
    for _, fid, ext, industry in chosen:
        for p, lim, _ in PERMITS[industry]:
            rng = rng_for(SEED, "emissions", ext, p)
            level, spike = rng.uniform(0.3, 0.7), 0
            for h in range(EMISSION_HOURS):
                if spike == 0 and rng.random() < 1 / 150:
                    spike = rng.randint(1, 6)
                value = (lim * rng.uniform(1.1, 2.5) if spike
                         else min(lim * level * rng.lognormvariate(0, 0.2), lim * 0.99))
                spike = max(spike - 1, 0)
                if rng.random() < 0.04:  # instrument or transmission gaps
                    continue
                readings.append(Reading(fid, p, last - timedelta(hours=EMISSION_HOURS - 1 - h), round(value, 2)))
    report = ingest(conn, DS, readings, synthetic=True)
    result.written["permit_limits"] = len(limits)
    result.written["emission_readings"] = report.count("inserted")
    result.written["violations (online monitoring)"] = report.new_violations


def load(conn: psycopg.Connection) -> LoadResult:
    """Generate the demo layer over whatever real facilities are loaded (idempotent)."""
    result = LoadResult(DS.id)
    register_dataset(conn, DS)
    facs = _facilities(conn)
    _companies(conn, facs, result)
    _key_monitored(conn, facs)
    _violations(conn, facs, result)
    _prtr(conn, facs, result)
    _emissions(conn, facs, result)
    _water_stations(conn, result)
    conn.execute("UPDATE stations s SET area_code = a.code FROM admin_areas a "
                 "WHERE s.area_code IS NULL AND ST_Intersects(a.geom, s.geom)")
    return result
