"""`bluemap indices compute` at IPE scale: 580 brands, their supplier links, a year of records, follow-ups, PRTR.

    python -m benchmarks.indices        # on the bluemap_bench database (fixture added once, flagged synthetic)

The fixture (data set bench:indices) is generated in SQL: 580 brands with 200 supplier links each (116,000
links over 60,000 facilities, a third private, 7 tiers), 150,000 violation records in the year with
explanations or status changes for half of them, and PRTR disclosures (with GHG) for two years. Then the
compute runs BENCH_ROUNDS times; the figure is its wall time (median), and recomputation must match.
"""

from __future__ import annotations

import os
import statistics
import time

import psycopg

from benchmarks.common import bench_url
from indices import brands

YEAR = 2025
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
BRANDS, LINKS, FACILITIES, RECORDS = 580, 200, 60_000, 150_000

FIXTURE = f"""
INSERT INTO datasets (id, title, licence, attribution, synthetic) VALUES
  ('bench:indices', 'Index benchmark fixture', 'CC0', 'synthetic', true) ON CONFLICT DO NOTHING;
INSERT INTO brands (slug, name_en, logo_key, dataset_id, synthetic)
  SELECT 'bench-brand-' || g, 'Bench brand ' || g, 'bench', 'bench:indices', true FROM generate_series(1, {BRANDS}) g;
INSERT INTO facilities (dataset_id, ext_id, name_zh, industry, synthetic, geom)
  SELECT 'bench:indices', 'bf' || g, '基准供应商' || g, 'textiles', true,
         ST_SetSRID(ST_MakePoint(110 + (g % 1000) / 100.0, 25 + (g / 1000) / 10.0), 4326)
  FROM generate_series(1, {FACILITIES}) g;
INSERT INTO supplier_lists (brand_id, name, dataset_id, uploaded_at)
  SELECT id, 'bench', 'bench:indices', '{YEAR}-03-01' FROM brands WHERE slug LIKE 'bench-brand-%';
INSERT INTO brand_facility_links (brand_id, facility_id, list_id, tier, is_public, dataset_id, synthetic)
  SELECT l.brand_id, f.id, l.id,
         (enum_range(NULL::supply_tier))[1 + (l.brand_id + k) % 7], (l.brand_id + k) % 3 <> 0, 'bench:indices', true
  FROM supplier_lists l CROSS JOIN generate_series(1, {LINKS}) k
  JOIN facilities f ON f.dataset_id = 'bench:indices'
   AND f.ext_id = 'bf' || (1 + (l.brand_id * 97 + k * 7919) % {FACILITIES})
  WHERE l.name = 'bench' AND l.dataset_id = 'bench:indices'
  ON CONFLICT DO NOTHING;
INSERT INTO violations (dataset_id, ext_id, facility_id, violation_date, authority, category, source, synthetic)
  SELECT 'bench:indices', 'bv' || g, f.id, DATE '{YEAR}-01-01' + (g % 365), 'bench', 'bench', 'bench', true
  FROM generate_series(1, {RECORDS}) g JOIN facilities f ON f.dataset_id = 'bench:indices'
   AND f.ext_id = 'bf' || (1 + (g * 31) % {FACILITIES});
INSERT INTO explanations (violation_id, submitted_at, body, dataset_id, synthetic)
  SELECT id, violation_date + 20 + (id % 90)::int, 'bench', 'bench:indices', true FROM violations
  WHERE dataset_id = 'bench:indices' AND id % 2 = 0;
INSERT INTO prtr_disclosures (facility_id, year, ghg_tco2e, dataset_id, synthetic)
  SELECT id, y, 1000 + (id * 13 + y) % 500, 'bench:indices', true FROM facilities, generate_series({YEAR - 1}, {YEAR}) y
  WHERE dataset_id = 'bench:indices' AND id % 4 = 0;
"""


def ensure_fixture(url: str) -> None:
    """Add the fixture once (it is recognised by its data set)."""
    with psycopg.connect(url) as c:
        if c.execute("SELECT 1 FROM brands WHERE slug = 'bench-brand-1'").fetchone():
            return
        t0 = time.perf_counter()
        c.execute(FIXTURE)
        c.commit()
        c.execute("ANALYZE")
        print(f"fixture generated in {time.perf_counter() - t0:.1f} s")


def main() -> None:
    """Generate the fixture if needed, time the compute, check that a recomputation matches."""
    url = bench_url()
    ensure_fixture(url)
    with psycopg.connect(url) as c:
        n = {t: c.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
             for t in ("brands", "brand_facility_links", "violations", "explanations", "prtr_disclosures")}
        print("rows:", ", ".join(f"{k} {v:,}" for k, v in n.items()))
        times = []
        for _ in range(ROUNDS):
            t0 = time.perf_counter()
            snaps = brands.compute(c, YEAR)
            times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        brands.store(c, snaps)
        c.commit()
        stored = time.perf_counter() - t0
        diffs = brands.differences(c, YEAR)
    print(f"indices compute {YEAR}: {len(snaps):,} snapshots; compute median {statistics.median(times):.2f} s "
          f"(min {min(times):.2f}, max {max(times):.2f}, {ROUNDS} rounds), store {stored:.2f} s; "
          f"recomputation {'matches' if not diffs else f'DIFFERS in {len(diffs)}'}")
    if diffs:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
