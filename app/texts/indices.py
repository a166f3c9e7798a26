"""Texts of the indices pages: key -> (Chinese, English)."""

TEXT: dict[str, tuple[str, str]] = {
}
