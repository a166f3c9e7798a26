"""The one argument parser: typed values or Invalid with a reason naming the argument."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core import parse
from core.errors import DomainError, Invalid, NotFound, TooManyRequests


@pytest.mark.parametrize("raw,value", [("true", True), ("1", True), ("yes", True), ("是", True), ("FALSE", False),
                                       ("0", False), ("no", False), ("否", False), (True, True)])
def test_boolean(raw, value):
    assert parse.boolean("flag", raw) is value


def test_boolean_refuses_other_words_and_uses_the_default_when_missing():
    with pytest.raises(Invalid, match="flag must be true or false"):
        parse.boolean("flag", "maybe")
    assert parse.boolean("flag", "", default=False) is False
    with pytest.raises(Invalid, match="flag is required"):
        parse.boolean("flag", None)


def test_integer_bounds_and_garbage():
    assert parse.integer("limit", "25", 1, 100) == 25
    assert parse.integer("limit", "", 1, 100, default=10) == 10
    for bad in ("0", "101", "2.5", "ten", "1e3"):
        with pytest.raises(Invalid, match="limit must be an integer from 1 to 100"):
            parse.integer("limit", bad, 1, 100)
    with pytest.raises(Invalid):
        parse.integer("limit", True)


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf", "abc", "1,5"])
def test_number_must_be_finite(bad):
    with pytest.raises(Invalid, match="lat must be"):
        parse.number("lat", bad)


def test_number_range_and_missing_words():
    assert parse.number("lat", " 39.9 ", -90, 90) == 39.9
    with pytest.raises(Invalid, match="from -90 to 90"):
        parse.number("lat", "91", -90, 90)
    assert parse.number("pm25", "NA", default=None, missing=("na",)) is None


def test_day_strict_and_loose_forms():
    assert parse.day("since", "2024-02-29") == date(2024, 2, 29)
    with pytest.raises(Invalid, match="since must be a date YYYY-MM-DD"):
        parse.day("since", "2024/02/29")
    for text in ("2024/2/29", "2024.02.29", "2024年2月29日", "20240229"):
        assert parse.day("date", text, loose=True) == date(2024, 2, 29)
    with pytest.raises(Invalid, match="impossible date"):
        parse.day("date", "2023-02-29")


def test_instant_needs_a_time_zone_and_is_returned_in_utc():
    assert parse.instant("time", "2026-03-01T08:00:00+08:00") == datetime(2026, 3, 1, 0, tzinfo=UTC)
    assert parse.instant("time", "2026-03-01T00:00:00Z") == datetime(2026, 3, 1, 0, tzinfo=UTC)
    with pytest.raises(Invalid, match="time zone"):
        parse.instant("time", "2026-03-01T08:00:00")


def test_choices():
    assert parse.choice("metric", "total", ("total", "per_capita")) == "total"
    assert parse.choice("metric", "", ("total",), default="total") == "total"
    with pytest.raises(Invalid, match="metric must be one of total, per_capita"):
        parse.choice("metric", "gdp", ("total", "per_capita"))
    assert parse.choice_list("status", "open,explained,open", ("open", "explained")) == ["explained", "open"]
    with pytest.raises(Invalid):
        parse.choice_list("status", "open,bogus", ("open",))


@pytest.mark.parametrize("bad", ["1,2,3", "a,b,c,d", "10,20,5,30", "10,30,20,20", "-181,0,0,1", "0,-91,1,0",
                                 "nan,0,1,1"])
def test_bbox_refuses(bad):
    with pytest.raises(Invalid, match="bbox"):
        parse.bbox("bbox", bad)


def test_bbox_and_its_3d_form():
    assert parse.bbox("bbox", "116,39,117,40") == (116.0, 39.0, 117.0, 40.0)
    assert parse.bbox("bbox", "116,39,0,117,40,100", allow_3d=True) == (116.0, 39.0, 117.0, 40.0)


def test_tile_address_inside_the_pyramid():
    assert parse.tile_address("3", "7", "0") == (3, 7, 0)
    with pytest.raises(Invalid, match="x and y run from 0 to 7"):
        parse.tile_address(3, 8, 0)
    with pytest.raises(Invalid, match="zoom 23 outside"):
        parse.tile_address(23, 0, 0)
    with pytest.raises(Invalid, match="must be integers"):
        parse.tile_address("a", 0, 0)


def test_polygon_checks_type_validity_and_bounds():
    square = '{"type": "Polygon", "coordinates": [[[116, 39], [117, 39], [117, 40], [116, 40], [116, 39]]]}'
    text, bounds = parse.polygon("polygon", square)
    assert bounds == (116.0, 39.0, 117.0, 40.0) and '"Polygon"' in text
    bowtie = '{"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}'
    with pytest.raises(Invalid, match="not valid"):
        parse.polygon("polygon", bowtie)
    with pytest.raises(Invalid, match="Polygon or MultiPolygon"):
        parse.polygon("polygon", '{"type": "Point", "coordinates": [0, 0]}')
    with pytest.raises(Invalid, match="JSON"):
        parse.polygon("polygon", "{not json")


def test_area_code_and_text():
    assert parse.area_code("area", " 110000 ") == "110000"
    with pytest.raises(Invalid, match="6-digit GB/T 2260"):
        parse.area_code("area", "11")
    with pytest.raises(Invalid, match="1 to 5 characters"):
        parse.text("q", "toolong", max_len=5)


def test_errors_carry_no_status_and_map_by_class():
    from app.errors import status_of

    class Limited(TooManyRequests, Invalid):
        pass

    assert not hasattr(Invalid("x"), "status")
    assert status_of(Invalid("x")) == 400 and status_of(NotFound("x")) == 404
    assert status_of(Limited("x")) == 429  # the first mapped class in the MRO wins
    assert status_of(DomainError("x")) == 400


@pytest.mark.parametrize("bad", ["a\x00b", "\x00", "x\x1by", "del\x7f"])
def test_text_refuses_control_characters(bad):
    with pytest.raises(Invalid, match="control characters"):
        parse.text("q", bad)
    with pytest.raises(Invalid):
        parse.choice("kind", bad, ("a",))
    assert parse.clean("q", "line one\nline two\tend") == "line one\nline two\tend"


def test_bbox_may_be_degenerate_where_ogc_allows_it():
    assert parse.bbox("bbox", "0,0,0,0", allow_degenerate=True) == (0.0, 0.0, 0.0, 0.0)
    with pytest.raises(Invalid):
        parse.bbox("bbox", "0,0,0,0")
    with pytest.raises(Invalid):
        parse.bbox("bbox", "1,0,0,0", allow_degenerate=True)
