"""SVG logos: the whitelist sanitiser and the rasteriser's limits refuse the attacks of issue 13, fast."""

from __future__ import annotations

import base64
import io
import time

import pytest
from PIL import Image

from tiles import logos, svg

NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
LOGO = (f'<svg {NS} viewBox="0 0 200 100"><defs><linearGradient id="g"><stop offset="0" stop-color="#00f"/>'
        '<stop offset="1" stop-color="#00c"/></linearGradient><path id="p" d="M0 0h200v100H0z"/></defs>'
        '<use href="#p" fill="url(#g)"/><text x="10" y="50" style="fill:#fff;font-size:20px">Brand</text>'
        '<title>A &amp; B</title></svg>').encode()
INNER = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
CIRCLE = '<circle cx="2000" cy="2000" r="1999"/>'
needs_cairo = pytest.mark.skipif(not logos.svg_available(), reason="CairoSVG or the cairo library is missing")


def _png(side: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", (side, side), (255, 0, 0, 255)).save(buf, "PNG")
    return buf.getvalue()


def _use_bomb(levels: int = 8, fan: int = 10) -> bytes:
    """Groups of <use> pointing at the previous group: fan ** levels paths drawn from a few KB."""
    parts = [f'<svg {NS} viewBox="0 0 10 10"><defs><g id="l0">']
    parts += [f'<path d="M{i} 0h1v1h-1z"/>' for i in range(fan)]
    parts.append("</g>")
    for level in range(1, levels + 1):
        parts.append(f'<g id="l{level}">' + "".join(f'<use xlink:href="#l{level - 1}"/>' for _ in range(fan))
                     + "</g>")
    parts.append(f'</defs><use href="#l{levels}"/></svg>')
    return "".join(parts).encode()


def _refused(data: bytes, reason: str) -> None:
    start = time.monotonic()
    with pytest.raises(logos.LogoError, match=reason):
        logos.process(data)
    assert time.monotonic() - start < 20


def test_a_plain_logo_is_kept_whole_and_sized_for_rendering():
    cleaned = svg.clean(LOGO, 224).decode()
    assert 'width="224" height="112"' in cleaned and 'viewBox="0 0 200 100"' in cleaned
    assert 'href="#p"' in cleaned and "url(#g)" in cleaned and "A &amp; B" in cleaned and ">Brand<" in cleaned


@needs_cairo
def test_a_plain_logo_is_drawn():
    mime, png = logos.process(LOGO)
    img = Image.open(io.BytesIO(png)).convert("RGBA")
    assert mime == "image/svg+xml" and img.size == (56, 28)
    assert img.getpixel((2, 2))[2] > 150 and img.getpixel((2, 2))[3] == 255


def test_use_bomb_is_refused():
    data = _use_bomb()
    assert len(data) < 90 * 1024
    _refused(data, "<use> may not point to elements holding another <use>")


def test_many_uses_of_a_big_group_are_refused():
    paths = "".join(f'<path d="M{i} 0h1v1h-1z"/>' for i in range(1000))
    uses = "".join('<use href="#big"/>' for _ in range(150))
    _refused(f'<svg {NS} viewBox="0 0 10 10"><g id="big">{paths}</g>{uses}</svg>'.encode(), "drawn elements")


def test_too_many_elements_are_refused():
    _refused(f'<svg {NS} viewBox="0 0 9 9">{"<rect/>" * 6000}</svg>'.encode(), "at most 5000 elements")


def test_deep_nesting_is_refused():
    _refused(f'<svg {NS} viewBox="0 0 9 9">{"<g>" * 900}{"</g>" * 900}</svg>'.encode(), "nested deeper")


@pytest.mark.parametrize("data,reason", [
    (f'<svg {NS} viewBox="0 0 9 9"><image width="20000" height="20000" href="data:image/png;base64,'
     f'{base64.b64encode(_png(2000)).decode()}"/></svg>'.encode(), "self-contained"),
    (f'<svg {NS} viewBox="0 0 9 9"><image href="data:image/svg+xml;base64,'
     f'{base64.b64encode(INNER).decode()}"/></svg>'.encode(), "self-contained"),
    (f'<svg {NS} viewBox="0 0 9 9"><style>@\\69mport url(http://x)</style></svg>'.encode(), "<style>"),
    (f'<svg {NS} viewBox="0 0 9 9"><style>@\\69mport "http://x/a.css";</style></svg>'.encode(), "<style>"),
    (f'<?xml version="1.0"?><?xml-stylesheet href="http://x"?><svg {NS} viewBox="0 0 9 9"/>'.encode(),
     "xml-stylesheet"),
    (f'<svg {NS} viewBox="0 0 9 9"><?xml-stylesheet href="http://x"?></svg>'.encode(), "xml-stylesheet"),
    (f'<svg {NS} viewBox="0 0 9 9"><rect style="fill:u\\72l(http://x)"/></svg>'.encode(), "CSS escapes"),
    (f'<svg {NS} viewBox="0 0 9 9"><rect style="@import \'http://x\'"/></svg>'.encode(), "imports"),
    (f'<svg {NS} viewBox="0 0 9 9"><rect fill="url(http://x/#a)"/></svg>'.encode(), "self-contained"),
    (f'<svg {NS} viewBox="0 0 9 9"><rect class="a"/></svg>'.encode(), "'class' is not allowed"),
    (f'<svg {NS} viewBox="0 0 9 9"><rect onclick="x()"/></svg>'.encode(), "'onclick' is not allowed"),
    (f'<svg {NS} viewBox="0 0 9 9"><use href="http://x/a.svg#a"/></svg>'.encode(), "same file"),
    (f'<svg {NS} viewBox="0 0 9 9"><rect id="r" xlink:href="#r"/></svg>'.encode(), "same file"),
    (f'<svg {NS} viewBox="0 0 9 9"><use href="#nowhere"/></svg>'.encode(), "points to no element"),
    (f'<svg {NS} viewBox="0 0 9 9"><g id="a"><use href="#a"/></g></svg>'.encode(), "another <use>"),
    (f'<svg {NS} viewBox="0 0 9 9"><foreignObject/></svg>'.encode(), "foreignObject"),
    (f'<svg {NS} viewBox="0 0 9 9"><filter/></svg>'.encode(), "<filter> is not allowed"),
    (f'<svg {NS} viewBox="0 0 9 9"><h:p xmlns:h="http://www.w3.org/1999/xhtml"/></svg>'.encode(),
     "another namespace"),
    (f'<svg {NS}><rect/></svg>'.encode(), "needs a viewBox"),
    (f'<svg {NS} viewBox="0 0 0 9"/>'.encode(), "positive width"),
    (b'<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg"/>', "DOCTYPE"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><rect', "well-formed"),
    (b'<svg><rect/></svg>', "SVG namespace"),
])
def test_unsafe_svgs_are_refused(data, reason):
    _refused(data, reason)


def test_huge_width_and_height_are_drawn_at_the_logo_size():
    cleaned = svg.clean(f'<svg {NS} width="20000" height="10000"><rect width="5" height="5"/></svg>'.encode(),
                        224).decode()
    assert 'width="224" height="112"' in cleaned and 'viewBox="0 0 20000 10000"' in cleaned


@needs_cairo
def test_the_rasteriser_stops_at_its_time_limit():
    heavy = f'<svg {NS} width="4000" height="4000">{CIRCLE * 4000}</svg>'
    start = time.monotonic()
    with pytest.raises(logos.LogoError, match="more than 1 s|too much time"):
        svg.rasterise(heavy.encode(), seconds=1)
    assert time.monotonic() - start < 10


@needs_cairo
def test_the_rasteriser_stops_at_its_memory_limit():
    big = f'<svg {NS} width="20000" height="20000"><rect width="9" height="9"/></svg>'.encode()  # 1.6 GB surface
    with pytest.raises(logos.LogoError, match="too much time or memory|cannot be drawn"):
        svg.rasterise(big, memory=256 * 1024 * 1024)
