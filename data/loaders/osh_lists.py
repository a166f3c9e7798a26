"""Open Supply Hub fixture lists: contributors become demo brands, list rows become supplier facilities."""

from __future__ import annotations

import csv
import hashlib
import json
import re

import psycopg

from data.catalog import DATASETS, folder
from data.loaders import LoadResult
from db.staging import register_dataset, upsert
from geo.datum import to_wgs84
from ingest.facilities import FacilityRow, write_facilities
from ingest.merged import facility_ids
from standards.industries import sector_for_osh

DS = DATASETS["osh-fixture-lists"]
# Rows sitting exactly on China's centroid are geocoding failures in the source.
COUNTRY_CENTROID = (104.195397, 35.86166)


def slugify(name: str) -> str:
    """URL slug of a brand name."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def facility_key(country: str, name: str, address: str) -> str:
    """Stable id of a list row's facility: normalised name, address and country."""
    norm = "|".join(re.sub(r"\W+", " ", s.lower()).strip() for s in (country, name, address))
    return "osh:" + hashlib.sha1(norm.encode()).hexdigest()[:16]


def _lists() -> list[dict]:
    """Each list file joined to its contributor and public flag."""
    contributors = {c["pk"]: c["fields"] for c in json.loads((folder(DS) / "contributors.json").read_text())}
    lists = {x["pk"]: x["fields"] for x in json.loads((folder(DS) / "facility_lists.json").read_text())}
    out = []
    for src in json.loads((folder(DS) / "sources.json").read_text()):
        f = src["fields"]
        if f.get("facility_list") not in lists:
            continue
        lst = lists[f["facility_list"]]
        out.append({"file": lst["file_name"], "name": lst["name"], "public": bool(f["is_public"]),
                    "contributor": contributors[f["contributor"]]["name"]})
    return out


def load(conn: psycopg.Connection) -> LoadResult:
    """Load brands, lists, supplier facilities and public/private links."""
    result = LoadResult(DS.id)
    register_dataset(conn, DS)
    lists = _lists()
    brands = {lst["contributor"] for lst in lists}
    upsert(conn, "brands", ["slug", "name_en", "logo_key", "dataset_id"],
           [(slugify(b), b, f"brand-{slugify(b)}", DS.id) for b in sorted(brands)], conflict=["slug"])
    result.written["brands"] = len(brands)
    brand_ids = dict(conn.execute("SELECT slug, id FROM brands").fetchall())
    facilities: dict[str, FacilityRow] = {}
    links: list[tuple[str, str, bool]] = []  # (brand slug, facility key, public) per list
    for lst in lists:
        slug = slugify(lst["contributor"])
        conn.execute("""INSERT INTO supplier_lists (brand_id, name, version, file_name, status, dataset_id)
                        VALUES (%s, %s, 1, %s, 'accepted', %s) ON CONFLICT DO NOTHING""",
                     (brand_ids[slug], lst["name"], lst["file"], DS.id))
        with open(folder(DS) / "list_files" / lst["file"], encoding="utf-8") as fh:
            for line, r in enumerate(csv.DictReader(fh), 2):
                try:
                    lat, lng = float(r["lat"]), float(r["lng"])
                except (TypeError, ValueError):
                    result.skipped.append((lst["file"], line, "missing coordinates"))
                    continue
                key = facility_key(r["country"], r["name"], r["address"])
                china = r["country"].strip().lower() == "china"
                attrs = {"country": r["country"], "sector": r["sector"]}
                if (round(lng, 6), round(lat, 6)) == COUNTRY_CENTROID:
                    attrs["location_quality"] = "country centroid (geocoding failure in source)"
                # Google geocodes mainland addresses in GCJ-02; convert those to WGS84.
                lon, la = to_wgs84(lng, lat, "gcj02") if china else (lng, lat)
                facilities.setdefault(key, FacilityRow(
                    DS.id, key, r["name"].strip(), None, sector_for_osh(r["sector"]), lon, la,
                    address=r["address"].strip() or None, source_crs="gcj02" if china else "wgs84", attrs=attrs))
                links.append((slug, key, lst["public"], lst["name"]))
    result.written["facilities"] = write_facilities(conn, DS.id, facilities.values())
    fac_ids = facility_ids(conn, DS.id)  # merged-away facilities give their survivor
    list_ids = {(b, n): i for i, b, n in conn.execute(
        "SELECT l.id, b.slug, l.name FROM supplier_lists l JOIN brands b ON b.id = l.brand_id").fetchall()}
    result.written["brand_facility_links"] = upsert(
        conn, "brand_facility_links", ["brand_id", "facility_id", "list_id", "tier", "is_public", "dataset_id"],
        [(brand_ids[s], fac_ids[k], list_ids[(s, n)], "direct_supplier", pub, DS.id) for s, k, pub, n in links],
        conflict=["brand_id", "facility_id", "list_id"])
    return result
