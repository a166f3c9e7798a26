"""IDW surface and PM2.5 colouring: pure parts."""

from __future__ import annotations

import numpy as np
import pytest

from geo.surface import NODATA, StationValue, idw, mercator
from tiles.raster import colourise, pm25_classes

POINTS = [StationValue(116.30, 39.90, 20.0), StationValue(116.50, 39.95, 80.0), StationValue(116.40, 40.10, 140.0)]


def test_idw_stays_within_the_station_values_and_matches_them_at_the_stations():
    grid, transform = idw(POINTS)
    valid = grid[grid != NODATA]
    assert valid.min() >= 20.0 - 1e-3 and valid.max() <= 140.0 + 1e-3
    for p in POINTS:
        x, y = mercator(p.lon, p.lat)
        col, row = ~transform * (x, y)
        assert grid[int(row), int(col)] == pytest.approx(p.value, rel=0.02)


def test_idw_leaves_far_pixels_empty_and_needs_three_stations():
    grid, _ = idw(POINTS, margin_m=5000)
    assert (grid == NODATA).any() and (grid != NODATA).any()
    with pytest.raises(ValueError, match="at least 3"):
        idw(POINTS[:2])


@pytest.mark.parametrize("version, value, colour", [
    ("hj633_2012", 35.0, "#00e400"),   # limit-equal stays in the better class
    ("hj633_2012", 35.1, "#ffff00"),
    ("hj633_2012", 70.0, "#ffff00"),
    ("hj633_2026", 70.0, "#ff7e00"),   # the 2026 revision moved the node from 75 to 60
    ("hj633_2012", 400.0, "#7e0023"),
])
def test_colour_classes_follow_the_aqi_breakpoints(version, value, colour):
    rgba = colourise(np.array([[value]]), np.array([[True]]), version)
    assert "#" + "".join(f"{int(v):02x}" for v in rgba[0, 0, :3]) == colour and rgba[0, 0, 3] > 0
    assert len(pm25_classes(version)) == 6


def test_invalid_pixels_are_transparent():
    rgba = colourise(np.array([[50.0, 50.0]]), np.array([[True, False]]), "hj633_2012")
    assert rgba[0, 1, 3] == 0 and rgba[0, 0, 3] > 0
