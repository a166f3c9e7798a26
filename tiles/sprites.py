"""The map sprite: status icons, station icons and every brand's logo, packed into one PNG with its index."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from layers.factories import STATUS_COLOURS

ICON = 22  # status and station icons, px at pixel ratio 1
LOGO = 28  # brand logos
SHEET_WIDTH = 256
BOLD_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
              "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")


@dataclass(frozen=True)
class Brand:
    """What a brand's sprite icon is made from: its key, names and an uploaded logo when it has one."""

    key: str
    name_en: str
    name_zh: str | None = None
    logo: bytes | None = None


def _font(px: int, text: str) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    needs_cjk = any(ord(ch) > 0x2E80 for ch in text)
    for path in (BOLD_FONTS[1],) if needs_cjk else BOLD_FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, px)
    return ImageFont.load_default()


def factory_icon(colour: str, ratio: int) -> Image.Image:
    """A factory silhouette (saw-tooth roof and a chimney) in `colour` on a white disc ringed in `colour`."""
    s = ICON * ratio
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.ellipse((0, 0, s - 1, s - 1), fill="white", outline=colour, width=max(1, int(1.5 * ratio)))
    u = s / 22
    shape = [(5, 16), (5, 10), (8, 8), (8, 10), (11, 8), (11, 10), (14, 8), (14, 5), (16.5, 5), (16.5, 16)]
    d.polygon([(x * u, y * u) for x, y in shape], fill=colour)
    return img


def station_icon(kind: str, ratio: int) -> Image.Image:
    """Air station: a ring; water station: a drop."""
    s = ICON * ratio
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    w = max(1, 2 * ratio)
    if kind == "air":
        d.ellipse((w, w, s - w - 1, s - w - 1), fill="white", outline="#1f4e79", width=w)
        d.ellipse((s * 0.35, s * 0.35, s * 0.65, s * 0.65), fill="#1f4e79")
    else:
        d.polygon([(s / 2, w), (s * 0.8, s * 0.55), (s / 2, s - w), (s * 0.2, s * 0.55)], fill="#1a73c9",
                  outline="white")
        d.ellipse((s * 0.2, s * 0.35, s * 0.8, s - w), fill="#1a73c9", outline="white", width=max(1, ratio))
    return img


def default_logo(brand: Brand, ratio: int) -> Image.Image:
    """A generated logo: the brand's initials on a colour derived from its key (stable across runs)."""
    s = LOGO * ratio
    hue = int(hashlib.sha1(brand.key.encode()).hexdigest()[:6], 16)
    colour = (40 + hue % 150, 40 + (hue >> 8) % 150, 40 + (hue >> 16) % 150, 255)
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((0, 0, s - 1, s - 1), radius=6 * ratio, fill=colour, outline="white", width=ratio)
    if brand.name_zh:
        text = brand.name_zh[:1]
    else:
        words = [w for w in brand.name_en.replace("-", " ").split() if w[:1].isalnum()]
        text = "".join(w[0] for w in words[:2]).upper() or "?"
    font = _font(int(s * (0.5 if len(text) > 1 else 0.6)), text)
    d.text((s / 2, s / 2), text, fill="white", font=font, anchor="mm")
    return img


def logo_image(brand: Brand, ratio: int) -> Image.Image:
    """The brand's uploaded logo fitted into a white rounded square, or its generated default."""
    if not brand.logo:
        return default_logo(brand, ratio)
    s = LOGO * ratio
    src = Image.open(io.BytesIO(brand.logo)).convert("RGBA")
    src.thumbnail((s - 2 * ratio, s - 2 * ratio), Image.Resampling.LANCZOS)
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    ImageDraw.Draw(img).rounded_rectangle((0, 0, s - 1, s - 1), radius=6 * ratio, fill="white",
                                          outline="#888888", width=ratio)
    img.alpha_composite(src, ((s - src.width) // 2, (s - src.height) // 2))
    return img


def icons(brands: Iterable[Brand], ratio: int) -> list[tuple[str, Image.Image]]:
    """Every sprite icon, by name."""
    out = [(f"factory-{status}", factory_icon(colour, ratio)) for status, colour in STATUS_COLOURS.items()]
    out += [("air-station", station_icon("air", ratio)), ("water-station", station_icon("water", ratio))]
    out += [(b.key, logo_image(b, ratio)) for b in sorted(brands, key=lambda b: b.key)]
    return out


def pack(items: Sequence[tuple[str, Image.Image]], ratio: int) -> tuple[bytes, dict[str, dict[str, int]]]:
    """Shelf-pack icons into one PNG; the index gives each icon's box and pixel ratio."""
    width = SHEET_WIDTH * ratio
    x = y = shelf = 0
    boxes: dict[str, dict[str, int]] = {}
    for name, img in items:
        if x + img.width > width:
            x, y, shelf = 0, y + shelf, 0
        boxes[name] = {"x": x, "y": y, "width": img.width, "height": img.height, "pixelRatio": ratio}
        x += img.width
        shelf = max(shelf, img.height)
    sheet = Image.new("RGBA", (width, max(1, y + shelf)), (0, 0, 0, 0))
    for name, img in items:
        sheet.paste(img, (boxes[name]["x"], boxes[name]["y"]))
    buf = io.BytesIO()
    sheet.save(buf, "PNG", optimize=True)
    return buf.getvalue(), boxes


def load_brands(conn) -> list[Brand]:
    """Brands from the database, with the PNG of their uploaded logo when they have one."""
    rows = conn.execute("SELECT logo_key, name_en, name_zh, logo_png FROM brands "
                        "ORDER BY logo_key").fetchall()
    return [Brand(r[0], r[1], r[2], bytes(r[3]) if r[3] is not None else None) for r in rows]


def build(conn, ratio: int) -> tuple[bytes, dict[str, dict[str, int]]]:
    """The sprite sheet and index for the current data at pixel ratio 1 or 2."""
    return pack(icons(load_brands(conn), ratio), ratio)
