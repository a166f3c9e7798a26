"""Unified Social Credit Code checks (GB 32100) and legacy identifiers."""

import pytest

from standards import uscc


@pytest.mark.parametrize("code", ["91110108551385082Q", "91110000600037341L"])
def test_reference_vectors_are_valid(code):
    assert uscc.validate(code) == code


def test_wrong_check_digit_names_the_right_one():
    with pytest.raises(uscc.InvalidUSCC, match="should be 'Q'"):
        uscc.validate("91110108551385082A")


def test_length_and_alphabet_errors():
    with pytest.raises(uscc.InvalidUSCC, match="18 characters"):
        uscc.validate("9111010855138508")
    with pytest.raises(uscc.InvalidUSCC, match="cannot hold"):
        uscc.validate("9111010855138508IQ")


def test_normalisation_full_width_spaces_lower_case():
    assert uscc.validate("９１１１０１０８５５１３８５０８２ｑ") == "91110108551385082Q"
    assert uscc.validate(" 911101-0855138 5082q ") == "91110108551385082Q"


def test_embedded_organisation_code_check():
    assert uscc.organisation_check("55138508") == "2"
    assert uscc.organisation_check("60003734") == "1"


def test_generated_codes_are_valid():
    for serial in (0, 1, 12345678, 99999999):
        code = uscc.make("320500", serial)
        assert uscc.is_valid(code)
        assert code[2:8] == "320500"
        assert code[16] == uscc.organisation_check(code[8:16])


def test_kind_of_legacy_identifiers():
    assert uscc.kind_of("91110108551385082Q") == "uscc"
    assert uscc.kind_of("110108012345678") == "registration_no"
    assert uscc.kind_of("55138508-2") == "organisation_code"
    assert uscc.kind_of("水泥") is None


def test_fast_path_agrees_with_python_stdnum():
    import random

    from stdnum.cn import uscc as reference

    rng = random.Random(7)
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for _ in range(3000):
        code = f"{rng.randrange(10**8):08d}" + "".join(
            rng.choice(alphabet) for _ in range(10))
        assert uscc.is_valid(code) == reference.is_valid(code), code
        fixed = code[:17] + reference.calc_check_digit(code)
        assert uscc.is_valid(fixed) and reference.is_valid(fixed)


def test_letter_registrars_allowed_by_gb32100():
    # python-stdnum insists on digits in positions 1-2; GB 32100 also allows A, N and Y registrars.
    first17 = "N2110108551385082"
    code = uscc.make("110108", 55138508, registrar="N2")
    assert code.startswith(first17[:8]) and uscc.is_valid(code)
