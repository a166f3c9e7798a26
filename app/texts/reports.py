"""Texts of the reports pages: key -> (Chinese, English)."""

TEXT: dict[str, tuple[str, str]] = {
}
