"""Surface water quality classes per GB 3838-2002 (single-factor method of the 2011 evaluation rules)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

SCALE_NAME = "GB 3838-2002"
CLASSES = ("I", "II", "III", "IV", "V", "劣V")
STATUS = {"I": ("优", "Excellent"), "II": ("优", "Excellent"), "III": ("良好", "Good"),
          "IV": ("轻度污染", "Lightly polluted"), "V": ("中度污染", "Moderately polluted"),
          "劣V": ("重度污染", "Heavily polluted")}
# Conventional colours of published maps (the standard itself prescribes none).
COLOURS = {"I": "#1e90ff", "II": "#1e90ff", "III": "#00b050", "IV": "#ffd700", "V": "#ff8c00", "劣V": "#ff0000"}
LABEL_EN = {"劣V": "worse than V"}

# Upper limits (mg/L unless noted) of classes I..V; a value equal to a limit belongs to that (better) class.
LIMITS: dict[str, tuple[float, float, float, float, float]] = {
    "codmn": (2, 4, 6, 10, 15),
    "cod": (15, 15, 20, 30, 40),
    "bod5": (3, 3, 4, 6, 10),
    "nh3n": (0.15, 0.5, 1.0, 1.5, 2.0),
    "tp_river": (0.02, 0.1, 0.2, 0.3, 0.4),
    "tp_lake": (0.01, 0.025, 0.05, 0.1, 0.2),
    "tn": (0.2, 0.5, 1.0, 1.5, 2.0),
    "cu": (0.01, 1.0, 1.0, 1.0, 1.0),
    "zn": (0.05, 1.0, 1.0, 2.0, 2.0),
    "f": (1.0, 1.0, 1.0, 1.5, 1.5),
    "se": (0.01, 0.01, 0.01, 0.02, 0.02),
    "as": (0.05, 0.05, 0.05, 0.1, 0.1),
    "hg": (0.00005, 0.00005, 0.0001, 0.001, 0.001),
    "cd": (0.001, 0.005, 0.005, 0.005, 0.01),
    "cr6": (0.01, 0.05, 0.05, 0.05, 0.1),
    "pb": (0.01, 0.01, 0.05, 0.05, 0.1),
    "cn": (0.005, 0.05, 0.2, 0.2, 0.2),
    "phenol": (0.002, 0.002, 0.005, 0.01, 0.1),
    "petroleum": (0.05, 0.05, 0.05, 0.5, 1.0),
    "las": (0.2, 0.2, 0.2, 0.3, 0.3),
    "sulfide": (0.05, 0.1, 0.2, 0.5, 1.0),
    "fecal_coliform": (200, 2000, 10000, 20000, 40000),
}
DO_MIN = (7.5, 6, 5, 3, 2)  # dissolved oxygen is a lower bound
# Not part of the single-factor class (2011 evaluation rules): temperature, total nitrogen, fecal coliform.
NOT_EVALUATED = {"temperature", "tn", "fecal_coliform"}
LAKES = ("lake", "reservoir")


@dataclass(frozen=True)
class WaterResult:
    """The section's class, the items that decided it, every item's class and over-limit multiples."""

    cls: str | None
    determining: tuple[str, ...]
    item_classes: dict[str, str]
    exceedance: dict[str, float]
    scale_name: str = SCALE_NAME


def colour(cls: str) -> str:
    """Map colour of a class."""
    return COLOURS[cls]


def _limits(item: str, water_body: str) -> tuple[float, ...]:
    if item == "tp":
        return LIMITS["tp_lake" if water_body in LAKES else "tp_river"]
    return LIMITS[item]


def item_class(item: str, value: float, water_body: str = "river") -> str:
    """Class of one measured item."""
    if item == "ph":
        return "I" if 6 <= value <= 9 else "劣V"
    if item == "do":
        for cls, bound in zip(CLASSES, DO_MIN, strict=False):
            if value >= bound:
                return cls
        return "劣V"
    for cls, limit in zip(CLASSES, _limits(item, water_body), strict=False):
        if value <= limit:
            return cls
    return "劣V"


def classify(sample: Mapping[str, float | None], water_body: str = "river") -> WaterResult:
    """Worst class over the evaluated items present in `sample`."""
    classes = {item: item_class(item, v, water_body) for item, v in sample.items()
               if v is not None and item not in NOT_EVALUATED and (item in LIMITS or item in ("ph", "do", "tp"))}
    if not classes:
        return WaterResult(None, (), {}, {})
    worst = max(classes.values(), key=CLASSES.index)
    exceed = {}
    for item, cls in classes.items():
        if item in ("ph", "do") or CLASSES.index(cls) <= CLASSES.index("III"):
            continue
        std = _limits(item, water_body)[2]
        exceed[item] = round((float(sample[item]) - std) / std, 3)  # type: ignore[arg-type]
    return WaterResult(worst, tuple(i for i, c in classes.items() if c == worst), classes, exceed)
