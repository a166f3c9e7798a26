"""Texts of the basemap pages: key -> (Chinese, English)."""

TEXT: dict[str, tuple[str, str]] = {
}
