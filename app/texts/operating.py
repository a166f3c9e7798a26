"""Texts of the operating pages: key -> (Chinese, English)."""

TEXT: dict[str, tuple[str, str]] = {
}
