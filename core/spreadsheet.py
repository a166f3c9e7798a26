"""Values for spreadsheet cells (CSV, XLSX) that a spreadsheet program never runs as a formula.

OWASP's CSV-injection guidance: a text value starting with = + - @, a tab or a carriage return is read as a
formula (or a DDE command) by Excel, LibreOffice and Google Sheets; such a value is written with a single quote
before it, which those programs show as text. Numbers stay numbers.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """`value` as a cell holds it safely: text that could start a formula gets a leading single quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
