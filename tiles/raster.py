"""PNG raster tiles of a surface GeoTIFF (EPSG:3857), coloured by PM2.5 classes of the AQI standard."""

from __future__ import annotations

import io
from pathlib import Path

import mercantile
import numpy as np
import rasterio
from PIL import Image
from rasterio.enums import Resampling
from rasterio.windows import from_bounds

from standards import aqi

SIZE = 256
ALPHA = 170


def pm25_classes(version: str) -> list[tuple[float, float | None, str, str, str]]:
    """(low, high, colour, name_zh, name_en) of each PM2.5 24-hour class of the AQI version."""
    bp = aqi.BREAKPOINTS[version][("pm25", "24h")]
    out = []
    for i, cat in enumerate(aqi.CATEGORIES):
        high = bp[i + 1] if i + 1 < 6 else None
        low = bp[i]
        assert low is not None
        out.append((float(low), None if high is None else float(high), cat.colour, cat.name_zh, cat.name_en))
    return out


def colourise(values: np.ndarray, valid: np.ndarray, version: str) -> np.ndarray:
    """RGBA pixels: each value in its class colour; invalid pixels transparent."""
    classes = pm25_classes(version)
    uppers = np.array([c[1] for c in classes[:-1]], dtype=float)
    palette = np.array([[int(c[2][i:i + 2], 16) for i in (1, 3, 5)] + [ALPHA] for c in classes], dtype=np.uint8)
    idx = np.searchsorted(uppers, values, side="left")  # limit-equal values stay in the better class
    rgba = palette[np.clip(idx, 0, len(classes) - 1)]
    rgba[~valid] = 0
    return rgba


def _png(rgba: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "PNG", optimize=True)
    return buf.getvalue()


# Off the surface a tile is fully transparent (map clients handle an image more gracefully than a 204).
EMPTY = _png(np.zeros((SIZE, SIZE, 4), dtype=np.uint8))


def render_png(path: Path, z: int, x: int, y: int, version: str) -> bytes:
    """The PNG of tile z/x/y over the surface at `path` (transparent where there is no surface)."""
    b = mercantile.xy_bounds(x, y, z)
    with rasterio.open(path) as src:
        left, bt, r, t = src.bounds
        if b.right <= left or b.left >= r or b.top <= bt or b.bottom >= t:
            return EMPTY
        window = from_bounds(b.left, b.bottom, b.right, b.top, src.transform)
        data = src.read(1, window=window, out_shape=(SIZE, SIZE), boundless=True, fill_value=src.nodata,
                        resampling=Resampling.bilinear, masked=True)
    valid = ~np.ma.getmaskarray(data)
    if not valid.any():
        return EMPTY
    return _png(colourise(np.ma.filled(data, 0).astype(float), valid, version))
