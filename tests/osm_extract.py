"""A tiny OpenStreetMap XML extract written by the tests: streets, a river, a park, buildings, named places.

Made up for the tests (not OpenStreetMap data), around a point in Shanghai so the map opens on it.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

CENTRE = (121.4700, 31.2300)
STEP = 0.004  # degrees between the streets of the grid (about 400 m)


class _Writer:
    def __init__(self) -> None:
        self.nodes: list[str] = []
        self.ways: list[str] = []
        self.relations: list[str] = []
        self.next_node = 1
        self.next_way = 1

    @staticmethod
    def _tags(tags: dict[str, str]) -> str:
        return "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())

    def node(self, lon: float, lat: float, tags: dict[str, str] | None = None) -> int:
        nid, self.next_node = self.next_node, self.next_node + 1
        self.nodes.append(f'<node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}">'
                          f"{self._tags(tags or {})}</node>")
        return nid

    def way(self, points: list[tuple[float, float]], tags: dict[str, str], closed: bool = False) -> int:
        refs = [self.node(x, y) for x, y in points]
        if closed:
            refs.append(refs[0])
        wid, self.next_way = self.next_way, self.next_way + 1
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        self.ways.append(f'<way id="{wid}" version="1">{nds}{self._tags(tags)}</way>')
        return wid

    def relation(self, outer: int, inner: int, tags: dict[str, str]) -> None:
        members = f'<member type="way" ref="{outer}" role="outer"/><member type="way" ref="{inner}" role="inner"/>'
        self.relations.append(f'<relation id="1" version="1">{members}{self._tags(tags)}</relation>')

    def xml(self) -> str:
        body = "\n".join(self.nodes + self.ways + self.relations)
        head = '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="bluemap-tests">'
        return f"{head}\n{body}\n</osm>\n"


def _box(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


STREETS = [  # (kind, Chinese name, English name, offset in steps; east-west when `ew`)
    ("primary", "测试大道", "Test Avenue", 0, True),
    ("secondary", "河滨路", "Riverside Road", 2, True),
    ("residential", "梧桐街", "Plane Tree Street", -2, True),
    ("tertiary", "学府路", "College Road", 0, False),
    ("residential", "桂花巷", "Osmanthus Lane", 2, False),
    ("residential", "竹林路", "Bamboo Road", -2, False),
]


def write(path: Path) -> Path:
    """Write the extract to `path` (.osm) and return it."""
    w, (cx, cy), r = _Writer(), CENTRE, 3 * STEP
    for kind, zh, en, k, ew in STREETS:
        d = k * STEP
        line = [(cx - r, cy + d), (cx + r, cy + d)] if ew else [(cx + d, cy - r), (cx + d, cy + r)]
        w.way(line, {"highway": kind, "name": zh, "name:en": en})
    w.way([(cx - r, cy - 1.4 * STEP), (cx + r, cy - 1.1 * STEP)], {"highway": "footway"})
    w.way([(cx - r, cy + 3.2 * STEP), (cx + r, cy + 2.6 * STEP)], {"railway": "rail", "name": "测试铁路"})
    w.way([(cx - r, cy + 1.2 * STEP), (cx, cy + 1.0 * STEP), (cx + r, cy + 1.3 * STEP)],
          {"waterway": "river", "name": "测试河", "name:en": "Test River"})
    w.way(_box(cx - r, cy + 0.9 * STEP, cx + r, cy + 1.5 * STEP), {"natural": "water", "water": "river"}, closed=True)
    w.way(_box(cx + 0.2 * STEP, cy - 1.8 * STEP, cx + 1.8 * STEP, cy - 0.2 * STEP),
          {"leisure": "park", "name": "测试公园", "name:en": "Test Park"}, closed=True)
    outer = w.way(_box(cx - 1.8 * STEP, cy - 1.8 * STEP, cx - 0.2 * STEP, cy - 0.2 * STEP), {}, closed=True)
    inner = w.way(_box(cx - 1.2 * STEP, cy - 1.2 * STEP, cx - 0.8 * STEP, cy - 0.8 * STEP), {}, closed=True)
    w.relation(outer, inner, {"type": "multipolygon", "natural": "water", "name": "镜湖", "name:en": "Mirror Lake"})
    for i in range(4):
        x = cx + 2.2 * STEP + i * 0.0006
        w.way(_box(x, cy + 0.2 * STEP, x + 0.0004, cy + 0.5 * STEP), {"building": "yes"}, closed=True)
    w.way(_box(cx - 2.8 * STEP, cy - 2.8 * STEP, cx - 2.2 * STEP, cy - 2.2 * STEP),
          {"amenity": "school", "name": "测试小学", "name:en": "Test Primary School"}, closed=True)
    w.node(cx + 0.5 * STEP, cy + 0.5 * STEP, {"place": "suburb", "name": "测试镇", "name:en": "Testtown"})
    w.node(cx - 1.5 * STEP, cy + 2.5 * STEP, {"place": "neighbourhood", "name": "桃园社区"})
    w.node(cx + 1.0 * STEP, cy - 0.6 * STEP, {"amenity": "hospital", "name": "测试医院（合成）"})
    path.write_text(w.xml(), encoding="utf-8")
    return path
