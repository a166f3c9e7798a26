"""Texts of the workflow pages: key -> (Chinese, English)."""

TEXT: dict[str, tuple[str, str]] = {
}
