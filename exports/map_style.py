"""MapLibre style evaluation for map exports: the registry's style layers applied to one feature.

A small interpreter of the expressions the registry's styles use (get, has, match, case, coalesce, concat,
comparisons, arithmetic, interpolate), so PNG and HTML maps colour features the way the web map does.
"""

from __future__ import annotations

import math
from typing import Any

from layers.base import StyleContext


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


def rgb(colour: str) -> tuple[int, int, int]:
    """The (r, g, b) of a #rgb or #rrggbb colour; grey when it cannot be read."""
    c = colour.lstrip("#")
    if len(c) == 3:
        c = "".join(ch * 2 for ch in c)
    try:
        return (int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16))
    except ValueError:
        return (136, 136, 136)
