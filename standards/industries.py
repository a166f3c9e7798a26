"""The industry codes facilities carry, with Chinese and English labels."""

from __future__ import annotations

INDUSTRIES: dict[str, tuple[str, str]] = {
    "power_coal": ("燃煤发电", "Coal power"),
    "power_gas": ("燃气发电", "Gas power"),
    "power_oil": ("燃油发电", "Oil power"),
    "power_hydro": ("水力发电", "Hydropower"),
    "power_wind": ("风力发电", "Wind power"),
    "power_solar": ("太阳能发电", "Solar power"),
    "power_nuclear": ("核电", "Nuclear power"),
    "power_biogas": ("沼气发电", "Landfill and biogas power"),
    "power_other": ("其他发电", "Other power"),
    "cement": ("水泥制造", "Cement"),
    "steel": ("钢铁冶炼", "Iron and steel"),
    "chemicals": ("化工", "Chemicals"),
    "textiles": ("纺织印染", "Textiles and dyeing"),
    "apparel": ("服装制造", "Apparel"),
    "electronics": ("电子制造", "Electronics"),
    "paper": ("造纸", "Pulp and paper"),
    "pharma": ("制药", "Pharmaceuticals"),
    "metals": ("有色金属", "Non-ferrous metals"),
    "leather": ("皮革鞣制", "Leather tanning"),
    "food": ("食品加工", "Food processing"),
    "waste": ("污水与固废处理", "Waste and wastewater treatment"),
    "other": ("其他", "Other"),
}

_FUEL = {
    "coal": "power_coal", "coal mine methane": "power_coal", "natural gas": "power_gas", "gas": "power_gas",
    "lng": "power_gas", "hydro": "power_hydro", "wind": "power_wind", "solar": "power_solar",
    "nuclear": "power_nuclear", "landfill gas": "power_biogas", "diesel": "power_oil", "oil": "power_oil",
    "fuel oil": "power_oil", "heavy fuel oil": "power_oil", "distillate oil": "power_oil",
}


def industry_for_fuel(fuel: str) -> str:
    """Industry code of a power plant from its primary fuel."""
    return _FUEL.get(fuel.strip().lower(), "power_other")


def sector_for_osh(sector: str) -> str:
    """Industry code for an Open Supply Hub sector string."""
    s = sector.strip().lower()
    if "apparel" in s or "garment" in s:
        return "apparel"
    if "textile" in s:
        return "textiles"
    if "electronic" in s:
        return "electronics"
    return "other"
