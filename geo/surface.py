"""A PM2.5 surface from station values: inverse-distance weighting onto a web-mercator grid, written as a COG."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

R = 6378137.0  # web mercator sphere radius (m)
NODATA = -9999.0
PIXEL_M = 250.0  # ground-ish resolution at Beijing's latitude, in projected metres
MARGIN_M = 25_000.0  # the surface extends this far beyond the outermost stations, no further
POWER = 2.0


@dataclass(frozen=True)
class StationValue:
    """One station's value at the chosen time, at its WGS84 position."""

    lon: float
    lat: float
    value: float


def mercator(lon: float, lat: float) -> tuple[float, float]:
    """EPSG:4326 -> EPSG:3857 metres."""
    return math.radians(lon) * R, math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * R


def idw(points: Sequence[StationValue], pixel_m: float = PIXEL_M, margin_m: float = MARGIN_M,
        power: float = POWER) -> tuple[np.ndarray, rasterio.Affine]:
    """IDW grid (float32, NODATA outside `margin_m` of every station) and its EPSG:3857 transform."""
    if len(points) < 3:
        raise ValueError(f"need values from at least 3 stations to interpolate, got {len(points)}")
    xy = np.array([mercator(p.lon, p.lat) for p in points])
    vals = np.array([p.value for p in points], dtype=float)
    # Mercator stretches distances by 1/cos(lat); weights use ground metres.
    scale = math.cos(math.radians(float(np.mean([p.lat for p in points]))))
    x0, y0 = xy.min(axis=0) - margin_m / scale
    x1, y1 = xy.max(axis=0) + margin_m / scale
    step = pixel_m / scale
    width, height = int(math.ceil((x1 - x0) / step)), int(math.ceil((y1 - y0) / step))
    transform = from_origin(x0, y1, step, step)
    cx = x0 + (np.arange(width) + 0.5) * step
    cy = y1 - (np.arange(height) + 0.5) * step
    gx, gy = np.meshgrid(cx, cy)
    d = np.hypot(gx[..., None] - xy[:, 0], gy[..., None] - xy[:, 1]) * scale  # (h, w, n) ground metres
    nearest = d.min(axis=-1)
    with np.errstate(divide="ignore"):
        w = 1.0 / np.maximum(d, 1.0) ** power
    grid = (w * vals).sum(axis=-1) / w.sum(axis=-1)
    grid[nearest > margin_m] = NODATA
    return grid.astype(np.float32), transform


def write_cog(path: Path, grid: np.ndarray, transform, tags: dict[str, str]) -> Path:
    """A Cloud-Optimised GeoTIFF (EPSG:3857, deflate, internal overviews) of the grid, written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{np.random.default_rng().integers(1 << 30)}.tmp")
    profile = {"driver": "COG", "dtype": "float32", "count": 1, "width": grid.shape[1], "height": grid.shape[0],
               "crs": "EPSG:3857", "transform": transform, "nodata": NODATA, "compress": "deflate",
               "blocksize": 256, "overview_resampling": "average"}
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(grid, 1)
        dst.update_tags(**tags)
    tmp.replace(path)
    return path
