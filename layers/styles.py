"""MapLibre styles assembled from the layer registry: which layers each map shows, nothing else."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from core import parse
from core.errors import Invalid, NotFound
from data.catalog import attribution
from layers.base import StyleContext
from layers.basemap import SEA
from layers.registry import LAYERS


@dataclass(frozen=True)
class MapStyle:
    """A named map: its layers bottom to top, and where it opens."""

    name: str
    title_en: str
    title_zh: str
    layers: tuple[str, ...]
    center: tuple[float, float] = (104.5, 35.5)
    zoom: float = 3.4
    hidden: tuple[str, ...] = ()  # layers present but switched off until the user turns them on


STYLES = {s.name: s for s in (
    MapStyle("blue-map", "Blue Map", "蔚蓝地图",
             ("basemap", "streets", "water_stations", "factories", "suppliers", "air_stations", "reports"),
             hidden=("suppliers",)),
    MapStyle("carbon-map", "Blue Carbon Map", "蔚蓝碳地图", ("basemap", "streets", "carbon")),
    MapStyle("supply-chain", "Green Supply Chain Map", "绿色供应链地图", ("basemap", "streets", "suppliers")),
)}
LANGS = ("zh", "en")
_SLOTS = {"base": 0, "data": 1, "top": 2}


def build(name: str, base_url: str, args: Mapping[str, str], version: int | None = None,
          bounds: Mapping[str, tuple[float, float, float, float]] | None = None) -> dict[str, Any]:
    """The style JSON of map `name` for a service at `base_url`; `args` holds lang and layer filters.

    `version` (the data version) goes into the tile URLs as `v`, which makes them immutable. `bounds` holds the
    layers' extents from their data (the declared bounds of a layer it does not name).

    NotFound for an unknown map, Invalid for a bad language, parameter or filter value.
    """
    if name not in STYLES:
        raise NotFound(f"unknown style {name!r}; styles: {', '.join(STYLES)}")
    spec = STYLES[name]
    args = dict(args)
    lang = parse.choice("lang", args.pop("lang", "zh"), LANGS)
    layers = [LAYERS.get(i) for i in spec.layers]
    declared = {f.name for la in layers for f in la.filters}
    extra = sorted(set(args) - declared)
    if extra:
        raise Invalid(f"unknown parameter {extra[0]!r} for style {name}; accepted: lang, "
                      f"{', '.join(sorted(declared)) or 'no filters'}")
    ctx = StyleContext(lang=lang)
    base = base_url.rstrip("/")
    sources: dict[str, Any] = {}
    drawn: list[tuple[int, int, dict[str, Any]]] = []
    for order, layer in enumerate(layers):
        mine = {k: v for k, v in args.items() if any(f.name == k for f in layer.filters)}
        layer.parse_filters(mine)  # bad values are refused here (Invalid), before any URL is built
        pairs = sorted(mine.items()) + ([("v", str(version))] if version is not None else [])
        query = f"?{urlencode(pairs)}" if pairs else ""
        sources[layer.id] = {
            "type": "vector", "tiles": [f"{base}/tiles/{layer.id}/{{z}}/{{x}}/{{y}}.mvt{query}"],
            "minzoom": layer.minzoom, "maxzoom": layer.maxzoom,
            "bounds": list((bounds or {}).get(layer.id, layer.bounds)),
            "attribution": attribution(layer.datasets),
        }
        if layer.feature_id:
            sources[layer.id]["promoteId"] = layer.feature_id
        for style_layer in (layer.style(ctx) if layer.style else []):
            slot = style_layer.get("metadata", {}).get("bluemap:slot", "data")
            if layer.id in spec.hidden:
                style_layer = {**style_layer, "layout": {**style_layer.get("layout", {}), "visibility": "none"}}
            drawn.append((_SLOTS[slot], order, {**style_layer, "source": layer.id, "source-layer": layer.id}))
    drawn.sort(key=lambda t: (t[0], t[1]))
    return {
        "version": 8,
        "name": spec.title_zh if lang == "zh" else spec.title_en,
        "metadata": {"bluemap:layers": list(spec.layers), "bluemap:hidden": list(spec.hidden), "bluemap:lang": lang},
        "center": list(spec.center),
        "zoom": spec.zoom,
        "sources": sources,
        "sprite": f"{base}/sprites/bluemap",
        "glyphs": f"{base}/fonts/{{fontstack}}/{{range}}.pbf",
        "layers": [{"id": "background", "type": "background", "paint": {"background-color": SEA}}]
                  + [d for _, _, d in drawn],
    }



def with_archive(style: dict[str, Any], url: str, maxzoom: int) -> dict[str, Any]:
    """The style reading zooms 0..maxzoom from a PMTiles archive (`bluemap tiles publish`) and the rest from here.

    Each map layer is drawn twice: from the archive's `published` source below maxzoom + 1 (as `<id>@published`,
    metadata `bluemap:source` naming its own source), and from the service's own tiles from there on. Layers
    whose tile URLs carry filters stay live at every zoom (the archive holds the unfiltered map). Clients register
    the `pmtiles://` protocol (the pmtiles npm package; app/static/js/mapcommon.js).
    """
    out = {**style, "sources": {**style["sources"], "published": {
        "type": "vector", "url": f"pmtiles://{url}", "attribution": ""}}}
    filtered = {sid for sid, src in style["sources"].items()  # and external sources (no tiles of ours)
                if "tiles" not in src or any(k != "v" for k, _ in parse_qsl(urlsplit(src["tiles"][0]).query))}
    layers: list[dict[str, Any]] = []
    for la in style["layers"]:
        src = la.get("source")
        if src is None or src not in style["sources"] or src in filtered or la.get("minzoom", 0) > maxzoom:
            layers.append(la)
            continue
        meta = {**la.get("metadata", {}), "bluemap:source": src, "bluemap:minzoom": la.get("minzoom", 0)}
        layers.append({**la, "id": f"{la['id']}@published", "source": "published", "metadata": meta,
                       "maxzoom": min(la.get("maxzoom", 24), maxzoom + 1)})
        layers.append({**la, "metadata": meta, "minzoom": max(la.get("minzoom", 0), maxzoom + 1)})
    out["layers"] = layers
    return out


BASEMAP_SOURCES = ("basemap", "streets")  # the context layers an external basemap replaces


def basemap_source_url(url: str) -> str:
    """A MapLibre source URL for an external basemap: pmtiles:// for a .pmtiles archive, else a TileJSON URL."""
    return f"pmtiles://{url}" if urlsplit(url).path.endswith(".pmtiles") else url


