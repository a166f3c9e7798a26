"""Brand logo uploads: PNG or SVG, checked by content, SVG sanitised and rasterised, resized for the sprite.

- PNG: the 8-byte signature, then Pillow must decode the whole image (at most 4096 x 4096 pixels).
- SVG: whitelisted by tiles.svg (drawing elements and attributes only; no DOCTYPE, processing
  instructions, <style>, <image>, scripts or external references; bounded size and <use> expansion), then the
  cleaned copy is rasterised by CairoSVG in a child process with time and memory limits. The SVG is kept as
  uploaded but never served: pages and the sprite use the rasterised PNG.
- Stored: the upload, its type, and a PNG fitted into LOGO_PX x LOGO_PX (the sprite's @2x logo size).
"""

from __future__ import annotations

import io

from PIL import Image

from tiles import svg
from tiles.sprites import LOGO
from tiles.svg import LogoError

__all__ = ["LogoError", "process", "svg_available"]

MAX_BYTES = 512 * 1024
MAX_PIXELS = 4096 * 4096
LOGO_PX = LOGO * 2
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def svg_available() -> bool:
    """True when CairoSVG (and the cairo library under it) can be loaded here."""
    try:
        import cairosvg  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def _fit(img: Image.Image) -> bytes:
    img = img.convert("RGBA")
    img.thumbnail((LOGO_PX, LOGO_PX), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def process(data: bytes) -> tuple[str, bytes]:
    """(MIME type, PNG for the sprite) of an uploaded logo, or LogoError."""
    if not data:
        raise LogoError("the file is empty")
    if len(data) > MAX_BYTES:
        raise LogoError(f"a logo of at most {MAX_BYTES // 1024} KB, this file has {len(data) // 1024} KB")
    if data.startswith(PNG_MAGIC):
        try:
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format != "PNG":
                    raise LogoError("not a PNG file")
                if probe.width * probe.height > MAX_PIXELS:
                    raise LogoError("a PNG of at most 4096 x 4096 pixels, this one is "
                                    f"{probe.width} x {probe.height}")
                probe.load()
                return "image/png", _fit(probe)
        except LogoError:
            raise
        except Exception as exc:  # noqa: BLE001 - any decoder failure means a broken file
            raise LogoError(f"the PNG file cannot be decoded: {exc}") from None
    head = data[:1024].lstrip().lower()
    if head.startswith(b"<?xml") or head.startswith(b"<svg") or b"<svg" in data[:4096].lower():
        cleaned = svg.clean(data, LOGO_PX * 4)
        if not svg_available():
            raise LogoError("SVG logos need CairoSVG and the cairo library, which are not installed here: "
                            "upload a PNG")
        with Image.open(io.BytesIO(svg.rasterise(cleaned))) as img:
            return "image/svg+xml", _fit(img)
    raise LogoError("a logo must be a PNG or SVG file (checked by content, not by name)")
