"""Supplier-list rows without a database: tier synonyms, duplicate rows, candidate confidence, safe cells."""

from __future__ import annotations

import pytest

from core.spreadsheet import safe_cell
from standards.uscc import make
from supply.chain import TIERS
from supply.duplicates import mark_duplicates
from supply.matching import AUTO_LINK, REVIEW, _candidate
from supply.rows import check_references, parse_row

U1, U2 = make("440300", 12345678), make("110000", 87654321)


def _row(line, **cells):
    return parse_row(line, {"name": f"Supplier {line}", **cells}, "wgs84", False)


@pytest.mark.parametrize("written,tier", [
    ("零售与分销", "retail_distribution"), ("制造与组装", "manufacturing_assembly"),
    ("Retail & Distribution", "retail_distribution"), ("Manufacturing & Assembly", "manufacturing_assembly"),
    ("manufacturing and assembly", "manufacturing_assembly"), ("RAW MATERIALS", "raw_materials"),
    ("Direct Suppliers", "direct_supplier"), ("waste-treatment", "waste_treatment"),
    ("Tier 1", "raw_materials"), ("T2", "processing"), ("tier3", "manufacturing_assembly"),
    ("ＴＩＥＲ　４", "direct_supplier"), ("５", "waste_treatment"), ("6", "packaging"), ("7", "retail_distribution"),
    ("制造组装", "manufacturing_assembly"), ("零售／分销", "retail_distribution"), (" 包装 ", "packaging"),
    ("retail_distribution", "retail_distribution"),
])
def test_tier_synonyms_are_accepted(written, tier):
    r = _row(2, tier=written)
    assert not r.bad, r.reason
    assert r.tier == tier


def test_numbers_follow_the_programme_order():
    assert [_row(2, tier=str(n)).tier for n in range(1, 8)] == list(TIERS)


@pytest.mark.parametrize("written", ["8", "Tier 9", "T0", "supplier", "零售商"])
def test_an_unknown_tier_is_one_reason_naming_the_accepted_values(written):
    r = _row(2, tier=written)
    assert r.bad and r.outcome == "rejected"
    assert r.reason.startswith(f"tier: unknown tier {written!r}")
    for n, tier in enumerate(TIERS, 1):
        assert f"{n} {tier}" in r.reason
    assert "Retail & Distribution" in r.reason and "制造与组装" in r.reason


def test_duplicates_are_reported_as_duplicates_of_the_first_row():
    rows = [
        _row(2, ref="A", uscc=U1, lon="113.0", lat="23.0", public="yes"),
        _row(3, ref="B", name="Other name", uscc=U1, lon="114.0", lat="24.0", public="no"),
        _row(4, ref="C", name="深圳华强电子有限公司", lon="113.5", lat="23.5"),
        _row(5, ref="D", name="深圳华强电子公司", lon="113.5005", lat="23.5003"),  # ~60 m away
        _row(6, ref="E", name="深圳华强电子有限公司", lon="113.51", lat="23.5", parent="D"),  # ~1 km: not one
        _row(7, ref="F", name="Leaf", lon="110", lat="30", parent="D"),
    ]
    for r in rows:
        assert not r.bad, r.reason
    check_references(rows)
    assert mark_duplicates(rows) == 2
    by_ref = {r.ref: r for r in rows}
    assert by_ref["B"].duplicate_of == 2 and by_ref["B"].outcome == "rejected" and not by_ref["B"].bad
    assert "duplicate of line 2" in by_ref["B"].reason and U1 in by_ref["B"].reason
    assert by_ref["A"].public is False  # a private repeat keeps the link private
    assert by_ref["D"].duplicate_of == 4 and "m away" in by_ref["D"].reason
    assert by_ref["E"].duplicate_of is None and by_ref["C"].duplicate_of is None
    assert by_ref["F"].parent_ref == "C" and by_ref["E"].parent_ref == "C"  # the first row stands for D


def test_rows_of_two_companies_of_one_name_are_no_duplicates():
    rows = [_row(2, name="Acme", uscc=U1, lon="113", lat="23"),
            _row(3, name="Acme", uscc=U2, lon="113", lat="23")]
    assert not any(r.bad for r in rows)
    assert mark_duplicates(rows) == 0


def _rec(code, synthetic, sim=0.93, dist=0.0):
    return (0, 1, "名称", "Name", None, code, synthetic, sim, dist)


def test_a_synthetic_uscc_on_file_does_not_count_against_a_candidate():
    row_uscc = U1
    assert _candidate(_rec(U2, True), row_uscc)["confidence"] >= AUTO_LINK
    real = _candidate(_rec(U2, False), row_uscc)["confidence"]
    assert real < REVIEW  # a real mismatch keeps the penalty
    assert _candidate(_rec(row_uscc, False), row_uscc)["confidence"] >= AUTO_LINK


@pytest.mark.parametrize("value,expected", [
    ("=1+1", "'=1+1"), ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"), ("@SUM(1+1)", "'@SUM(1+1)"), ("-2+3", "'-2+3"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain", "plain"), ("", ""), ("a=b", "a=b"),
    (-3, -3), (2.5, 2.5), (None, None), (True, True),
])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected
