"""SVG logos: a whitelist sanitiser and a rasteriser run in a child process with time and memory limits.

`clean` parses with defusedxml and refuses anything outside a small set of drawing elements and attributes
(no DOCTYPE, processing instructions, `<style>`, `<image>`, scripts, external or chained references, CSS
escapes or imports); it returns a re-serialised copy sized for rendering. `rasterise` draws only that copy
with CairoSVG in a separate Python process limited in wall time, CPU time and address space.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from xml.etree.ElementTree import Element, ParseError, TreeBuilder
from xml.sax.saxutils import escape, quoteattr

from core.errors import Invalid

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
MAX_ELEMENTS = 5000
MAX_DEPTH = 40
MAX_USES = 200
MAX_DRAWN = 20000  # elements drawn once every <use> is expanded
RENDER_SECONDS = 5
RENDER_BYTES = 512 * 1024 * 1024
ELEMENTS = frozenset({"svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text",
                      "tspan", "defs", "linearGradient", "radialGradient", "stop", "clipPath", "title", "desc",
                      "use"})
ATTRIBUTES = frozenset({
    "id", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "fr", "width", "height",
    "d", "points", "pathLength", "viewBox", "preserveAspectRatio", "version", "baseProfile", "transform",
    "gradientUnits", "gradientTransform", "spreadMethod", "offset", "clipPathUnits", "clip-path", "clip-rule",
    "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity", "stroke-linecap",
    "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset", "opacity", "stop-color",
    "stop-opacity", "color", "display", "visibility", "font-family", "font-size", "font-weight", "font-style",
    "text-anchor", "dominant-baseline", "letter-spacing", "word-spacing", "dx", "dy", "rotate", "style",
    "href", f"{{{XLINK_NS}}}href", f"{{{XML_NS}}}space"})
REFERRERS = frozenset({"use", "linearGradient", "radialGradient"})  # the elements that may carry an href
_LOCAL_REF = re.compile(r"#([A-Za-z_][\w.\-]*)")
_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.I | re.S)
_NUMBER = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(px)?\s*")
_CHILD = """import resource, sys
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
resource.setrlimit(resource.RLIMIT_CPU, (int(sys.argv[2]), int(sys.argv[2]) + 1))
import cairosvg
sys.stdout.buffer.write(cairosvg.svg2png(bytestring=sys.stdin.buffer.read(), unsafe=False))
"""


class LogoError(Invalid):
    """A logo that is refused; the message says why."""


class _Builder(TreeBuilder):
    """A tree builder that remembers processing instructions (expat reports them; ElementTree drops them)."""

    pis: list[str]

    def pi(self, target: str, text: str | None = None) -> Element:  # type: ignore[override]
        """Record a processing instruction such as <?xml-stylesheet?>."""
        self.pis.append(target)
        return Element("pi")


def _parse(data: bytes) -> Element:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import XMLParser

    builder = _Builder()
    builder.pis = []
    parser = XMLParser(target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException:
        raise LogoError("SVG with a DOCTYPE or entities is refused") from None
    except (ParseError, ValueError) as exc:
        raise LogoError(f"not a well-formed SVG file: {exc}") from None
    if builder.pis:
        raise LogoError(f"SVG processing instructions such as <?{builder.pis[0][:40]}?> are not allowed in a logo")
    if root.tag != f"{{{SVG_NS}}}svg":
        raise LogoError("not an SVG file: the root element must be <svg> in the SVG namespace")
    return root


def _name(tag: str) -> str:
    if tag.startswith(f"{{{SVG_NS}}}"):
        return tag[len(SVG_NS) + 2:]
    if tag.startswith("{"):
        raise LogoError(f"SVG element {tag.split('}')[-1][:40]!r} from another namespace is not allowed")
    raise LogoError(f"SVG element <{tag[:40]}> outside the SVG namespace is not allowed")


def _check_value(attr: str, value: str) -> None:
    low = value.lower()
    if "\\" in value or "@import" in low or "expression(" in low:
        raise LogoError(f"SVG attribute {attr!r} holds CSS escapes or imports, which are not allowed")
    for _quote, target in _URL.findall(value):
        if not _LOCAL_REF.fullmatch(target.strip()):
            raise LogoError(f"SVG url({target[:60]}) is not allowed: logos must be self-contained")
    if "url(" in low.replace(" ", "") and not _URL.search(value):
        raise LogoError(f"SVG attribute {attr!r} holds an unreadable url(...)")


def _walk(root: Element) -> list[tuple[Element, str]]:
    """Every element with its local name, refusing depth, count, names and attributes outside the whitelists."""
    out: list[tuple[Element, str]] = []
    stack = [(root, 1)]
    while stack:
        el, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise LogoError(f"SVG nested deeper than {MAX_DEPTH} levels is not allowed in a logo")
        name = _name(el.tag)
        if name == "image":
            raise LogoError("SVG <image> is not allowed: logos must be self-contained drawings")
        if name not in ELEMENTS:
            raise LogoError(f"SVG element <{name[:40]}> is not allowed in a logo")
        out.append((el, name))
        if len(out) > MAX_ELEMENTS:
            raise LogoError(f"an SVG logo of at most {MAX_ELEMENTS} elements")
        for attr, value in el.attrib.items():
            if attr not in ATTRIBUTES:
                raise LogoError(f"SVG attribute {attr.split('}')[-1][:40]!r} is not allowed in a logo")
            _check_value(attr.split("}")[-1], value)
        stack.extend((child, depth + 1) for child in reversed(el))
    return out


def _href(el: Element, name: str) -> str | None:
    value = el.get("href") or el.get(f"{{{XLINK_NS}}}href")
    if value is None:
        return None
    match = _LOCAL_REF.fullmatch(value.strip())
    if name not in REFERRERS or not match:
        raise LogoError(f"SVG reference {value[:60]!r} is not allowed: only <use> and gradients may point "
                       "to an element of the same file (#id)")
    return match.group(1)


def _check_references(elements: list[tuple[Element, str]]) -> None:
    """Local references only, no chains (a <use> of something holding a <use>), a bounded expansion."""
    ids = {el.get("id"): (el, name) for el, name in elements if el.get("id")}
    uses, drawn = 0, len(elements)
    for el, name in elements:
        ref = _href(el, name)
        if ref is None:
            if name == "use":
                raise LogoError("an SVG <use> must point to an element of the same file (#id)")
            continue
        if ref not in ids:
            raise LogoError(f"SVG reference #{ref[:40]} points to no element of the file")
        target, target_name = ids[ref]
        subtree = list(target.iter())
        if name == "use":
            uses += 1
            if any(_name(t.tag) == "use" for t in subtree):
                raise LogoError("an SVG <use> may not point to elements holding another <use>")
            drawn += len(subtree)
        elif target_name not in ("linearGradient", "radialGradient") or _href(target, target_name):
            raise LogoError("an SVG gradient may only point to another gradient without a reference")
    if uses > MAX_USES or drawn > MAX_DRAWN:
        raise LogoError(f"an SVG logo of at most {MAX_USES} <use> and {MAX_DRAWN} drawn elements")


def _length(value: str | None) -> float | None:
    match = _NUMBER.fullmatch(value or "")
    return float(match.group(1)) if match else None


def _size(root: Element, side: int) -> None:
    """Give the root a viewBox and a width and height whose longer side is `side` pixels."""
    box = root.get("viewBox")
    if box:
        try:
            nums = [float(n) for n in box.replace(",", " ").split()]
        except ValueError:
            nums = []
        if len(nums) != 4 or not all(math.isfinite(n) for n in nums) or nums[2] <= 0 or nums[3] <= 0:
            raise LogoError(f"SVG viewBox {box[:60]!r} is not four numbers with a positive width and height")
        w, h = nums[2], nums[3]
    else:
        w, h = _length(root.get("width")) or 0.0, _length(root.get("height")) or 0.0
        if not (0 < w < 1e9 and 0 < h < 1e9):
            raise LogoError("an SVG logo needs a viewBox, or a width and height in pixels")
        root.set("viewBox", f"0 0 {w:g} {h:g}")
    scale = side / max(w, h)
    root.set("width", str(max(1, round(w * scale))))
    root.set("height", str(max(1, round(h * scale))))


def _serialise(el: Element, root: bool = False) -> str:
    name = el.tag.split("}")[-1]
    attrs = "".join(f" {_attr_name(k)}={quoteattr(v)}" for k, v in el.attrib.items())
    ns = f' xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}"' if root else ""
    body = escape(el.text or "") + "".join(_serialise(child) + escape(child.tail or "") for child in el)
    return f"<{name}{ns}{attrs}>{body}</{name}>"


def _attr_name(key: str) -> str:
    if key.startswith(f"{{{XLINK_NS}}}"):
        return "xlink:href"
    if key.startswith(f"{{{XML_NS}}}"):
        return "xml:space"
    return key


def clean(data: bytes, side: int) -> bytes:
    """A re-serialised copy of a whitelisted SVG, sized to `side` pixels on its longer side, or LogoError."""
    root = _parse(data)
    elements = _walk(root)
    _check_references(elements)
    _size(root, side)
    return _serialise(root, root=True).encode()


def rasterise(svg: bytes, seconds: int = RENDER_SECONDS, memory: int = RENDER_BYTES) -> bytes:
    """PNG of a cleaned SVG, drawn by CairoSVG in a child process limited in time and memory, or LogoError."""
    try:
        done = subprocess.run([sys.executable, "-I", "-c", _CHILD, str(memory), str(seconds)], input=svg,
                              capture_output=True, timeout=seconds, check=False)
    except subprocess.TimeoutExpired:
        raise LogoError(f"the SVG takes more than {seconds} s to draw: simplify it or upload a PNG") from None
    if done.returncode == 0 and done.stdout:
        return done.stdout
    lines = done.stderr.decode(errors="replace").strip().splitlines()
    if done.returncode < 0 or "MemoryError" in (lines[-1] if lines else ""):
        raise LogoError("the SVG needs too much time or memory to draw: simplify it or upload a PNG")
    reason = lines[-1][:200] if lines else f"exit status {done.returncode}"
    raise LogoError(f"the SVG cannot be drawn: {reason}")
