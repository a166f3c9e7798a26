"""GHG Protocol scope 1 and 2 (CO2) from activity data with China's published factors (standards/ghg_factors/).

Scope 1: fuels burned on site (quantity x net calorific value x CO2 per TJ) and cement clinker calcination
(clinker x 0.52 x CKD correction, IPCC 2006 Tier 1/2). Scope 2 (location-based): purchased electricity x the
MEE/NBS average grid factor of the region and year, purchased heat or steam x 0.11 tCO2/GJ. The factor table
is a versioned data file; a result names the table version and each line's factor and source.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from core import parse
from core.errors import Invalid

FACTOR_DIR = Path(__file__).with_name("ghg_factors")
GRID_REGIONS = ("national", "national_excl_green", "national_fossil", "north", "northeast", "east", "central",
                "northwest", "southwest", "south")
MAX_QUANTITY = 1e12
MAX_LINES = 50


class GhgInputError(Invalid):
    """Activity data the calculator cannot use; the message says which value and why."""


@dataclass(frozen=True)
class FactorTable:
    """One version of the factor table: sources, grid factors by (region, year), fuels, heat and clinker."""

    version: str
    sources: dict
    grid: dict[tuple[str, int], dict]
    fuels: dict[str, dict]
    heat: dict
    clinker: dict
    notes: tuple[str, ...]

    def grid_years(self, region: str) -> list[int]:
        """The years with a published factor for `region`, ascending."""
        return sorted(y for r, y in self.grid if r == region)

    def regions(self) -> list[str]:
        """Every region (grid region or province code) with a factor."""
        return sorted({r for r, _ in self.grid}, key=lambda r: (r[0].isdigit(), r))


def versions() -> list[str]:
    """The factor table versions in the repository, oldest first."""
    return sorted(p.stem for p in FACTOR_DIR.glob("*.json"))


@lru_cache(maxsize=8)
def load(version: str | None = None) -> FactorTable:
    """A factor table version (the newest when None); Invalid for an unknown version."""
    known = versions()
    version = version or known[-1]
    if version not in known:
        raise GhgInputError(f"factor_version: unknown {version!r}; known: {', '.join(known)}")
    raw = json.loads((FACTOR_DIR / f"{version}.json").read_text(encoding="utf-8"))
    grid = {(g["region"], int(g["year"])): g for g in raw["grid"]}
    return FactorTable(raw["version"], raw["sources"], grid, {f["fuel"]: f for f in raw["fuels"]}, raw["heat"],
                       raw["clinker"], tuple(raw.get("notes", ())))


def _grid_factor(table: FactorTable, region: str, year: int, factor_year: int | None) -> dict:
    """The grid factor for the reporting year: the given factor year, else the newest published up to it."""
    years = table.grid_years(region)
    if not years:
        raise GhgInputError(f"electricity.region: no published factor for {region!r}; "
                            f"known: {', '.join(table.regions())}")
    if factor_year is None:
        usable = [y for y in years if y <= year]
        if not usable:
            raise GhgInputError(f"electricity.factor_year: no factor for {region!r} published for {year} or "
                                f"earlier; published years: {', '.join(map(str, years))}")
        factor_year = usable[-1]
    if factor_year not in years:
        raise GhgInputError(f"electricity.factor_year: {region!r} has factors for "
                            f"{', '.join(map(str, years))}, not {factor_year}")
    return table.grid[(region, factor_year)]


def _items(raw: object, name: str) -> list[dict]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
        raise GhgInputError(f"{name}: a list of objects")
    if len(raw) > MAX_LINES:
        raise GhgInputError(f"{name}: at most {MAX_LINES} lines")
    return raw


def _qty(name: str, raw: object) -> float:
    return parse.number(name, raw, lo=0, hi=MAX_QUANTITY)


def _source(table: FactorTable, key: str) -> dict:
    return {"id": key} | table.sources[key]


def electricity_line(table: FactorTable, item: dict, year: int) -> dict:
    """Scope 2: MWh x grid factor (tCO2/MWh) of the region and factor year."""
    region = str(item.get("region") or "national")
    fy = item.get("factor_year")
    fy = None if fy in (None, "") else parse.integer("electricity.factor_year", fy, lo=1990, hi=2100)
    g = _grid_factor(table, region, year, fy)
    mwh = _qty("electricity.mwh", item.get("mwh"))
    return {"scope": 2, "kind": "electricity", "what": region, "quantity": mwh, "unit": "MWh",
            "factor": g["tco2_per_mwh"], "factor_unit": "tCO2/MWh", "factor_year": g["year"],
            "tco2e": mwh * g["tco2_per_mwh"], "sources": [_source(table, g["source"])], "ipcc_default": False}


def fuel_line(table: FactorTable, item: dict) -> dict:
    """Scope 1: quantity x NCV (GJ/unit) / 1000 x CO2 (t/TJ)."""
    fuel = parse.choice("fuels.fuel", item.get("fuel"), table.fuels)
    f = table.fuels[fuel]
    qty = _qty("fuels.quantity", item.get("quantity"))
    per_unit = f["ncv_gj_per_unit"] / 1000 * f["co2_t_per_tj"]
    srcs = sorted({f["ncv_source"], f["co2_source"]})
    return {"scope": 1, "kind": "fuel", "what": fuel, "quantity": qty, "unit": f["unit"],
            "ncv_gj_per_unit": f["ncv_gj_per_unit"], "co2_t_per_tj": f["co2_t_per_tj"],
            "factor": per_unit, "factor_unit": f"tCO2/{f['unit']}", "tco2e": qty * per_unit,
            "sources": [_source(table, s) for s in srcs], "ipcc_default": bool(f.get("ipcc_default"))}


def heat_line(table: FactorTable, gj: float) -> dict:
    """Scope 2: purchased heat or steam (GJ) x 0.11 tCO2/GJ."""
    h = table.heat
    return {"scope": 2, "kind": "heat", "what": "heat", "quantity": gj, "unit": "GJ", "factor": h["tco2_per_gj"],
            "factor_unit": "tCO2/GJ", "tco2e": gj * h["tco2_per_gj"], "sources": [_source(table, h["source"])],
            "ipcc_default": False}


def clinker_line(table: FactorTable, tonnes: float) -> dict:
    """Scope 1 process: clinker (t) x 0.52 tCO2/t x cement kiln dust correction."""
    k = table.clinker
    factor = k["tco2_per_t"] * k["ckd_correction"]
    return {"scope": 1, "kind": "clinker", "what": "clinker", "quantity": tonnes, "unit": "t",
            "factor": factor, "factor_unit": "tCO2/t clinker", "ckd_correction": k["ckd_correction"],
            "tco2e": tonnes * factor, "sources": [_source(table, k["source"])], "ipcc_default": True}


def calculate(inputs: dict) -> dict:
    """Scope 1, scope 2 and total tCO2e, with every line's factor and source, for one facility year."""
    if not isinstance(inputs, dict):
        raise GhgInputError("send a JSON object")
    table = load(inputs.get("factor_version") or None)
    year = parse.integer("year", inputs.get("year"), lo=1990, hi=2100)
    lines = [electricity_line(table, i, year) for i in _items(inputs.get("electricity"), "electricity")]
    lines += [fuel_line(table, i) for i in _items(inputs.get("fuels"), "fuels")]
    heat = inputs.get("heat_gj")
    if heat not in (None, ""):
        lines.append(heat_line(table, _qty("heat_gj", heat)))
    clinker = inputs.get("clinker_t")
    if clinker not in (None, ""):
        lines.append(clinker_line(table, _qty("clinker_t", clinker)))
    if not lines:
        raise GhgInputError("enter at least one activity: electricity, a fuel, heat or clinker")
    s1 = sum(x["tco2e"] for x in lines if x["scope"] == 1)
    s2 = sum(x["tco2e"] for x in lines if x["scope"] == 2)
    for x in lines:
        x["tco2e"] = round(x["tco2e"], 3)
    return {"year": year, "factor_version": table.version, "lines": lines, "scope1_tco2e": round(s1, 3),
            "scope2_tco2e": round(s2, 3), "total_tco2e": round(s1 + s2, 3),
            "method": "GHG Protocol Corporate Standard; scope 2 location-based; CO2 only (tCO2 = tCO2e)"}
