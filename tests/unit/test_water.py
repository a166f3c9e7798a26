"""GB 3838-2002 classes at their limits: limit-equal goes to the better class; DO is a lower bound."""

import pytest

from standards import water


@pytest.mark.parametrize("item", [i for i in water.LIMITS if not i.startswith("tp_")])
def test_every_limit_is_inclusive_and_just_above_is_worse(item):
    limits = water.LIMITS[item]
    for i, limit in enumerate(limits):
        cls = water.item_class(item, limit)
        assert water.CLASSES.index(cls) <= i
        assert cls == water.CLASSES[limits.index(limit)]
    assert water.item_class(item, limits[-1] * 1.0001) == "劣V"


def test_shared_limits_go_to_the_better_class():
    assert water.item_class("cod", 15) == "I"
    assert water.item_class("cod", 15.1) == "III"
    assert water.item_class("bod5", 3) == "I"
    assert water.item_class("bod5", 3.01) == "III"


def test_dissolved_oxygen_is_a_lower_bound():
    assert water.item_class("do", 7.5) == "I"
    assert water.item_class("do", 7.49) == "II"
    assert water.item_class("do", 2) == "V"
    assert water.item_class("do", 1.99) == "劣V"


def test_ph_outside_6_to_9_is_worse_than_v():
    assert water.item_class("ph", 6) == "I" and water.item_class("ph", 9) == "I"
    assert water.item_class("ph", 5.9) == "劣V" and water.item_class("ph", 9.1) == "劣V"


def test_lake_phosphorus_is_stricter_than_river():
    assert water.item_class("tp", 0.05, "river") == "II"
    assert water.item_class("tp", 0.05, "lake") == "III"
    assert water.item_class("tp", 0.05, "reservoir") == "III"


def test_single_factor_worst_class_and_multiples():
    r = water.classify({"cod": 15, "do": 6.5, "nh3n": 2.5, "tp": 0.1, "tn": 5.0, "fecal_coliform": 1e6})
    assert r.cls == "劣V" and r.determining == ("nh3n",)
    assert r.exceedance == {"nh3n": 1.5}
    assert "tn" not in r.item_classes and "fecal_coliform" not in r.item_classes
    assert water.STATUS[r.cls] == ("重度污染", "Heavily polluted")


def test_empty_sample_has_no_class():
    assert water.classify({}).cls is None
