"""Map label glyphs: signed-distance-field PBF ranges (the format MapLibre reads), CJK included."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import freetype
import numpy as np
from scipy import ndimage

from core.errors import Invalid, NotFound

# MapLibre lays glyphs out on a 24 px em with a 3 px SDF border; 192 marks the outline and one unit of
# distance is 8 px across the 0..255 range (the convention of the glyph PBFs every MapLibre style uses).
SIZE = 24
BUFFER = 3
CUTOFF = 0.25
RADIUS = 8
OVERSAMPLE = 4  # outlines are rasterised 4x larger, then the distance field is averaged back down

LATIN_DIRS = ("/usr/share/fonts/truetype/dejavu",)
CJK_FILES = ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
             "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")

# Public font stack names -> font files tried in order for each character (first with the glyph wins).
STACKS = {
    "Blue Map Sans Regular": ("DejaVuSans.ttf", "cjk"),
    "Blue Map Sans Bold": ("DejaVuSans-Bold.ttf", "cjk"),
    "Blue Map Sans Italic": ("DejaVuSans-Oblique.ttf", "cjk"),  # water names (Chinese characters stay upright)
}
DEFAULT_STACK = "Blue Map Sans Regular"


def _font_path(name: str) -> Path | None:
    if name == "cjk":
        return next((Path(p) for p in CJK_FILES if Path(p).exists()), None)
    return next((Path(d) / name for d in LATIN_DIRS if (Path(d) / name).exists()), None)


def stack_fonts(stack: str) -> list[Path]:
    """Font files behind a requested stack (comma-separated names; unknown names are skipped); NotFound if none."""
    paths: list[Path] = []
    for name in (n.strip() for n in stack.split(",")):
        for font in STACKS.get(name, ()):
            path = _font_path(font)
            if path and path not in paths:
                paths.append(path)
    if not paths:
        known = [n for n in stack.split(",") if n.strip() in STACKS]
        if known:
            raise NotFound("the fonts for this stack are not installed (fonts-dejavu-core, fonts-droid-fallback)")
        raise NotFound(f"unknown font stack {stack!r}; stacks: {', '.join(STACKS)}")
    return paths


def parse_range(text: str) -> int:
    """Start code point of a '{start}-{end}' range of 256 code points; Invalid otherwise."""
    try:
        start, end = (int(p) for p in text.split("-"))
    except ValueError:
        raise Invalid(f"range must look like 0-255; got {text!r}") from None
    if start < 0 or start % 256 or end != start + 255 or end > 0xFFFF:
        raise Invalid(f"range must be 256 code points starting at a multiple of 256, up to 65535; got {text!r}")
    return start


@dataclass(frozen=True)
class Glyph:
    """One SDF glyph in MapLibre's metrics: top is relative to the ascender."""

    code: int
    bitmap: bytes
    width: int
    height: int
    left: int
    top: int
    advance: int


_face_lock = threading.Lock()


@lru_cache(maxsize=8)
def _face(path: str) -> freetype.Face:
    return freetype.Face(path)


def _ascender(face: freetype.Face) -> int:
    face.set_char_size(SIZE * 64)
    return face.size.ascender // 64


