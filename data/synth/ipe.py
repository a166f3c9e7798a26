"""IPE-scale synthetic facilities and violations (1.2 million / 2 million) as CSV files for the loaders."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from tqdm import tqdm

from data.loaders import natural_earth
from data.synth.names import CATEGORIES, INDUSTRY_WORDS, TRADE_NAMES
from standards import uscc
from standards.admin import PROVINCES
from standards.industries import INDUSTRIES

SEED = 20261123
_ALIASES = {"Nei Mongol": "Inner Mongolia", "Xinjiang Uygur": "Xinjiang", "Xizang": "Tibet",
            "Ningxia Hui": "Ningxia"}
_CODE_BY_EN = {en: code for code, (_, en, _, _) in PROVINCES.items()}
FACILITY_HEADER = ["ext_id", "uscc", "name_zh", "name_en", "industry", "address", "lon", "lat", "key_monitored",
                   "area_code"]
VIOLATION_HEADER = ["ext_id", "facility_ext_id", "date", "authority", "category", "legal_basis", "penalty_cny",
                    "description", "source", "status"]


def _places() -> list[tuple[str, str, float, float, float, str]]:
    """(name_zh, name_en, lon, lat, weight, province code) of the bundled populated places."""
    frame = natural_earth.read(natural_earth.PLACES)
    out = []
    for p, pt in zip(natural_earth.records(frame), frame.geometry, strict=True):
        code = _CODE_BY_EN.get(_ALIASES.get(p["ADM1NAME"], p["ADM1NAME"]))
        if not code:
            continue
        out.append(((p.get("NAME_ZH") or p["NAME"]).removesuffix("市"), p["NAME"], pt.x, pt.y,
                    float(p.get("POP_MAX") or 1e4), code))
    return out


def write_csv(out: Path, n_facilities: int = 1_200_000, n_violations: int = 2_000_000,
              n_key: int = 30_000, progress: bool = False) -> tuple[Path, Path]:
    """Write facilities.csv and violations.csv into `out`; the same arguments give the same bytes."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    places = _places()
    weights = np.array([p[4] for p in places]) ** 0.8
    idx = rng.choice(len(places), size=n_facilities, p=weights / weights.sum())
    # Industry clusters around cities: spread grows with the city's population.
    spread = 0.04 + 0.12 * (weights[idx] / weights.max()) ** 0.5
    lons = np.array([places[i][2] for i in idx]) + rng.normal(0, 1, n_facilities) * spread
    lats = np.array([places[i][3] for i in idx]) + rng.normal(0, 1, n_facilities) * spread * 0.8
    industries = list(INDUSTRIES)
    ind = rng.choice(len(industries), size=n_facilities)
    trade = rng.integers(0, len(TRADE_NAMES), n_facilities)
    serial = rng.permutation(10**8)[:n_facilities] if n_facilities > 10**6 else rng.choice(10**8, n_facilities,
                                                                                          replace=False)
    key = np.zeros(n_facilities, dtype=bool)
    key[rng.choice(n_facilities, size=min(n_key, n_facilities), replace=False)] = True
    fac_path = out / "facilities.csv"
    with open(fac_path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(FACILITY_HEADER)
        for i in tqdm(range(n_facilities), desc="facilities", disable=not progress, mininterval=1):
            zh, en, _, _, _, code = places[idx[i]]
            industry = industries[ind[i]]
            w.writerow((f"ipe:{i:07d}", uscc.make(code[:4] + "00", int(serial[i])),
                        f"{zh}{TRADE_NAMES[trade[i]]}{INDUSTRY_WORDS[industry]}有限公司",
                        f"{en} {INDUSTRIES[industry][1]} Co. {i}", industry, f"{zh}工业园区{i % 97 + 1}号",
                        f"{lons[i]:.5f}", f"{lats[i]:.5f}", "true" if key[i] else "", code))
    vio_path = out / "violations.csv"
    fac_of = rng.integers(0, n_facilities, n_violations)
    days = rng.integers(0, (date(2025, 10, 31) - date(2014, 1, 1)).days, n_violations)
    cat = rng.integers(0, len(CATEGORIES), n_violations)
    status = rng.choice(4, size=n_violations, p=[0.45, 0.2, 0.3, 0.05])
    penalty = rng.integers(1, 100, n_violations) * 10000
    statuses = ("open", "explained", "rectified", "removed")
    start = date(2014, 1, 1)
    with open(vio_path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(VIOLATION_HEADER)
        for j in tqdm(range(n_violations), desc="violations", disable=not progress, mininterval=1):
            f = int(fac_of[j])
            zh = places[idx[f]][0]
            c, basis = CATEGORIES[cat[j]]
            w.writerow((f"ipe-v:{j:07d}", f"ipe:{f:07d}", (start + timedelta(days=int(days[j]))).isoformat(),
                        f"{zh}市生态环境局", c, basis, int(penalty[j]), "合成记录（基准测试用）", "synthetic ipe",
                        statuses[status[j]]))
    return fac_path, vio_path
