"""The PNG map export: the layer over the province basemap, drawn server-side with Pillow."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from exports import maps
from exports.map_style import paint, rgb
from exports.selection import Source

AREA_OUTLINE = "#08306b"  # the selected area's outline


def _title_height(width: int) -> int:
    return maps.font(max(12, width // 60)).size + 12


def _attribution_lines(draw, width: int, meta: dict[str, Any]) -> list[str]:
    small = maps.font(max(9, width // 110))
    attribution = (f"Data: {meta['attribution']}. Basemap: Natural Earth. "
                   f"Generated {meta['generated_at']} by Blue Map.")
    lines: list[str] = []
    current = ""
    for word in attribution.split(" "):
        if current and small.length(draw, current + " " + word) > width - 12:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    lines.append(current)
    return lines


def _attribution_height(draw, width: int, meta: dict[str, Any]) -> int:
    return (maps.font(max(9, width // 110)).size + 3) * len(_attribution_lines(draw, width, meta)) + 4


class _Projection:
    """WGS84 -> pixel coordinates of a web-mercator view fitted (aspect kept) into width x height."""

    def __init__(self, bounds: tuple[float, float, float, float], width: int, height: int,
                 inset: tuple[int, int, int, int] = (0, 0, 0, 0)) -> None:
        """Fit `bounds` into the image less `inset` (left, top, right, bottom pixels), centred."""
        w, s, e, n = bounds
        x0, y0 = self._merc(w, n)
        x1, y1 = self._merc(e, s)
        left, top, right, bottom = inset
        aw, ah = max(width - left - right, 1), max(height - top - bottom, 1)
        scale = min(aw / max(x1 - x0, 1e-9), ah / max(y1 - y0, 1e-9))
        self.scale = scale
        self.ox = x0 - (left + (aw - (x1 - x0) * scale) / 2) / scale
        self.oy = y0 - (top + (ah - (y1 - y0) * scale) / 2) / scale
        # Equivalent web-map zoom (256 px tiles), for zoom-dependent style values.
        self.zoom = math.log2(scale * 2 * math.pi * 6378137 / 256)

    @staticmethod
    def _merc(lon: float, lat: float) -> tuple[float, float]:
        lat = max(min(lat, maps.MERCATOR_LAT), -maps.MERCATOR_LAT)
        y = -math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
        return (math.radians(lon) * 6378137, y * 6378137)

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        x, y = self._merc(lon, lat)
        return ((x - self.ox) * self.scale, (y - self.oy) * self.scale)


def _rings(geom) -> list[list[tuple[float, float]]]:
    polys = getattr(geom, "geoms", [geom])
    out = []
    for p in polys:
        if p.geom_type == "Polygon":
            out.append(list(p.exterior.coords))
            out.extend(list(r.coords) for r in p.interiors)
    return out


def write_png(conn: Any, src: Source, path: Path, width: int, height: int, meta: dict[str, Any],
              progress: Any = None) -> Path:
    """The layer over the province basemap, with a title, legend and attribution."""
    import shapely
    from PIL import Image, ImageDraw
    from PIL.PngImagePlugin import PngInfo

    from layers.basemap import BORDER, LAND, SEA

    bounds = maps.view_bounds(src)
    img = Image.new("RGBA", (width, height), rgb(SEA) + (255,))
    draw = ImageDraw.Draw(img, "RGBA")
    # The selection fits between the title bar and the attribution, with a margin: nothing of it is cut.
    pad = max(6, min(width, height) // 25)
    top, bottom = _title_height(width), _attribution_height(draw, width, meta)
    proj = _Projection(bounds, width, height, (pad, top + pad, pad, bottom + pad))
    tol = 360 / (256 * 2 ** proj.zoom)  # about a pixel, in degrees
    area = maps.area(conn, src.selection.area, tol)
    provinces = [shapely.from_wkb(bytes(r[0])) for r in maps.provinces(conn, bounds, tol)]
    for g in provinces:
        for ring in _rings(g):  # holes are other provinces (Beijing in Hebei): land too
            draw.polygon([proj(x, y) for x, y in ring], fill=rgb(LAND) + (255,))
    icons = maps.sprite_icons(conn)
    layer = src.layer
    # Icons when they fit (few features or a close view), coloured dots otherwise.
    use_icons = (meta.get("rows") or 0) <= max(200, width * height // 4000)
    n = _draw_features(conn, src, img, draw, proj, tol, icons if use_icons else {}, icons, progress)
    for g in provinces:
        for ring in _rings(g):
            draw.line([proj(x, y) for x, y in ring], fill=rgb(BORDER) + (255,), width=1)
    if area and area[1]:
        for ring in _rings(shapely.from_wkb(area[1])):
            draw.line([proj(x, y) for x, y in ring], fill=rgb(AREA_OUTLINE) + (255,), width=2)
    title = maps.title(layer, meta, area[0] if area else None)
    _legend_png(img, draw, layer, icons, meta, title)
    info = PngInfo()
    info.add_itxt("Title", title)
    info.add_itxt("Source", f"Data: {meta['attribution']}")
    img.convert("RGB").save(path, "PNG", optimize=True, pnginfo=info)
    if progress:
        progress(n % 5000)
    return Path(path)


def _draw_features(conn: Any, src: Source, img, draw, proj: _Projection, tol: float, shown: dict[str, Any],
                   icons: dict[str, Any], progress: Any) -> int:
    """Draw the selection's features (icons in `shown`, other icons as dots of their colour); how many."""
    import shapely

    layer, zoom = src.layer, proj.zoom
    icon_colours: dict[str, str] = {}
    n = 0
    for wkb, props in maps.features(conn, src, simplify=tol if layer.geometry != "point" else 0.0):
        g = shapely.from_wkb(wkb)
        style = paint(layer, props, zoom)
        if layer.geometry == "point":
            x, y = proj(g.x, g.y)
            icon = icons.get(style.get("icon") or "")
            if style["kind"] == "icon" and icon is not None and style["icon"] in shown:
                img.alpha_composite(icon, (int(x - icon.width / 2), int(y - icon.height / 2)))
            else:
                if style["kind"] == "icon" and icon is not None:
                    name = style["icon"]
                    if name not in icon_colours:
                        icon_colours[name] = maps.icon_colour(icon)
                    style = {"colour": icon_colours[name], "radius": 5, "outline": "#ffffff"}
                r = max(2.0, min(style.get("radius", 4), 8) * 0.6)
                draw.ellipse((x - r, y - r, x + r, y + r), fill=rgb(style["colour"]) + (235,),
                             outline=rgb(style.get("outline") or "#ffffff") + (255,))
        else:
            alpha = int(255 * float(style.get("opacity") or 1))
            for ring in _rings(g):
                draw.polygon([proj(x, y) for x, y in ring], fill=rgb(style["colour"]) + (alpha,))
        n += 1
        if progress and n % 5000 == 0:
            progress(5000)
    return n


