"""Map exports: a PNG of a map view drawn server-side (Pillow), and a standalone HTML map (folium).

Both colour features the way the web map does: the layer's MapLibre style is evaluated per feature by a
small interpreter of the expressions the registry's styles use (get, has, match, case, coalesce, concat,
comparisons), and icon layers use the sprite's own icons."""

from __future__ import annotations

import base64
import io
import json
import math
import re
from pathlib import Path
from typing import Any

from psycopg import sql

from exports import writers
from exports.selection import WORLD, Source
from layers.base import StyleContext

MERCATOR_LAT = 85.05112878
FONT_FILES = ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
              "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
LEAFLET_DIRS = (Path(__file__).resolve().parents[2] / "node_modules" / "leaflet" / "dist",)


# ------------------------------------------------------------------------------------------ style evaluation

def evaluate(expr: Any, props: dict[str, Any], zoom: float = 6) -> Any:
    """The value of a MapLibre expression for a feature's properties (the subset the styles use)."""
    if not isinstance(expr, list):
        return expr
    op, args = expr[0], expr[1:]
    ev = lambda e: evaluate(e, props, zoom)  # noqa: E731
    if op == "get":
        return props.get(args[0])
    if op == "has":
        return props.get(args[0]) is not None
    if op == "!":
        return not ev(args[0])
    if op == "coalesce":
        return next((v for v in map(ev, args) if v is not None), None)
    if op == "concat":
        return "".join("" if v is None else str(v) for v in map(ev, args))
    if op == "to-string":
        v = ev(args[0])
        return "" if v is None else str(v)
    if op == "match":
        value = ev(args[0])
        pairs, default = args[1:-1], args[-1]
        for label, out in zip(pairs[0::2], pairs[1::2], strict=True):
            if value == label or (isinstance(label, list) and value in label):
                return ev(out)
        return ev(default)
    if op == "case":
        for cond, out in zip(args[0:-1:2], args[1:-1:2], strict=True):
            if ev(cond):
                return ev(out)
        return ev(args[-1])
    if op in ("==", "!=", ">", "<", ">=", "<="):
        a, b = ev(args[0]), ev(args[1])
        try:
            return {"==": a == b, "!=": a != b, ">": a > b, "<": a < b, ">=": a >= b, "<=": a <= b}[op]
        except TypeError:
            return False
    if op in ("+", "-", "*", "/"):
        vals = [float(ev(a) or 0) for a in args]
        if op == "-" and len(vals) == 1:
            return -vals[0]
        r = vals[0]
        for v in vals[1:]:
            r = {"+": r + v, "-": r - v, "*": r * v, "/": r / v if v else 0}[op]
        return r
    if op == "sqrt":
        return math.sqrt(float(ev(args[0]) or 0))
    if op == "zoom":
        return zoom
    if op == "interpolate":
        x = ev(args[1])
        stops = args[2:]
        pts = [(float(stops[i]), ev(stops[i + 1])) for i in range(0, len(stops), 2)]
        if x is None or x <= pts[0][0]:
            return pts[0][1]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
            if x <= x1:
                return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
        return pts[-1][1]
    return None


def _style_layers(layer) -> list[dict[str, Any]]:
    return layer.style(StyleContext()) if layer.style else []


def paint(layer, props: dict[str, Any], zoom: float = 6) -> dict[str, Any]:
    """How a feature is drawn: {'kind': 'icon'|'circle'|'fill', 'colour', 'icon', 'radius', 'outline'}."""
    for sl in _style_layers(layer):
        if "filter" in sl and not evaluate(sl["filter"], props, zoom):
            continue
        if sl.get("minzoom", 0) > zoom:
            continue
        p, lay = sl.get("paint", {}), sl.get("layout", {})
        if sl["type"] == "fill":
            return {"kind": "fill", "colour": evaluate(p.get("fill-color"), props, zoom) or "#888888",
                    "opacity": evaluate(p.get("fill-opacity", 1), props, zoom)}
        if sl["type"] == "circle":
            return {"kind": "circle", "colour": evaluate(p.get("circle-color"), props, zoom) or "#888888",
                    "radius": float(evaluate(p.get("circle-radius", 5), props, zoom) or 5),
                    "outline": evaluate(p.get("circle-stroke-color", "#ffffff"), props, zoom)}
        if sl["type"] == "symbol" and "icon-image" in lay:
            return {"kind": "icon", "icon": evaluate(lay["icon-image"], props, zoom), "colour": "#3d6a9e"}
    return {"kind": "circle", "colour": "#3d6a9e", "radius": 5, "outline": "#ffffff"}


def _hex(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    if len(c) == 3:
        c = "".join(ch * 2 for ch in c)
    try:
        return (int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16))
    except ValueError:
        return (136, 136, 136)


# ------------------------------------------------------------------------------------------ shared data

