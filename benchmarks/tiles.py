"""Vector tiles at IPE scale: our server (cold and hot) against tipg, the SQL floor and a constant-bytes
floor.

`python -m benchmarks.tiles` (or `make bench-tiles`) on the `bluemap_bench` database (1.2 M facilities):

* ladder: the 2x2 tiles around eight cities at every zoom z3..z14, fetched one at a time (one client):
  per-zoom tiles/s (= tiles / summed latency), p50/p95/p99 latency, mean bytes;
* mix: map sessions (China at z4, fly to a city through z6..z12, pan, zoom out) in a fixed shuffled order.
  Cold runs: every tile (or the first MIX_SAMPLE) once over 4 concurrent connections (a fixed amount of
  work: tiles/s = tiles / wall time); hot and constant-bytes runs: wrk, 4 connections (one per thread),
  cycling the whole mix for HOT_SECONDS, alternating HOT_ROUNDS times (best of each kept);
* ours cold: `bluemap serve`, 2 workers, BLUEMAP_TILE_CACHE=false (every tile rendered);
* tipg: `uvicorn tipg.main:app`, 2 workers, only public.facilities, the same properties;
* DB floor: the server's own tile SQL and bind parameters, executed over one psycopg connection;
* ours hot: `bluemap serve` with its disk cache, warmed by fetching every tile once;
* Flask floor: benchmarks/flask_floor.py under gunicorn, 2 workers, a fixed body of the mix's mean size.

Targets are printed as pass/fail; they never fail the run. Results also go to var/bench/tiles-results.json.
"""

from __future__ import annotations

import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import date

import psycopg

from benchmarks import tiles_lists as lists
from benchmarks.common import bench_url
from benchmarks.tiles_mvt import feature_count, property_sum
from benchmarks.tiles_run import (
    BENCH_DIR,
    PROJECT_ROOT,
    Sample,
    Stats,
    WrkResult,
    db_floor,
    fetch_all,
    free_port,
    load,
    loadavg,
    server,
    stats,
    wrk,
)

WORKERS = 2
CONNS = 4  # wrk connections (one per thread)
MIX_SAMPLE = 0  # cold runs: the first tiles of the shuffled mix (0: all of it), a fixed amount of work
HOT_SECONDS = 8  # hot and constant-bytes runs: wrk cycles the whole mix for this long
HOT_ROUNDS = 3  # alternating, this many times each
TIMEOUT_MS = 15000  # the server's statement timeout (app.settings), used for the DB floor too
TIPG_VERSION = "1.6.1"
TIPG_VENV = BENCH_DIR / "tipg-venv"
TIPG_PROPS = ("id,name_zh,name_en,industry,violation_count,latest_violation,worst_status,key_monitored,"
              "synthetic")
MAX_TILE = 500 * 1024

PY = sys.executable


def ours_path(t: lists.Tile) -> str:
    return f"/tiles/factories/{t[0]}/{t[1]}/{t[2]}.mvt"


def tipg_path(t: lists.Tile) -> str:
    z, x, y = t
    return f"/collections/public.facilities/tiles/WebMercatorQuad/{z}/{x}/{y}?properties={TIPG_PROPS}"


def addr(t: lists.Tile) -> str:
    return "/".join(map(str, t))


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {loadavg()}] {msg}", flush=True)


def warm_up(base: str, path) -> None:
    """The same start for every server: tiles outside the measured lists, over CONNS connections, untimed.

    Opens each server's database connections (and their first-use costs) before anything is measured.
    """
    tiles = lists.warm_up()
    log(f"warm-up: {len(tiles)} tiles outside the lists, {CONNS} connections")
    fetch_all(base, [path(t) for t in tiles], tiles, conns=CONNS)


def ensure_tipg() -> None:
    """tipg and uvicorn in their own virtualenv under var/bench (created once)."""
    if (TIPG_VENV / "bin" / "uvicorn").exists():
        return
    log(f"installing tipg {TIPG_VERSION} into {TIPG_VENV}")
    subprocess.run(["python3", "-m", "venv", str(TIPG_VENV)], check=True)
    pip = str(TIPG_VENV / "bin" / "pip")
    subprocess.run([pip, "install", "-q", f"tipg=={TIPG_VERSION}", "uvicorn[standard]"], check=True)