def render_glyph(face: freetype.Face, code: int, ascender: int) -> Glyph | None:
    """The SDF glyph of `code` in `face`, or None when the font lacks it."""
    index = face.get_char_index(code)
    if not index:
        return None
    big = SIZE * OVERSAMPLE
    face.set_char_size(big * 64)
    face.load_glyph(index, freetype.FT_LOAD_NO_HINTING | freetype.FT_LOAD_RENDER)
    slot = face.glyph
    m = slot.metrics
    advance = int(round(m.horiAdvance / 64 / OVERSAMPLE))
    # Glyph box on the 24 px grid, rounded like the reference generator.
    x0 = int(round(m.horiBearingX / 64 / OVERSAMPLE))
    x1 = int(round((m.horiBearingX + m.width) / 64 / OVERSAMPLE))
    y1 = int(round(m.horiBearingY / 64 / OVERSAMPLE))
    y0 = int(round((m.horiBearingY - m.height) / 64 / OVERSAMPLE))
    w, h = x1 - x0, y1 - y0
    if w <= 0 or h <= 0 or slot.bitmap.width == 0:
        return Glyph(code, b"", 0, 0, 0, 0, advance)
    bw, bh = w + 2 * BUFFER, h + 2 * BUFFER
    canvas = np.zeros((bh * OVERSAMPLE, bw * OVERSAMPLE), dtype=bool)
    bm = slot.bitmap
    src = np.array(bm.buffer, dtype=np.uint8).reshape(bm.rows, bm.pitch)[:, :bm.width] >= 128
    col = slot.bitmap_left - (x0 - BUFFER) * OVERSAMPLE
    row = (y1 + BUFFER) * OVERSAMPLE - slot.bitmap_top
    r0, c0 = max(row, 0), max(col, 0)
    r1, c1 = min(row + src.shape[0], canvas.shape[0]), min(col + src.shape[1], canvas.shape[1])
    if r1 > r0 and c1 > c0:
        canvas[r0:r1, c0:c1] = src[r0 - row:r1 - row, c0 - col:c1 - col]
    # Signed distance in 24 px units: positive outside the outline, negative inside.
    outside = ndimage.distance_transform_edt(~canvas)
    inside = ndimage.distance_transform_edt(canvas)
    signed = (outside - inside) / OVERSAMPLE
    signed = signed.reshape(bh, OVERSAMPLE, bw, OVERSAMPLE).mean(axis=(1, 3))
    value = 255 - np.clip(signed * (256 / RADIUS) + CUTOFF * 256, 0, 255)
    return Glyph(code, value.astype(np.uint8).tobytes(), w, h, x0, y1 - ascender, advance)


def render_range(fonts: Sequence[Path], start: int) -> list[Glyph]:
    """Glyphs of code points start..start+255, each from the first font that has it."""
    out: list[Glyph] = []
    with _face_lock:
        faces = [(_face(str(p)), 0) for p in fonts]
        faces = [(f, _ascender(f)) for f, _ in faces]
        for code in range(start, start + 256):
            for face, ascender in faces:
                glyph = render_glyph(face, code, ascender)
                if glyph is not None:
                    out.append(glyph)
                    break
    return out


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 31)


def _field_varint(num: int, value: int) -> bytes:
    return _varint(num << 3) + _varint(value)


def _field_bytes(num: int, value: bytes) -> bytes:
    return _varint((num << 3) | 2) + _varint(len(value)) + value


def encode(stack: str, start: int, glyphs: Sequence[Glyph]) -> bytes:
    """The glyphs protobuf: glyphs { fontstack { name, range, glyph* } }."""
    body = _field_bytes(1, stack.encode()) + _field_bytes(2, f"{start}-{start + 255}".encode())
    for g in glyphs:
        msg = _field_varint(1, g.code)
        if g.width:
            msg += _field_bytes(2, g.bitmap)
        msg += (_field_varint(3, g.width) + _field_varint(4, g.height) + _field_varint(5, _zigzag(g.left))
                + _field_varint(6, _zigzag(g.top)) + _field_varint(7, g.advance))
        body += _field_bytes(3, msg)
    return _field_bytes(1, body)


class GlyphStore:
    """Glyph ranges rendered on first request and kept on disk (shared by workers)."""

    def __init__(self, root: Path | None) -> None:
        self.root = Path(root) if root else None

    def get(self, stack: str, range_text: str) -> bytes:
        """PBF bytes of one range of a stack; Invalid or NotFound for bad input."""
        start = parse_range(range_text)
        fonts = stack_fonts(stack)
        key = "+".join(p.stem for p in fonts)
        path = self.root / key / f"{start}.pbf" if self.root else None
        if path and path.exists():
            return path.read_bytes()
        data = encode(stack, start, render_range(fonts, start))
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        return data
