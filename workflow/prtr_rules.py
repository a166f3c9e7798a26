"""The PRTR form's fields: units normalised to one unit per item, plausibility ranges, errors named by field.

A form (JSON) holds `energy` (a list of carrier, quantity, unit), `water` (withdrawal and discharge), `chemicals`
(name, CAS number checked by its check digit, quantity, unit), `releases` (medium air/water/soil or an off-site
transfer, pollutant, quantity, unit, method measured/calculated/estimated), `ghg` (scope 1 and 2 in tCO2e) and
`targets` (reduction targets, Chinese and/or English). Energy is also summed in tonnes of coal equivalent with
the reference coefficients of GB/T 2589-2020 (electricity at its calorific equivalent, 0.1229 kgce/kWh).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from core.errors import Invalid
from standards import cas

# carrier -> (canonical unit, {unit: factor to canonical}, tce per canonical unit, plausible maximum)
CARRIERS: dict[str, tuple[str, dict[str, float], float, float]] = {
    "electricity": ("kWh", {"kwh": 1, "mwh": 1e3, "gwh": 1e6, "万kwh": 1e4}, 0.1229e-3, 1e11),
    "coal": ("t", {"t": 1, "kg": 1e-3, "万t": 1e4}, 0.7143, 5e7),
    "natural_gas": ("m3", {"m3": 1, "万m3": 1e4, "亿m3": 1e8}, 1.2143e-3, 1e10),
    "steam": ("GJ", {"gj": 1, "mj": 1e-3, "tj": 1e3}, 0.03412, 1e9),
    "diesel": ("t", {"t": 1, "kg": 1e-3}, 1.4571, 1e7),
    "gasoline": ("t", {"t": 1, "kg": 1e-3}, 1.4714, 1e7),
    "fuel_oil": ("t", {"t": 1, "kg": 1e-3}, 1.4286, 1e7),
}
MASS = {"t": 1.0, "kg": 1e-3, "g": 1e-6, "吨": 1.0, "千克": 1e-3, "公斤": 1e-3, "克": 1e-6}
VOLUME = {"m3": 1.0, "t": 1.0, "万m3": 1e4, "万t": 1e4, "l": 1e-3}
MEDIA = ("air", "water", "soil", "transfer")
METHODS = ("measured", "calculated", "estimated")
MAX_MASS_T = 1e7
MAX_WATER_M3 = 1e10
MAX_GHG_T = 2e8
MAX_ROWS = 200


class FormErrors(Invalid):
    """The form has errors; `errors` maps each field (energy[0].quantity) to its reason."""


def _unit(raw: object) -> str:
    return str(raw or "").strip().lower().replace("³", "3").replace(" ", "").replace("m^3", "m3")


def _number(errors: dict, field: str, raw: object, hi: float, factor: float = 1.0) -> float | None:
    """A quantity within 0..hi after conversion; the error recorded under `field`."""
    if raw is None or raw == "":
        errors[field] = "required"
        return None
    try:
        value = float(str(raw).replace(",", "").strip()) if isinstance(raw, str) else float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        errors[field] = f"not a number: {raw!r}"
        return None
    if isinstance(raw, bool) or not math.isfinite(value):
        errors[field] = f"not a number: {raw!r}"
        return None
    if value < 0:
        errors[field] = "must not be negative"
        return None
    value *= factor
    if value > hi:
        errors[field] = f"implausible: {value:,.6g} is above the plausible maximum of {hi:,.6g}"
        return None
    return value


def _text(errors: dict, field: str, raw: object, max_len: int = 200, required: bool = True) -> str | None:
    value = str(raw or "").strip()
    if not value and required:
        errors[field] = "required"
    elif len(value) > max_len or any(ord(c) < 32 for c in value):
        errors[field] = f"at most {max_len} characters, no control characters"
    return value or None


def _rows(errors: dict, form: Mapping, name: str) -> list:
    rows = form.get(name) or []
    if not isinstance(rows, list) or len(rows) > MAX_ROWS or not all(isinstance(r, Mapping) for r in rows):
        errors[name] = f"a list of at most {MAX_ROWS} objects"
        return []
    return rows


def _energy(errors: dict, form: Mapping) -> tuple[list, float]:
    out, tce = [], 0.0
    for i, row in enumerate(_rows(errors, form, "energy")):
        carrier = str(row.get("carrier") or "").strip()
        if carrier not in CARRIERS:
            errors[f"energy[{i}].carrier"] = f"one of {', '.join(CARRIERS)}"
            continue
        unit, factors, per, hi = CARRIERS[carrier]
        factor = factors.get(_unit(row.get("unit") or unit))
        if factor is None:
            errors[f"energy[{i}].unit"] = f"{carrier} in {', '.join(factors)}"
            continue
        qty = _number(errors, f"energy[{i}].quantity", row.get("quantity"), hi, factor)
        if qty is not None:
            out.append({"carrier": carrier, "quantity": round(qty, 6), "unit": unit})
            tce += qty * per
    return out, tce


def _masses(errors: dict, form: Mapping, name: str) -> list:
    out = []
    for i, row in enumerate(_rows(errors, form, name)):
        f = f"{name}[{i}]"
        item: dict[str, Any] = {}
        if name == "chemicals":
            item["name"] = _text(errors, f"{f}.name", row.get("name"))
            try:
                item["cas"] = cas.validate(str(row.get("cas") or "")) if row.get("cas") else None
            except cas.InvalidCAS as exc:
                errors[f"{f}.cas"] = str(exc)
        else:
            item["medium"] = str(row.get("medium") or "").strip()
            if item["medium"] not in MEDIA:
                errors[f"{f}.medium"] = f"one of {', '.join(MEDIA)}"
            item["pollutant"] = _text(errors, f"{f}.pollutant", row.get("pollutant"))
            item["method"] = str(row.get("method") or "").strip()
            if item["method"] not in METHODS:
                errors[f"{f}.method"] = f"one of {', '.join(METHODS)}"
        factor = MASS.get(_unit(row.get("unit") or "t"))
        if factor is None:
            errors[f"{f}.unit"] = f"one of {', '.join(MASS)}"
            continue
        item["quantity_t"] = _number(errors, f"{f}.quantity", row.get("quantity"), MAX_MASS_T, factor)
        out.append(item)
    return out


def _section(errors: dict, form: Mapping, name: str, draft: bool) -> Mapping:
    value = form.get(name) or {}
    if not isinstance(value, Mapping):
        errors[name] = "an object"
        return {}
    return value


def normalise(form: object, draft: bool = False) -> dict:
    """The form in canonical units with its totals; FormErrors naming every bad field (drafts may be partial)."""
    if not isinstance(form, Mapping):
        raise FormErrors("form: a JSON object", errors={"form": "a JSON object"})
    errors: dict[str, str] = {}
    energy, tce = _energy(errors, form)
    water = _section(errors, form, "water", draft)
    ghg = _section(errors, form, "ghg", draft)
    out: dict[str, Any] = {"energy": energy, "energy_tce": round(tce, 3), "water": {}, "ghg": {},
                           "chemicals": _masses(errors, form, "chemicals"),
                           "releases": _masses(errors, form, "releases")}
    for key in ("withdrawal", "discharge"):
        raw = water.get(f"{key}_m3")
        unit = _unit(water.get(f"{key}_unit") or "m3")
        if unit not in VOLUME:
            errors[f"water.{key}_unit"] = f"one of {', '.join(VOLUME)}"
        elif raw not in (None, "") or not draft:
            out["water"][f"{key}_m3"] = _number(errors, f"water.{key}_m3", raw, MAX_WATER_M3, VOLUME[unit])
    for key in ("scope1_tco2e", "scope2_tco2e"):
        if ghg.get(key) not in (None, "") or not draft:
            out["ghg"][key] = _number(errors, f"ghg.{key}", ghg.get(key), MAX_GHG_T)
    for lang in ("zh", "en"):
        out[f"targets_{lang}"] = _text(errors, f"targets_{lang}", form.get(f"targets_{lang}"), 4000, False)
    if not draft and not energy and "energy" not in errors and not any(k.startswith("energy") for k in errors):
        errors["energy"] = "report at least one energy carrier"
    if errors:
        first = next(iter(errors))
        raise FormErrors(f"{first}: {errors[first]}" + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
                         errors=errors)
    return out


FORM_ROWS = 5  # chemicals and releases rows of the web form


def from_fields(flat: Mapping) -> dict:
    """The web form's flat fields (energy_coal_quantity, chem_0_cas, rel_1_method, ...) as a form object."""
    def get(name: str) -> str:
        return str(flat.get(name) or "").strip()

    energy = [{"carrier": c, "quantity": get(f"energy_{c}_quantity"), "unit": get(f"energy_{c}_unit") or CARRIERS[c][0]}
              for c in CARRIERS if get(f"energy_{c}_quantity")]
    chemicals = [{"name": get(f"chem_{i}_name"), "cas": get(f"chem_{i}_cas"), "quantity": get(f"chem_{i}_quantity"),
                  "unit": get(f"chem_{i}_unit") or "t"}
                 for i in range(FORM_ROWS) if get(f"chem_{i}_name") or get(f"chem_{i}_quantity")]
    releases = [{"medium": get(f"rel_{i}_medium"), "pollutant": get(f"rel_{i}_pollutant"),
                 "quantity": get(f"rel_{i}_quantity"), "unit": get(f"rel_{i}_unit") or "t",
                 "method": get(f"rel_{i}_method")}
                for i in range(FORM_ROWS) if get(f"rel_{i}_pollutant") or get(f"rel_{i}_quantity")]
    return {"energy": energy, "chemicals": chemicals, "releases": releases,
            "water": {"withdrawal_m3": get("water_withdrawal_m3"), "discharge_m3": get("water_discharge_m3")},
            "ghg": {"scope1_tco2e": get("ghg_scope1_tco2e"), "scope2_tco2e": get("ghg_scope2_tco2e")},
            "targets_zh": get("targets_zh"), "targets_en": get("targets_en")}