def ours(url: str, cache: bool, var_dir):
    port = str(free_port())
    env = {"DATABASE_URL": url, "PORT": port, "WORKERS": str(WORKERS), "BLUEMAP_VAR_DIR": str(var_dir),
           "BLUEMAP_TILE_CACHE": "true" if cache else "false"}
    cmd = [str(PROJECT_ROOT / ".venv" / "bin" / "bluemap"), "serve"]
    return server("ours-hot" if cache else "ours-cold", cmd, env, "/healthz")


def tipg(url: str):
    port = str(free_port())
    env = {"DATABASE_URL": url, "PORT": port, "TIPG_DB_SCHEMAS": '["public"]',
           "TIPG_DB_TABLES": '["public.facilities"]', "TIPG_DB_EXCLUDE_FUNCTION_SCHEMAS": '["public"]',
           "TIPG_DB_DATETIME_EXTENT": "false", "TIPG_CATALOG_TTL": "0"}
    cwd = BENCH_DIR / "tipg"  # no .env of ours is read
    cwd.mkdir(exist_ok=True)
    cmd = [str(TIPG_VENV / "bin" / "uvicorn"), "tipg.main:app", "--host", "127.0.0.1", "--port", port,
           "--workers", str(WORKERS)]
    return server("tipg", cmd, env, "/healthz", cwd=cwd)


def flask_floor(nbytes: int):
    port = str(free_port())
    env = {"PORT": port, "FLOOR_BYTES": str(nbytes)}
    cmd = [PY, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS),
           "--access-logfile", "-", "--timeout", "120", "benchmarks.flask_floor:app"]  # as `bluemap serve`
    return server("flask-floor", cmd, env, "/healthz")


def true_counts(url: str, zmax: int = 8) -> dict[lists.Tile, int]:
    """Facilities per tile for z0..zmax (web-mercator tiles of each point), from one scan of the table."""
    n = 1 << zmax
    q = f"""SELECT floor((ST_X(geom) + 180) / 360 * {n})::int AS x,
                   floor((1 - ln(tan(radians(ST_Y(geom))) + 1 / cos(radians(ST_Y(geom)))) / pi()) / 2
                         * {n})::int AS y,
                   count(*) FROM facilities GROUP BY 1, 2"""
    out: Counter[lists.Tile] = Counter()
    with psycopg.connect(url) as c:
        for x, y, cnt in c.execute(q):
            for z in range(zmax + 1):
                out[(z, x >> (zmax - z), y >> (zmax - z))] += cnt
    return dict(out)


def by_zoom(samples: Sequence[Sample]) -> dict[int, Stats]:
    zs = sorted({s.tile[0] for s in samples})
    return {z: stats([s for s in samples if s.tile[0] == z]) for z in zs}


def fmt_stats(label: str, st: Stats) -> str:
    return (f"{label:<10}{st.n:>6}{st.rate:>9.1f}{st.p50:>9.1f}{st.p95:>9.1f}{st.p99:>9.1f}"
            f"{st.raw / 1024:>10.1f}{st.wire / 1024:>10.1f}{st.errors:>6}")


def fmt_wrk(label: str, w: WrkResult) -> str:
    return (f"{label:<10}{w.requests:>6}{w.rate:>9.1f}{w.p50:>9.1f}{w.p95:>9.1f}{w.p99:>9.1f}"
            f"{'':>10}{w.bytes / max(w.requests, 1) / 1024:>10.1f}"
            f"{w.errors['status'] + w.errors['timeout']:>6}")


HEAD = (f"{'zoom':<10}{'n':>6}{'tiles/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'raw KB':>10}"
        f"{'wire KB':>10}{'err':>6}")


def under_load(base: str, paths: list[str], tiles: list[lists.Tile]) -> Stats:
    """The cold mix sample with CONNS connections: tiles/s over the wall time, latency per request."""
    samples, wall = load(base, paths, tiles, CONNS)
    return replace(stats(samples), rate=len(samples) / wall)


def table(title: str, seq: Sequence[Sample], mix: WrkResult | Stats | None,
          mix_seq: Sequence[Sample] | None = None) -> None:
    print(f"\n{title}\n{HEAD}")
    for z, st in by_zoom(seq).items():
        print(fmt_stats(f"z{z}", st))
    if mix_seq is not None:
        print(fmt_stats("mix 1conn", stats(mix_seq)))
    if isinstance(mix, Stats):
        print(fmt_stats(f"mix c{CONNS}", mix))
    elif mix is not None:
        print(fmt_wrk(f"mix wrk{CONNS}", mix))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def machine() -> str:
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores, {mem_gb:.0f} GB, {platform.platform()}, "
            f"Python {platform.python_version()}")