def view_bounds(src: Source) -> tuple[float, float, float, float]:
    env = tuple(src.params[k] for k in "wsen")
    w, s, e, n = src.layer.bounds if env == WORLD else env
    return (max(w, -180.0), max(s, -MERCATOR_LAT), min(e, 180.0), min(n, MERCATOR_LAT))


def _sprite_icons(conn: Any) -> dict[str, Any]:
    try:
        from tiles import sprites

        try:
            with conn.transaction():
                brands = sprites.load_brands(conn)
        except Exception:  # noqa: BLE001 - status and station icons need no brand
            brands = []
        return dict(sprites.icons(brands, 1))
    except Exception:  # noqa: BLE001 - a map without icons still draws coloured dots
        return {}


def _icon_colour(icon) -> str:
    """The most common opaque colour of an icon (its status colour), for dots when icons would crowd."""
    opaque = [p[:3] for p in icon.getdata() if p[3] > 200 and min(p[:3]) < 230]
    px = [p for p in opaque if max(p) - min(p) > 30] or opaque
    if not px:
        return "#3d6a9e"
    r, g, b = max(set(px), key=px.count)
    return f"#{r:02x}{g:02x}{b:02x}"


def _features(conn: Any, src: Source, simplify: float = 0.0):
    """(WKB, properties) of the selection, streamed."""
    geom = sql.SQL("ST_AsBinary(f.geom)") if not simplify else sql.SQL(
        "ST_AsBinary(ST_SimplifyPreserveTopology(f.geom, {}))").format(sql.Literal(simplify))
    cols = sql.SQL(", ").join(sql.SQL("f.{}").format(sql.Identifier(c)) for c in src.columns)
    q = sql.SQL("SELECT {g}, {cols} FROM ({src}) AS f").format(g=geom, cols=cols, src=src.query)
    for rows in writers.batches(conn, q, src.params):
        for r in rows:
            yield bytes(r[0]), dict(zip(src.columns, r[1:], strict=True))


def _provinces(conn: Any, bounds: tuple[float, float, float, float], tol: float):
    q = ("SELECT ST_AsBinary(ST_SimplifyPreserveTopology(geom, %s)), name_zh, name_en FROM admin_areas "
         "WHERE level = 'province' AND geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)")
    return conn.execute(q, (tol, *bounds)).fetchall()


class _Fonts:
    """Latin from DejaVu Sans, CJK from Droid Sans Fallback, chosen per run of characters."""

    def __init__(self, px: int) -> None:
        from PIL import ImageFont

        self.size = px
        fonts: list[Any] = []
        for f in FONT_FILES:
            try:
                fonts.append(ImageFont.truetype(f, px))
            except OSError:
                fonts.append(None)
        default = ImageFont.load_default()
        self.cjk = fonts[0] or fonts[1] or default
        self.latin = fonts[1] or fonts[0] or default

    def runs(self, text: str):
        run, cjk = "", None
        for ch in text:
            is_cjk = ord(ch) >= 0x2E80
            if cjk is not None and is_cjk != cjk:
                yield run, self.cjk if cjk else self.latin
                run = ""
            run += ch
            cjk = is_cjk
        if run:
            yield run, self.cjk if cjk else self.latin

    def length(self, draw, text: str) -> float:
        return sum(draw.textlength(r, font=f) for r, f in self.runs(text))

    def draw(self, draw, xy: tuple[float, float], text: str, fill) -> None:
        x, y = xy
        for r, f in self.runs(text):
            draw.text((x, y), r, fill=fill, font=f)
            x += draw.textlength(r, font=f)


def _font(px: int) -> _Fonts:
    return _Fonts(px)


# ------------------------------------------------------------------------------------------ PNG

