"""CAS Registry Number check digits."""

import pytest

from standards import cas


@pytest.mark.parametrize("code", ["7732-18-5", "50-00-0", "71-43-2", "7440-43-9", "7439-97-6", "107-06-2",
                                  "1336-36-3", "10102-44-0", "7664-93-9"])
def test_real_numbers_pass(code):
    assert cas.validate(code) == code
    assert cas.is_valid(code)


def test_water_check_digit_by_hand():
    # 8x1 + 1x2 + 2x3 + 3x4 + 7x5 + 7x6 = 105
    assert cas.check_digit("773218") == 5


def test_spaces_full_width_and_leading_zeros_are_normalised():
    assert cas.validate(" ７７３２-１８-５ ") == "7732-18-5"
    assert cas.validate("0007732-18-5") == "7732-18-5"


@pytest.mark.parametrize(("code", "why"), [
    ("7732-18-4", "should be 5, not 4"), ("50-00-1", "should be 0, not 1"), ("7732185", "not shaped"),
    ("7732-18", "not shaped"), ("12345678-12-3", "not shaped"), ("CAS-18-5", "not shaped"), ("", "not shaped"),
    ("5-00-0", "not shaped"), ("05-00-5", "at least 2 digits"),
])
def test_bad_numbers_are_refused_with_a_reason(code, why):
    with pytest.raises(cas.InvalidCAS, match=why):
        cas.validate(code)
    assert not cas.is_valid(code)
