"""Texts of the alerts pages: key -> (Chinese, English)."""

TEXT: dict[str, tuple[str, str]] = {
}
