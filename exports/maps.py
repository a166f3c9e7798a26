"""What the map exports share: the view, the features, the province basemap, sprite icons, fonts, Leaflet.

The PNG map is drawn by `exports.map_png`, the HTML map by `exports.map_html`; features are coloured by
`exports.map_style`, the way the web map colours them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from psycopg import sql

from exports import writers
from exports.selection import WORLD, Source

MERCATOR_LAT = 85.05112878
FONT_FILES = ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
              "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
LEAFLET_DIRS = (Path(__file__).resolve().parents[1] / "node_modules" / "leaflet" / "dist",)


def view_bounds(src: Source) -> tuple[float, float, float, float]:
    """The map's view: the selection's envelope, else the layer's bounds, within web-mercator latitudes."""
    env = tuple(src.params[k] for k in "wsen")
    w, s, e, n = src.layer.bounds if env == WORLD else env
    return (max(w, -180.0), max(s, -MERCATOR_LAT), min(e, 180.0), min(n, MERCATOR_LAT))


def sprite_icons(conn: Any) -> dict[str, Any]:
    """The sprite's icons by name (status, station and brand icons); none when they cannot be drawn."""
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


def icon_colour(icon) -> str:
    """The most common opaque colour of an icon (its status colour), for dots when icons would crowd."""
    opaque = [p[:3] for p in icon.getdata() if p[3] > 200 and min(p[:3]) < 230]
    px = [p for p in opaque if max(p) - min(p) > 30] or opaque
    if not px:
        return "#3d6a9e"
    r, g, b = max(set(px), key=px.count)
    return f"#{r:02x}{g:02x}{b:02x}"


def features(conn: Any, src: Source, simplify: float = 0.0):
    """(WKB, properties) of the selection, streamed."""
    geom = sql.SQL("ST_AsBinary(f.geom)") if not simplify else sql.SQL(
        "ST_AsBinary(ST_SimplifyPreserveTopology(f.geom, {}))").format(sql.Literal(simplify))
    cols = sql.SQL(", ").join(sql.SQL("f.{}").format(sql.Identifier(c)) for c in src.columns)
    q = sql.SQL("SELECT {g}, {cols} FROM ({src}) AS f").format(g=geom, cols=cols, src=src.query)
    for rows in writers.batches(conn, q, src.params):
        for r in rows:
            yield bytes(r[0]), dict(zip(src.columns, r[1:], strict=True))


def provinces(conn: Any, bounds: tuple[float, float, float, float], tol: float):
    """(WKB simplified by `tol` degrees, name_zh, name_en) of the provinces in `bounds`."""
    q = ("SELECT ST_AsBinary(ST_SimplifyPreserveTopology(geom, %s)), name_zh, name_en FROM admin_areas "
         "WHERE level = 'province' AND geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)")
    return conn.execute(q, (tol, *bounds)).fetchall()


def area(conn: Any, code: str | None, tol: float) -> tuple[str, bytes | None] | None:
    """The selected area's name ("河北省 Hebei") and outline (WKB simplified by `tol` degrees), if any."""
    if not code:
        return None
    row = conn.execute("SELECT concat_ws(' ', name_zh, name_en), ST_AsBinary(ST_SimplifyPreserveTopology(geom, %s)) "
                       "FROM admin_areas WHERE code = %s", (tol, code)).fetchone()
    return (row[0], bytes(row[1]) if row[1] is not None else None) if row else None


def title(layer: Any, meta: dict[str, Any], area_name: str | None) -> str:
    """A map's title: the layer, the area by name, and the other filters as given."""
    filters = ", ".join(f"{k}={v}" for k, v in (meta.get("filters") or {}).items() if k not in ("polygon", "area"))
    where = f" — {area_name}" if area_name else ""
    return f"{layer.title}{where}" + (f"  ({filters[:140]})" if filters else "")


class Fonts:
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
        """(text, font) runs of `text`, CJK and Latin apart."""
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
        """Width of `text` in pixels."""
        return sum(draw.textlength(r, font=f) for r, f in self.runs(text))

    def draw(self, draw, xy: tuple[float, float], text: str, fill) -> None:
        """Draw `text` at `xy`, run by run."""
        x, y = xy
        for r, f in self.runs(text):
            draw.text((x, y), r, fill=fill, font=f)
            x += draw.textlength(r, font=f)


def font(px: int) -> Fonts:
    """The fonts at `px` pixels."""
    return Fonts(px)


def leaflet_assets() -> tuple[str, str] | None:
    """Leaflet's JS and CSS from the npm package when installed (so the HTML opens offline)."""
    for d in LEAFLET_DIRS:
        js, css = d / "leaflet.js", d / "leaflet.css"
        if js.exists() and css.exists():
            return js.read_text(encoding="utf-8"), css.read_text(encoding="utf-8")
    return None
