"""The HTML map export: a standalone Leaflet map (folium) with popups, legend, attribution and provenance."""

from __future__ import annotations

import base64
import html as html_text
import io
import json
import re
from pathlib import Path
from typing import Any

from exports import maps
from exports.map_style import paint
from exports.selection import Source


def _icon_data_uri(icons: dict[str, Any], name: str) -> str | None:
    ic = icons.get(name)
    if ic is None:
        return None
    buf = io.BytesIO()
    ic.save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _esc(text: object) -> str:
    """Text safe inside HTML elements and quoted attributes."""
    return html_text.escape(str(text), quote=True)


def _safe(value: object) -> object:
    """A property value as folium's popups and tooltips will show it: they insert values as HTML, so text is
    escaped here (numbers and booleans pass unchanged)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    return _esc(value.isoformat() if hasattr(value, "isoformat") else value)


def write_html(conn: Any, src: Source, path: Path, meta: dict[str, Any], progress: Any = None) -> Path:
    """A standalone Leaflet map: provinces, the features coloured as on the web map, a popup with every
    property, a legend and the attribution; the provenance is embedded as JSON."""
    import folium

    from layers.basemap import SEA

    w, s, e, n = maps.view_bounds(src)
    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=True)
    m.fit_bounds([[s, w], [n, e]])
    _add_provinces(m, conn, (w, s, e, n))
    data = _feature_collection(conn, src)
    if progress:
        progress(len(data["features"]))
    _add_features(m, src, data)
    provenance = ('<script type="application/json" id="bluemap-metadata">'
                  + json.dumps(meta, ensure_ascii=False).replace("</", "<\\/") + "</script>")
    root: Any = m.get_root()
    root.html.add_child(folium.Element(_legend(conn, src.layer) + _attribution(meta) + provenance))
    root.header.add_child(folium.Element(
        f"<title>{_esc(meta['title'])}</title><style>.folium-map{{background:{SEA}}}</style>"))
    html = root.render()
    Path(path).write_text(_inline_assets(html), encoding="utf-8")
    return Path(path)


def _add_provinces(m: Any, conn: Any, bounds: tuple[float, float, float, float]) -> None:
    import folium
    import shapely
    from shapely.geometry import mapping

    from layers.basemap import BORDER, LAND

    provinces = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": mapping(shapely.from_wkb(bytes(r[0]))),
         "properties": {"name": _esc(f"{r[1] or ''} {r[2]}".strip())}}
        for r in maps.provinces(conn, bounds, 0.02)]}
    if not provinces["features"]:  # open sea: nothing to draw (folium refuses a tooltip over no features)
        return
    folium.GeoJson(provinces, name="Provinces (Natural Earth)", control=False,
                   style_function=lambda f: {"fillColor": LAND, "fillOpacity": 1, "color": BORDER,
                                             "weight": 1},
                   tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False)).add_to(m)


def _feature_collection(conn: Any, src: Source) -> dict[str, Any]:
    """The selection as GeoJSON, each feature carrying its map colour in `_colour`."""
    import shapely
    from shapely.geometry import mapping

    layer = src.layer
    zoom = 8.0
    feats = []
    for wkb, props in maps.features(conn, src, simplify=0.005 if layer.geometry != "point" else 0.0):
        style = paint(layer, props, zoom)
        colour = style["colour"]
        if style["kind"] == "icon":  # factory icons: their status colour
            from layers.factories import STATUS_COLOURS

            colour = STATUS_COLOURS.get(str(props.get("status")), colour)
        clean = {k: _safe(v) for k, v in props.items()}
        feats.append({"type": "Feature", "geometry": mapping(shapely.from_wkb(wkb)),
                      "properties": clean | {"_colour": colour}})
    return {"type": "FeatureCollection", "features": feats}


def _add_features(m: Any, src: Source, data: dict[str, Any]) -> None:
    import folium

    layer = src.layer
    fields = list(src.columns)
    popup = folium.GeoJsonPopup(fields=fields, aliases=[_esc(f) for f in fields], localize=False)
    if layer.geometry == "point":
        folium.GeoJson(data, name=layer.title, popup=popup,
                       marker=folium.CircleMarker(radius=5, weight=1, color="#ffffff", fill=True,
                                                  fill_opacity=0.9),
                       style_function=lambda f: {"fillColor": f["properties"]["_colour"]}).add_to(m)
    else:
        folium.GeoJson(data, name=layer.title, popup=popup,
                       style_function=lambda f: {"fillColor": f["properties"]["_colour"], "fillOpacity": 0.85,
                                                 "color": "#ffffff", "weight": 0.8}).add_to(m)


def _legend(conn: Any, layer: Any) -> str:
    icons = maps.sprite_icons(conn) if any(not sw.startswith("#") for *_, sw in layer.legend) else {}
    rows = []
    for en, zh, swatch in layer.legend:
        if swatch.startswith("#"):
            mark = f'<span style="display:inline-block;width:12px;height:12px;background:{swatch}"></span>'
        else:
            uri = _icon_data_uri(icons, swatch)
            mark = f'<img src="{uri}" width="14" height="14" alt="">' if uri else ""
        rows.append(f"<div>{mark} {_esc(zh)} {_esc(en)}</div>")
    # Top right: Leaflet keeps the zoom buttons top left and the scale bar bottom left, the attribution is bottom
    # right; nothing covers the legend.
    return (f'<div id="bluemap-legend" style="position:fixed;top:10px;right:10px;z-index:1000;max-width:45%;'
            f'background:#fff;padding:6px 8px;border:1px solid #aaa;font:12px sans-serif">'
            f'<b>{_esc(layer.title)}</b>{"".join(rows)}</div>')


def _attribution(meta: dict[str, Any]) -> str:
    return (f'<div id="bluemap-attribution" style="position:fixed;bottom:0;right:0;z-index:1000;'
            f'background:rgba(255,255,255,.85);padding:2px 6px;font:11px sans-serif;max-width:70%">'
            f'Data: {_esc(meta["attribution"])}. Basemap: Natural Earth. {_esc(meta["synthetic"])} '
            f'Generated {_esc(meta["generated_at"])} by Blue Map.</div>')


def _inline_assets(html: str) -> str:
    """Embed Leaflet when the npm package is installed and drop the CDN libraries this map does not use."""
    import folium

    assets = maps.leaflet_assets()
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