def with_basemap(style: dict[str, Any], url: str) -> dict[str, Any]:
    """The style with its embedded basemap sources replaced by one external vector basemap at `url`.

    The external tiles must use this service's schema: source layers `basemap` and `streets` with the fields of
    the basemap and streets layers, as `bluemap tiles publish --layers basemap,streets` writes them (a PMTiles
    archive, or a TileJSON for tiles of that schema). Their style layers keep their source-layer and read the
    one `basemap` source; the streets layers keep the zooms their embedded source began at.
    """
    replaced = {sid: src for sid, src in style["sources"].items() if sid in BASEMAP_SOURCES}
    if not replaced:
        return style
    sources = {sid: src for sid, src in style["sources"].items() if sid not in replaced}
    credits = dict.fromkeys(c for src in replaced.values() for c in src.get("attribution", "").split("; ") if c)
    sources["basemap"] = {"type": "vector", "url": basemap_source_url(url), "attribution": "; ".join(credits)}
    layers = []
    for la in style["layers"]:
        src = la.get("source")
        if src in replaced:
            first = replaced[src].get("minzoom", 0)
            la = {**la, "source": "basemap", **({"minzoom": max(la.get("minzoom", 0), first)} if first else {})}
        layers.append(la)
    return {**style, "sources": sources, "layers": layers,
            "metadata": {**style.get("metadata", {}), "bluemap:basemap": url}}