class _Projection:
    """WGS84 -> pixel coordinates of a web-mercator view fitted (aspect kept) into width x height."""

    def __init__(self, bounds: tuple[float, float, float, float], width: int, height: int) -> None:
        w, s, e, n = bounds
        x0, y0 = self._merc(w, n)
        x1, y1 = self._merc(e, s)
        scale = min(width / max(x1 - x0, 1e-9), height / max(y1 - y0, 1e-9))
        self.scale = scale
        self.ox = x0 - (width / scale - (x1 - x0)) / 2
        self.oy = y0 - (height / scale - (y1 - y0)) / 2
        # Equivalent web-map zoom (256 px tiles), for zoom-dependent style values.
        self.zoom = math.log2(scale * 2 * math.pi * 6378137 / 256)

    @staticmethod
    def _merc(lon: float, lat: float) -> tuple[float, float]:
        lat = max(min(lat, MERCATOR_LAT), -MERCATOR_LAT)
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

    from layers.basemap import BORDER, LAND, SEA

    bounds = view_bounds(src)
    proj = _Projection(bounds, width, height)
    tol = 360 / (256 * 2 ** proj.zoom)  # about a pixel, in degrees
    img = Image.new("RGBA", (width, height), _hex(SEA) + (255,))
    draw = ImageDraw.Draw(img, "RGBA")
    provinces = [shapely.from_wkb(bytes(r[0])) for r in _provinces(conn, bounds, tol)]
    for g in provinces:
        for ring in _rings(g):  # holes are other provinces (Beijing in Hebei): land too
            draw.polygon([proj(x, y) for x, y in ring], fill=_hex(LAND) + (255,))
    icons = _sprite_icons(conn)
    icon_colours: dict[str, str] = {}
    layer = src.layer
    zoom = proj.zoom
    # Icons when they fit (few features or a close view), coloured dots otherwise.
    use_icons = (meta.get("rows") or 0) <= max(200, width * height // 4000)
    n = 0
    for wkb, props in _features(conn, src, simplify=tol if layer.geometry != "point" else 0.0):
        g = shapely.from_wkb(wkb)
        style = paint(layer, props, zoom)
        if layer.geometry == "point":
            x, y = proj(g.x, g.y)
            icon = icons.get(style.get("icon") or "")
            if style["kind"] == "icon" and icon is not None and use_icons:
                img.alpha_composite(icon, (int(x - icon.width / 2), int(y - icon.height / 2)))
            else:
                if style["kind"] == "icon" and icon is not None:
                    name = style["icon"]
                    if name not in icon_colours:
                        icon_colours[name] = _icon_colour(icon)
                    style = {"colour": icon_colours[name], "radius": 5, "outline": "#ffffff"}
                r = max(2.0, min(style.get("radius", 4), 8) * 0.6)
                draw.ellipse((x - r, y - r, x + r, y + r), fill=_hex(style["colour"]) + (235,),
                             outline=_hex(style.get("outline") or "#ffffff") + (255,))
        else:
            alpha = int(255 * float(style.get("opacity") or 1))
            for ring in _rings(g):
                draw.polygon([proj(x, y) for x, y in ring], fill=_hex(style["colour"]) + (alpha,))
        n += 1
        if progress and n % 5000 == 0:
            progress(5000)
    for g in provinces:
        for ring in _rings(g):
            draw.line([proj(x, y) for x, y in ring], fill=_hex(BORDER) + (255,), width=1)
    _legend_png(img, draw, layer, icons, meta)
    img.convert("RGB").save(path, "PNG", optimize=True)
    if progress:
        progress(n % 5000)
    return Path(path)


def _legend_png(img, draw, layer, icons: dict[str, Any], meta: dict[str, Any]) -> None:
    width, height = img.size
    title_font, font = _font(max(12, width // 60)), _font(max(10, width // 90))
    small = _font(max(9, width // 110))
    draw.rectangle((0, 0, width, title_font.size + 12), fill=(255, 255, 255, 215))
    filters = ", ".join(f"{k}={v}" for k, v in (meta.get("filters") or {}).items() if k != "polygon")
    title = f"{layer.title}" + (f"  ({filters[:140]})" if filters else "")
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
                draw.rectangle((14, y + 2, 14 + font.size, y + 2 + font.size), fill=_hex(swatch) + (255,))
            elif swatch in icons:
                ic = icons[swatch]
                scale = (font.size + 4) / max(ic.height, 1)
                ic = ic.resize((max(1, int(ic.width * scale)), max(1, int(ic.height * scale))))
                img.alpha_composite(ic, (14, y))
            font.draw(draw, (20 + font.size + 4, y), f"{zh}  {en}", (30, 30, 30, 255))
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
    h = (small.size + 3) * len(lines) + 4
    draw.rectangle((0, height - h, width, height), fill=(255, 255, 255, 215))
    for i, text in enumerate(lines):
        small.draw(draw, (6, height - h + 2 + i * (small.size + 3)), text, (60, 60, 60, 255))


# ------------------------------------------------------------------------------------------ HTML

def leaflet_assets() -> tuple[str, str] | None:
    """Leaflet's JS and CSS from the npm package when installed (so the HTML opens offline)."""
    for d in LEAFLET_DIRS:
        js, css = d / "leaflet.js", d / "leaflet.css"
        if js.exists() and css.exists():
            return js.read_text(encoding="utf-8"), css.read_text(encoding="utf-8")
    return None


def _icon_data_uri(icons: dict[str, Any], name: str) -> str | None:
    ic = icons.get(name)
    if ic is None:
        return None
    buf = io.BytesIO()
    ic.save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_html(conn: Any, src: Source, path: Path, meta: dict[str, Any], progress: Any = None) -> Path:
    """A standalone Leaflet map: provinces, the features coloured as on the web map, a popup with every
    property, a legend and the attribution; the provenance is embedded as JSON."""
    import folium
    import shapely
    from shapely.geometry import mapping

    from layers.basemap import BORDER, LAND, SEA

    layer = src.layer
    w, s, e, n = view_bounds(src)
    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=True)
    m.fit_bounds([[s, w], [n, e]])
    provinces = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": mapping(shapely.from_wkb(bytes(r[0]))),
         "properties": {"name": f"{r[1] or ''} {r[2]}".strip()}}
        for r in _provinces(conn, (w, s, e, n), 0.02)]}
    folium.GeoJson(provinces, name="Provinces (Natural Earth)", control=False,
                   style_function=lambda f: {"fillColor": LAND, "fillOpacity": 1, "color": BORDER,
                                             "weight": 1},
                   tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False)).add_to(m)
    zoom = 8.0
    feats = []
    n_done = 0
    for wkb, props in _features(conn, src, simplify=0.005 if layer.geometry != "point" else 0.0):
        style = paint(layer, props, zoom)
        colour = style["colour"]
        if style["kind"] == "icon":  # factory icons: their status colour
            from layers.factories import STATUS_COLOURS

            colour = STATUS_COLOURS.get(str(props.get("status")), colour)
        clean = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in props.items()}
        feats.append({"type": "Feature", "geometry": mapping(shapely.from_wkb(wkb)),
                      "properties": clean | {"_colour": colour}})
        n_done += 1
    if progress:
        progress(n_done)
    fields = list(src.columns)
    data = {"type": "FeatureCollection", "features": feats}
    popup = folium.GeoJsonPopup(fields=fields, aliases=[f"{f}" for f in fields], localize=False)
    if layer.geometry == "point":
        folium.GeoJson(data, name=layer.title, popup=popup,
                       marker=folium.CircleMarker(radius=5, weight=1, color="#ffffff", fill=True,
                                                  fill_opacity=0.9),
                       style_function=lambda f: {"fillColor": f["properties"]["_colour"]}).add_to(m)
    else:
        folium.GeoJson(data, name=layer.title, popup=popup,
                       style_function=lambda f: {"fillColor": f["properties"]["_colour"], "fillOpacity": 0.85,
                                                 "color": "#ffffff", "weight": 0.8}).add_to(m)
    icons = _sprite_icons(conn) if any(not sw.startswith("#") for *_, sw in layer.legend) else {}
    rows = []
    for en, zh, swatch in layer.legend:
        if swatch.startswith("#"):
            mark = f'<span style="display:inline-block;width:12px;height:12px;background:{swatch}"></span>'
        else:
            uri = _icon_data_uri(icons, swatch)
            mark = f'<img src="{uri}" width="14" height="14" alt="">' if uri else ""
        rows.append(f"<div>{mark} {_esc(zh)} {_esc(en)}</div>")
    legend = (f'<div id="bluemap-legend" style="position:fixed;bottom:28px;left:10px;z-index:1000;'
              f'background:#fff;padding:6px 8px;border:1px solid #aaa;font:12px sans-serif">'
              f'<b>{_esc(layer.title)}</b>{"".join(rows)}</div>')
    attribution = (f'<div id="bluemap-attribution" style="position:fixed;bottom:0;right:0;z-index:1000;'
                   f'background:rgba(255,255,255,.85);padding:2px 6px;font:11px sans-serif;max-width:70%">'
                   f'Data: {_esc(meta["attribution"])}. Basemap: Natural Earth. {_esc(meta["synthetic"])} '
                   f'Generated {meta["generated_at"]} by Blue Map.</div>')
    provenance = ('<script type="application/json" id="bluemap-metadata">'
                  + json.dumps(meta, ensure_ascii=False).replace("</", "<\\/") + "</script>")
    root: Any = m.get_root()
    root.html.add_child(folium.Element(legend + attribution + provenance))
    root.header.add_child(folium.Element(
        f"<title>{_esc(meta['title'])}</title><style>.folium-map{{background:{SEA}}}</style>"))
    html = root.render()
    Path(path).write_text(_inline_assets(html), encoding="utf-8")
    return Path(path)


def _inline_assets(html: str) -> str:
    """Embed Leaflet when the npm package is installed and drop the CDN libraries this map does not use."""
    import folium

    assets = leaflet_assets()
    if not assets:
        return html
    js, css = assets
    for name, url in folium.Map.default_js:
        tag = re.compile(r'<script src="' + re.escape(url) + r'"></script>')
        html = tag.sub(f"<script>{js}</script>".replace("\\", "\\\\") if name == "leaflet" else "", html)
    for name, url in folium.Map.default_css:
        tag = re.compile(r'<link rel="stylesheet" href="' + re.escape(url) + r'"\s*/>')
        html = tag.sub(f"<style>{css}</style>".replace("\\", "\\\\") if name == "leaflet_css" else "", html)
    return html
