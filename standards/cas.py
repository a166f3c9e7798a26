"""CAS Registry Numbers: the shape NNNNNNN-NN-N and the check digit.

The check digit is the sum of the other digits, each multiplied by its position counted from the right
(the digit before the check digit is position 1), modulo 10: for water, 7732-18-5, 8x1 + 1x2 + 2x3 + 3x4 + 7x5
+ 7x6 = 105, and 105 mod 10 = 5.
"""

from __future__ import annotations

import re
import unicodedata

_SHAPE = re.compile(r"(\d{2,7})-(\d{2})-(\d)")


class InvalidCAS(ValueError):
    """The text is not a valid CAS number; the message says why."""


def check_digit(digits: str) -> int:
    """The check digit of the digits before it (the first two groups run together)."""
    return sum(int(d) * i for i, d in enumerate(reversed(digits), 1)) % 10


def validate(text: str) -> str:
    """The CAS number in its usual form (no leading zeros), or InvalidCAS with the reason."""
    code = re.sub(r"\s", "", unicodedata.normalize("NFKC", text or ""))
    code = code.replace("‐", "-").replace("–", "-")
    m = _SHAPE.fullmatch(code)
    if m is None:
        raise InvalidCAS(f"{text!r} is not shaped like a CAS number (2 to 7 digits, 2 digits, 1 check digit: "
                         "7732-18-5)")
    first, second, check = m.groups()
    first = first.lstrip("0") or "0"
    if len(first) < 2:
        raise InvalidCAS(f"{text!r}: the first group of a CAS number has at least 2 digits")
    expected = check_digit(first + second)
    if expected != int(check):
        raise InvalidCAS(f"check digit of {first}-{second}-{check} should be {expected}, not {check}")
    return f"{first}-{second}-{check}"


def is_valid(text: str) -> bool:
    """Whether `text` is a valid CAS number."""
    try:
        validate(text)
    except InvalidCAS:
        return False
    return True
