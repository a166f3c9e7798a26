"""Unified Social Credit Code (GB 32100-2015) checks and legacy identifiers, on top of python-stdnum."""

from __future__ import annotations

import re
import unicodedata

from stdnum.cn import uscc as _uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation-code weights
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(_ALPHABET)}
_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # GB 32100: W_i = 3^(i-1) mod 31
_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")


class InvalidUSCC(ValueError):
    """The text is not a valid Unified Social Credit Code; the message says why."""


def normalise(text: str) -> str:
    """Full-width to half-width, spaces and hyphens removed, upper case."""
    return re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", text)).upper()


def _check_digit(first17: str) -> str:
    total = sum(_VALUE[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _ALPHABET[-total % 31]


def validate(text: str) -> str:
    """The normalised USCC, or InvalidUSCC with a reason a user can act on."""
    code = text if _SHAPE.fullmatch(text) else normalise(text)
    # Fast path for bulk loads; anything unusual goes through python-stdnum for its diagnosis.
    if _SHAPE.fullmatch(code) and _check_digit(code[:17]) == code[17]:
        return code
    try:
        return _uscc.validate(code)
    except InvalidLength:
        raise InvalidUSCC(f"a USCC has 18 characters, {code!r} has {len(code)}") from None
    except InvalidChecksum:
        expected = _uscc.calc_check_digit(code)
        raise InvalidUSCC(f"check digit of {code} should be {expected!r}, not {code[-1]!r}") from None
    except InvalidFormat:
        raise InvalidUSCC(f"{code!r} has characters a USCC cannot hold (I, O, S, V, Z or punctuation)") from None
    except ValidationError as exc:  # pragma: no cover - stdnum's other errors
        raise InvalidUSCC(f"{code!r}: {exc}") from None


def is_valid(text: str) -> bool:
    """True for a valid USCC (after normalisation)."""
    try:
        validate(text)
        return True
    except InvalidUSCC:
        return False


def kind_of(text: str) -> str | None:
    """Which identifier a string looks like: 'uscc', 'registration_no' (15 digits), 'organisation_code'."""
    code = normalise(text)
    if len(code) == 18 and re.fullmatch(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}", code):
        return "uscc"
    if re.fullmatch(r"\d{15}", code):
        return "registration_no"
    if re.fullmatch(r"[0-9A-Z]{8}[0-9X]", code):
        return "organisation_code"
    return None


def organisation_check(body: str) -> str:
    """GB 11714 check character of an 8-character organisation-code body."""
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def make(area_code: str, serial: int, registrar: str = "91") -> str:
    """A well-formed USCC for an enterprise registered in `area_code` (used by the synthetic generator)."""
    body = f"{serial % 10**8:08d}"
    first17 = f"{registrar}{area_code}{body}{organisation_check(body)}"
    return first17 + _uscc.calc_check_digit(first17 + "0")
