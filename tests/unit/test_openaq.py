"""OpenAQ v3 mapping: units to ours, locations to stations, hourly periods to our hours, paging (recorded files)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.errors import Invalid
from ingest import openaq

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "openaq"


@pytest.mark.parametrize(("parameter", "value", "unit", "want"), [
    ("pm25", 35.0, "µg/m³", 35.0),
    ("co", 1.0, "ppm", 28.010 / 24.45),             # mg/m3 at 25 °C, 1 atm
    ("co", 1145.0, "µg/m³", 1.145),                 # CO is stored in mg/m3
    ("no2", 0.021, "ppm", 0.021 * 46.0055 * 1000 / 24.45),
    ("o3", 30.0, "ppb", 30.0 * 47.997 / 24.45),
    ("so2", 6.0, "μg/m3", 6.0),
])
def test_units_become_ours(parameter, value, unit, want):
    assert openaq.value_in_our_unit(parameter, value, unit) == pytest.approx(want, rel=1e-9)


def test_particles_in_ppm_or_unknown_units_are_refused():
    with pytest.raises(Invalid, match="cannot be converted"):
        openaq.value_in_our_unit("pm25", 1.0, "ppm")
    with pytest.raises(Invalid):
        openaq.value_in_our_unit("no2", 1.0, "furlongs")


def test_locations_keep_our_parameters_and_need_coordinates():
    items = json.loads((FIXTURES / "locations.json").read_text(encoding="utf-8"))["results"]
    mapped = [openaq.location(i) for i in items]
    assert mapped[1] is None and mapped[2] is None  # no coordinates; black carbon only
    loc = mapped[0]
    assert loc.code == "openaq-7001" and (loc.lon, loc.lat) == (116.4174, 39.9289)
    assert {p for p, _ in loc.sensors.values()} == {"pm25", "pm10", "so2", "no2", "o3", "co"}
    assert "China National Environmental Monitoring Centre" in loc.providers


def test_an_hourly_mean_belongs_to_the_hour_it_ends():
    item = json.loads((FIXTURES / "sensors_9001_hours.json").read_text(encoding="utf-8"))["results"][0]
    assert openaq.hour_of(item) == datetime(2026, 11, 28, 1, tzinfo=UTC)


def test_pages_follow_until_a_short_page(tmp_path, monkeypatch):
    monkeypatch.setattr(openaq, "PAGE", 2)
    for page, n in ((1, 2), (2, 2), (3, 1)):
        name = "locations" + (f"_p{page}" if page > 1 else "")
        (tmp_path / f"{name}.json").write_text(json.dumps({"results": [{"id": page * 10 + i} for i in range(n)]}))
    got = [r["id"] for r in openaq.pages(openaq.replay(tmp_path), "/locations", {"iso": "CN"})]
    assert got == [10, 11, 20, 21, 30]