def _legend_png(img, draw, layer, icons: dict[str, Any], meta: dict[str, Any], title: str) -> None:
    width, height = img.size
    title_font, font = maps.font(max(12, width // 60)), maps.font(max(10, width // 90))
    small = maps.font(max(9, width // 110))
    draw.rectangle((0, 0, width, _title_height(width)), fill=(255, 255, 255, 215))
    title_font.draw(draw, (8, 5), title, (20, 20, 20, 255))
    entries = list(layer.legend)
    if entries:
        line = font.size + 6
        box_h = line * len(entries) + 10
        box_w = min(width // 2, max(int(font.length(draw, f"{zh}  {en}")) for en, zh, _ in entries) + 44)
        top = height - box_h - 3 * small.size - 24
        draw.rectangle((8, top, 8 + box_w, top + box_h), fill=(255, 255, 255, 225),
                       outline=(160, 160, 160, 255))
        for i, (en, zh, swatch) in enumerate(entries):
            y = top + 5 + i * line
            if swatch.startswith("#"):
                draw.rectangle((14, y + 2, 14 + font.size, y + 2 + font.size), fill=rgb(swatch) + (255,))
            elif swatch in icons:
                ic = icons[swatch]
                scale = (font.size + 4) / max(ic.height, 1)
                ic = ic.resize((max(1, int(ic.width * scale)), max(1, int(ic.height * scale))))
                img.alpha_composite(ic, (14, y))
            font.draw(draw, (20 + font.size + 4, y), f"{zh}  {en}", (30, 30, 30, 255))
    lines = _attribution_lines(draw, width, meta)
    h = (small.size + 3) * len(lines) + 4
    draw.rectangle((0, height - h, width, height), fill=(255, 255, 255, 215))
    for i, text in enumerate(lines):
        small.draw(draw, (6, height - h + 2 + i * (small.size + 3)), text, (60, 60, 60, 255))