def main() -> None:
    t_start = time.monotonic()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    log("benchmark database (migrating when needed) ...")
    url = bench_url()
    with psycopg.connect(url) as c:
        row = c.execute("SELECT count(*), current_setting('server_version'), postgis_lib_version() "
                        "FROM facilities").fetchone()
    assert row is not None
    total, pg = row[0], row[1:]
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=PROJECT_ROOT).stdout.strip()
    except OSError:
        commit = "?"
    print(f"\nTile benchmark, {date.today()}, commit {commit}: {machine()}, PostgreSQL {pg[0]}, "
          f"PostGIS {pg[1]}")
    print(f"bluemap_bench: {total:,} facilities; {WORKERS} workers per server; wrk {CONNS} connections\n")
    ensure_tipg()

    ladder_by_z = lists.ladder()
    ladder = [t for z in sorted(ladder_by_z) for t in ladder_by_z[z]]
    mix = lists.mix()
    shuffled = random.Random(20261124).sample(mix, len(mix))
    sample = shuffled[:MIX_SAMPLE] if MIX_SAMPLE else shuffled
    china = lists.china_low()
    china_z4 = [t for t in china if t[0] == 4]
    print(f"ladder {len(ladder)} tiles (z3..z14 around {', '.join(p[0] for p in lists.PLACES)}); mix "
          f"{len(mix)} tiles ({len(lists.SESSION_CITIES)} sessions: "
          + ", ".join(f"z{z} {n}" for z, n in sorted(Counter(t[0] for t in mix).items()))
          + f"); cold runs take its first {len(sample)} in shuffled order: "
          + ", ".join(f"z{z} {n}" for z, n in sorted(Counter(t[0] for t in sample).items())))
    results: dict = {"date": str(date.today()), "commit": commit, "machine": machine(), "postgres": pg[0],
                     "postgis": pg[1], "facilities": total}

    # 1. Ours, cold: no tile cache, every request renders.
    cold_dir = BENCH_DIR / "ours-cold-var"
    shutil.rmtree(cold_dir, ignore_errors=True)
    with ours(url, cache=False, var_dir=cold_dir) as base:
        warm_up(base, ours_path)
        log("ours cold: ladder, one connection")
        cold_seq = fetch_all(base, [ours_path(t) for t in ladder], ladder)
        log(f"ours cold: mix sample, {CONNS} connections")
        cold_mix = under_load(base, [ours_path(t) for t in sample], sample)
    table("OURS COLD (BLUEMAP_TILE_CACHE=false)", cold_seq, cold_mix)

    # 2. tipg.
    with tipg(url) as base:
        warm_up(base, tipg_path)
        log("tipg: ladder, one connection")
        tipg_seq = fetch_all(base, [tipg_path(t) for t in ladder], ladder, keep_body=lambda t: t[0] <= 8)
        log("tipg: China z4 tiles (truncation check)")
        tipg_z4 = fetch_all(base, [tipg_path(t) for t in china_z4], china_z4, keep_body=lambda t: True)
        log(f"tipg: mix sample, {CONNS} connections")
        tipg_mix = under_load(base, [tipg_path(t) for t in sample], sample)
    table(f"TIPG {TIPG_VERSION} (uvicorn, properties limited to ours)", tipg_seq, tipg_mix)

    # 3. DB floor: the same SQL over one connection.
    log("DB floor: ladder")
    floor_seq = db_floor(url, ladder, TIMEOUT_MS)
    log("DB floor: mix sample")
    floor_mix = db_floor(url, sample, TIMEOUT_MS)
    table("DB FLOOR (tile SQL over one psycopg connection; raw = wire = MVT bytes)", floor_seq, None,
          floor_mix)

    # 4. Ours, hot: a fresh cache directory, warmed by fetching every tile once.
    hot_dir = BENCH_DIR / "ours-hot-var"
    shutil.rmtree(hot_dir, ignore_errors=True)
    everything = list(dict.fromkeys(ladder + china + mix))
    with ours(url, cache=True, var_dir=hot_dir) as base:
        log(f"ours hot: warming {len(everything)} tiles with {WORKERS} connections")
        warm = fetch_all(base, [ours_path(t) for t in everything], everything, conns=WORKERS,
                         keep_body=lambda t: t[0] <= 8)
        log("ours hot: ladder, one connection")
        hot_seq = fetch_all(base, [ours_path(t) for t in ladder], ladder)
        # 5. The constant-bytes Flask floor: a body of the mix's mean size on the wire. Hot and floor runs
        # alternate, best of HOT_ROUNDS each, so load from other processes hits both alike.
        warm_by_tile = {s.tile: s for s in warm}
        mix_wire = round(statistics.fmean(warm_by_tile[t].wire for t in mix))
        with flask_floor(mix_wire) as floor_base:
            hots, floors = [], []
            for r in range(HOT_ROUNDS):
                log(f"round {r + 1}/{HOT_ROUNDS}: ours hot, then Flask floor ({mix_wire} B), wrk c{CONNS}, "
                    f"{HOT_SECONDS} s each")
                hots.append(wrk(base, [ours_path(t) for t in shuffled], "ours-hot", CONNS, HOT_SECONDS))
                floors.append(wrk(floor_base, [ours_path(t) for t in shuffled], "flask-floor", CONNS,
                                  HOT_SECONDS))
    hot_mix = max(hots, key=lambda w: w.rate)
    flask_mix = max(floors, key=lambda w: w.rate)
    table(f"OURS HOT (disk cache warmed; mix: best of {HOT_ROUNDS} x {HOT_SECONDS} s, all: "
          + ", ".join(f"{w.rate:.0f}" for w in hots) + " tiles/s)", hot_seq, hot_mix)
    floor_bytes = max(1, round(hot_mix.bytes / max(hot_mix.requests, 1)))
    print(f"\nFLASK FLOOR (constant {mix_wire}-byte body = mean wire bytes of the mix; hot wrk mean "
          f"response incl. headers {floor_bytes} B; best of " + ", ".join(f"{w.rate:.0f}" for w in floors)
          + f" tiles/s)\n{HEAD}")
    print(fmt_wrk(f"mix wrk{CONNS}", flask_mix))

    # Sizes: every tile of the lists and z0..z5 over China, uncompressed, from the warm pass; tiles the server
    # could not render within its statement timeout are rendered by the same SQL with the CLI's longer
    # timeout (`bluemap tiles prerender` fills the cache of z0..z5 that way after each load).
    failed = [s for s in warm if s.status >= 400]
    if failed:
        log(f"rendering {len(failed)} tiles the server timed out on, over one connection (timeout x40)")
        redo = {s.tile: s for s in db_floor(url, [s.tile for s in failed], TIMEOUT_MS * 40)}
        warm = [redo.get(s.tile, s) if s.status >= 400 else s for s in warm]
        warm_by_tile = {s.tile: s for s in warm}
    print("\nSIZE CHECK (ours, uncompressed MVT; every ladder, mix and China z0..z5 tile)")
    print(f"{'zoom':<6}{'tiles':>7}{'max KB':>9}{'mean KB':>9}{'>500KB':>8}{'errors':>8}")
    sizes: dict[int, dict] = {}
    for z in sorted({s.tile[0] for s in warm}):
        zs = [s for s in warm if s.tile[0] == z]
        ok = [s for s in zs if s.status < 400]
        big = [s for s in ok if s.raw > MAX_TILE]
        sizes[z] = {"tiles": len(zs), "max": max((s.raw for s in ok), default=0),
                    "mean": statistics.fmean([s.raw for s in ok]) if ok else 0, "over": len(big),
                    "errors": len(zs) - len(ok)}
        print(f"z{z:<5}{len(zs):>7}{sizes[z]['max'] / 1024:>9.1f}{sizes[z]['mean'] / 1024:>9.1f}{len(big):>8}"
              f"{sizes[z]['errors']:>8}")
    big = [s for s in warm if s.raw > MAX_TILE]
    if big:
        print("over 500 KB: " + ", ".join(f"{addr(s.tile)} ({s.raw / 1024:.1f} KB)" for s in big))
    if failed:
        print("timed out in the server (statement timeout): "
              + ", ".join(f"{addr(s.tile)} ({s.status} after {s.ms / 1000:.1f} s; SQL alone "
                          f"{redo[s.tile].ms / 1000:.1f} s)" for s in failed))

    # Truncation: tipg's feature limit against the true counts; our clusters add up.
    log("true facility counts per tile")
    truth = true_counts(url)
    print("\nTRUNCATION (facilities in the tiles, tipg's points there, the sum of our cluster counts)")
    print(f"{'zoom':<6}{'tiles':>6}{'true':>11}{'tipg':>10}{'capped':>8}{'ours sum':>11}")
    trunc: dict[str, dict] = {}
    tipg_by_tile = {s.tile: s for s in tipg_seq + tipg_z4}
    groups = {f"z{z}": ladder_by_z.get(z, []) for z in range(3, 9)} | {"China z4": china_z4}
    for label, tiles in groups.items():
        tr = sum(truth.get(t, 0) for t in tiles)
        tp = [feature_count(tipg_by_tile[t].body or b"") for t in tiles if tipg_by_tile[t].status == 200]
        ours_ok = [t for t in tiles if warm_by_tile[t].status < 400]
        osum = sum(property_sum(warm_by_tile[t].body or b"", "count") for t in ours_ok)
        otrue = sum(truth.get(t, 0) for t in ours_ok)
        capped = sum(1 for n in tp if n >= 10000)
        trunc[label] = {"tiles": len(tiles), "true": tr, "tipg": sum(tp), "capped": capped, "ours": osum,
                        "ours_true": otrue, "ours_missing_tiles": len(tiles) - len(ours_ok)}
        note = f" (true {otrue:,} in the {len(ours_ok)} tiles rendered)" if len(ours_ok) < len(tiles) else ""
        print(f"{label:<9}{len(tiles):>3}{tr:>11,}{sum(tp):>10,}{capped:>8}{osum:>11,}{note}")
    print(f"(facilities in the database: {total:,})")

    # Ratios and targets.
    ratio_cold = cold_mix.rate / tipg_mix.rate if tipg_mix.rate else float("inf")
    ratio_hot = hot_mix.rate / flask_mix.rate if flask_mix.rate else 0.0
    print("\nRATIOS AND TARGETS (never fail the run)")
    print(f"  cold mix: ours {cold_mix.rate:.1f} tiles/s vs tipg {tipg_mix.rate:.1f} = {ratio_cold:.2f}x "
          f"(target >= 10x: {verdict(ratio_cold >= 10)})")
    print(f"  cold mix p99 under load: ours {cold_mix.p99:.0f} ms (target < 150 ms: "
          f"{verdict(cold_mix.p99 < 150)}); tipg {tipg_mix.p99:.0f} ms")
    print(f"  hot mix: ours {hot_mix.rate:.0f} tiles/s vs Flask floor {flask_mix.rate:.0f} = {ratio_hot:.0%} "
          f"(target >= 80%: {verdict(ratio_hot >= 0.8)})")
    over = sum(v["over"] for v in sizes.values())
    print(f"  tile size: {over} tiles over 500 KB uncompressed (target 0: {verdict(over == 0)}); largest "
          f"{max(v['max'] for v in sizes.values()) / 1024:.1f} KB")
    elapsed = time.monotonic() - t_start
    print(f"\nwhole benchmark: {elapsed / 60:.1f} min")

    def seq_json(samples):
        return {f"z{z}": asdict(st) for z, st in by_zoom(samples).items()}

    results |= {
        "ladder": {"ours_cold": seq_json(cold_seq), "tipg": seq_json(tipg_seq),
                   "db_floor": seq_json(floor_seq), "ours_hot": seq_json(hot_seq)},
        "mix": {"ours_cold": asdict(cold_mix), "tipg": asdict(tipg_mix), "ours_hot": asdict(hot_mix),
                "flask_floor": asdict(flask_mix), "db_floor_1conn": asdict(stats(floor_mix)),
                "sample": len(sample), "tiles": len(mix), "flask_floor_bytes": mix_wire,
                "hot_rounds": [w.rate for w in hots], "floor_rounds": [w.rate for w in floors]},
        "ratios": {"cold_ours_over_tipg": ratio_cold, "hot_ours_over_flask": ratio_hot},
        "sizes": sizes, "truncation": trunc, "failed": [list(s.tile) + [s.status, s.ms] for s in failed],
        "minutes": elapsed / 60,
    }
    (BENCH_DIR / "tiles-results.json").write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
