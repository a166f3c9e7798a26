"""Texts of the realdata pages: key -> (Chinese, English)."""

TEXT: dict[str, tuple[str, str]] = {
}
