"""Index methodologies as versioned YAML files in indices/methodology/: loading, checking and scoring bands."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from core.errors import Invalid, NotFound

FOLDER = Path(__file__).with_name("methodology")


@dataclass(frozen=True)
class Indicator:
    """One indicator: what it reads, its weight, direction and points bands."""

    id: str
    input: str
    title: dict
    how: dict
    weight: float
    direction: str
    max_points: float
    bands: tuple[tuple[float, float], ...]

    def points(self, value: float) -> float:
        """The points a value earns: `higher` takes the best band reached, `lower` the best band not exceeded."""
        if self.direction == "higher":
            return max((p for t, p in self.bands if value >= t), default=0.0)
        return max((p for t, p in self.bands if value <= t), default=0.0)


@dataclass(frozen=True)
class Methodology:
    """A versioned methodology file: id, version, titles and indicators."""

    id: str
    version: str
    title: dict
    summary: dict
    year_rule: dict
    indicators: tuple[Indicator, ...]
    raw: dict

    def score(self, values: dict[str, float | None], available: set[str]) -> tuple[float, list[dict]]:
        """Score 0-100 and each indicator's breakdown (status ok, n/a or missing)."""
        rows, got, weights = [], 0.0, 0.0
        for ind in self.indicators:
            row = {"id": ind.id, "input": ind.input, "weight": ind.weight, "max_points": ind.max_points}
            if ind.input not in available:
                row |= {"status": "missing", "value": None, "points": None}
            elif values.get(ind.id) is None:
                row |= {"status": "na", "value": None, "points": None}
            else:
                value = float(values[ind.id])  # type: ignore[arg-type]
                pts = ind.points(value)
                row |= {"status": "ok", "value": round(value, 4), "points": pts}
                got += ind.weight * pts / ind.max_points
                weights += ind.weight
            rows.append(row)
        return (round(100 * got / weights, 2) if weights else 0.0), rows


def _indicator(d: dict, where: str) -> Indicator:
    try:
        bands = tuple((float(t), float(p)) for t, p in d["bands"])
        ind = Indicator(str(d["id"]), str(d["input"]), dict(d["title"]), dict(d["how"]), float(d["weight"]),
                        str(d["direction"]), float(d["max_points"]), bands)
    except (KeyError, TypeError, ValueError) as exc:
        raise Invalid(f"{where}: indicator {d.get('id')!r} is incomplete ({exc})") from exc
    if ind.direction not in ("higher", "lower") or ind.weight <= 0 or ind.max_points <= 0:
        raise Invalid(f"{where}: indicator {ind.id!r} needs direction higher|lower and positive weight/points")
    if any(p > ind.max_points for _, p in bands):
        raise Invalid(f"{where}: indicator {ind.id!r} has a band above max_points")
    return ind


def files() -> list[str]:
    """The methodology versions in the repository."""
    return sorted(p.stem for p in FOLDER.glob("*.yaml"))


@lru_cache(maxsize=16)
def load(version: str) -> Methodology:
    """A methodology by version (e.g. citi-v1); NotFound when there is no such file."""
    if version not in files():
        raise NotFound(f"no methodology {version!r}; known: {', '.join(files())}")
    raw = yaml.safe_load((FOLDER / f"{version}.yaml").read_text(encoding="utf-8"))
    inds = tuple(_indicator(d, version) for d in raw.get("indicators", ()))
    if len({i.id for i in inds}) != len(inds):
        raise Invalid(f"{version}: indicator ids repeat")
    return Methodology(raw["id"], raw["version"], raw["title"], raw["summary"], raw.get("year_rule", {}), inds,
                       raw)


def latest(index_id: str) -> Methodology:
    """The newest methodology version of an index (citi, scti, piti, decra)."""
    found = sorted((v for v in files() if v.startswith(f"{index_id}-v")), key=lambda v: int(v.rsplit("v", 1)[1]))
    if not found:
        raise NotFound(f"no methodology for {index_id!r}")
    return load(found[-1])
