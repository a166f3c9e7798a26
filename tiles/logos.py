"""Brand logo uploads: PNG or SVG, checked by content, SVG sanitised and rasterised, resized for the sprite.

- PNG: the 8-byte signature, then Pillow must decode the whole image (at most 4096 x 4096 pixels).
- SVG: parsed as XML with entity and DTD expansion refused (defusedxml); no scripts, event handlers,
  foreignObject, external references (only `#fragment` and embedded `data:image/png|jpeg` images), or CSS
  imports; then rasterised by CairoSVG with file and network access off. The SVG is kept as uploaded but
  never served: pages and the sprite use the rasterised PNG.
- Stored: the upload, its type, and a PNG fitted into LOGO_PX x LOGO_PX (the sprite's @2x logo size).
"""

from __future__ import annotations

import io
import re

from PIL import Image

from core.errors import Invalid
from tiles.sprites import LOGO

MAX_BYTES = 512 * 1024
MAX_PIXELS = 4096 * 4096
LOGO_PX = LOGO * 2
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SVG_NS = "http://www.w3.org/2000/svg"
FORBIDDEN_TAGS = {"script", "foreignobject", "iframe", "embed", "object", "audio", "video", "handler",
                  "listener", "set", "animate", "animatemotion", "animatetransform"}
_URL = re.compile(r"url\(\s*['\"]?\s*([^)'\"\s]*)", re.I)
_SAFE_DATA = re.compile(r"^data:image/(png|jpeg);base64,", re.I)


class LogoError(Invalid):
    """A logo that is refused; the message says why."""


def svg_available() -> bool:
    """True when CairoSVG (and the cairo library under it) can be loaded here."""
    try:
        import cairosvg  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def check_svg(data: bytes) -> None:
    """LogoError unless `data` is a self-contained SVG without active content."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    if b"<!DOCTYPE" in data[:4096].upper().replace(b" ", b"") or b"<!ENTITY" in data.upper():
        raise LogoError("SVG with a DOCTYPE or entities is refused")
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise LogoError(f"not a well-formed SVG file: {exc}") from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise LogoError("not an SVG file: the root element must be <svg> in the SVG namespace")
    for el in root.iter():
        name = _local(el.tag)
        if name in FORBIDDEN_TAGS:
            raise LogoError(f"SVG element <{name}> is not allowed in a logo")
        for attr, value in el.attrib.items():
            a = _local(attr)
            if a.startswith("on"):
                raise LogoError(f"SVG event handler {a!r} is not allowed in a logo")
            if a == "href" and not (value.startswith("#") or _SAFE_DATA.match(value.strip())):
                raise LogoError(f"SVG reference {value[:60]!r} is not allowed: logos must be self-contained")
            for target in _URL.findall(value):
                if target and not target.startswith("#"):
                    raise LogoError(f"SVG url({target[:60]}) is not allowed: logos must be self-contained")
        if name == "style":
            text = el.text or ""
            if "@import" in text.lower() or any(t and not t.startswith("#") for t in _URL.findall(text)):
                raise LogoError("SVG styles may not import or reference other files")


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
        check_svg(data)
        if not svg_available():
            raise LogoError("SVG logos need CairoSVG and the cairo library, which are not installed here: "
                            "upload a PNG")
        import cairosvg

        try:
            png = cairosvg.svg2png(bytestring=data, output_width=LOGO_PX * 4, unsafe=False)
        except Exception as exc:  # noqa: BLE001 - any rendering failure means an unusable file
            raise LogoError(f"the SVG cannot be drawn: {exc}") from None
        with Image.open(io.BytesIO(png)) as img:
            return "image/svg+xml", _fit(img)
    raise LogoError("a logo must be a PNG or SVG file (checked by content, not by name)")
