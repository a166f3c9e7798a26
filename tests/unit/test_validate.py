"""Row checks used by the file loaders."""

from datetime import date

import pytest

from ingest import checks as v
from ingest.report import RowError


@pytest.mark.parametrize("text", ["2024-03-05", "2024/3/5", "2024.03.05", "2024年3月5日", "20240305"])
def test_dates_in_common_forms(text):
    assert v.parse_date({"date": text}, "date") == date(2024, 3, 5)


@pytest.mark.parametrize("text,reason", [("2024-02-30", "impossible"), ("next tuesday", "must be a date"),
                                         ("", "missing")])
def test_bad_dates(text, reason):
    with pytest.raises(RowError, match=reason):
        v.parse_date({"date": text}, "date")


def test_point_outside_china_and_swapped_hint():
    with pytest.raises(RowError, match="outside China"):
        v.point({"lon": "2.35", "lat": "48.85"}, "wgs84")
    with pytest.raises(RowError, match="swapped"):
        v.point({"lon": "39.9", "lat": "116.4"}, "wgs84")


def test_point_non_numeric_and_missing():
    with pytest.raises(RowError, match="not a number"):
        v.point({"lon": "east", "lat": "39.9"}, "wgs84")
    with pytest.raises(RowError, match="missing"):
        v.point({"lon": "", "lat": "39.9"}, "wgs84")


def test_point_converts_gcj02():
    lon, lat = v.point({"lon": "116.403744", "lat": "39.910103"}, "gcj02")
    assert lon == pytest.approx(116.3975, abs=1e-5) and lat == pytest.approx(39.9087, abs=1e-5)


def test_industry_codes_and_labels():
    assert v.industry({"industry": "水泥制造"}) == "cement"
    assert v.industry({"industry": "Cement"}) == "cement"
    assert v.industry({"industry": ""}) == "other"
    with pytest.raises(RowError, match="unknown industry"):
        v.industry({"industry": "spaceships"})
