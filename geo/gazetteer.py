"""A place-name index: Chinese, pinyin and English names of areas and places, searched and found in addresses."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Kinds in the order results rank, and the precision a match of that kind gives a geocoded address.
KINDS = ("province", "prefecture", "county", "place", "neighbourhood", "street", "poi")
PRECISION = {"province": "province", "prefecture": "prefecture", "county": "county", "place": "place",
             "neighbourhood": "place", "street": "street", "poi": "place"}
# Administrative suffixes, longest first: 朝阳区 is also found as 朝阳, 浙江省 as 浙江.
SUFFIXES_ZH = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县", "自治旗", "地区",
               "林区", "新区", "省", "市", "区", "县", "旗", "盟")
SUFFIXES_EN = ("special administrative region", "autonomous region", "autonomous prefecture", "autonomous county",
               "province", "prefecture", "district", "county", "city", "shi", "qu", "xian", "sheng")
CJK = re.compile(r"[\u3400-\u9fff]")


def fold(text: str) -> str:
    """Latin text folded for matching: lower case, accents and tone marks dropped, only letters and digits kept."""
    plain = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in plain if ch.isalnum() and not unicodedata.combining(ch) and ch.isascii())


def short_zh(name: str) -> str:
    """A Chinese name without its administrative suffix (at least two characters stay)."""
    for suffix in SUFFIXES_ZH:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def short_en(name: str) -> str:
    """An English name without a trailing administrative word ('Chaoyang District' -> 'Chaoyang')."""
    low = name.lower().strip()
    for suffix in SUFFIXES_EN:
        if low.endswith(" " + suffix):
            return name.strip()[: -len(suffix) - 1].strip()
    return name.strip()


@dataclass
class Entry:
    """One named place: its kind, code (admin areas), names, point, parent area and population."""

    kind: str
    name_en: str
    name_zh: str | None
    lon: float
    lat: float
    code: str | None = None
    parent: str | None = None
    population: int = 0
    keys_zh: tuple[str, ...] = field(default=(), repr=False)
    keys_latin: tuple[str, ...] = field(default=(), repr=False)

    def index(self) -> Entry:
        """Fill the match keys: Chinese name and short name; folded English, pinyin and their short forms."""
        from pypinyin import lazy_pinyin  # (0.2 s to import: here, not at every start of the command line)

        zh = self.name_zh or ""
        self.keys_zh = tuple(dict.fromkeys(k for k in (zh, short_zh(zh)) if k))
        latin = [fold(self.name_en), fold(short_en(self.name_en))]
        for key in self.keys_zh:
            latin.append("".join(lazy_pinyin(key)))
        self.keys_latin = tuple(dict.fromkeys(k for k in latin if k))
        return self


def _score(entry: Entry, q: str, zh: bool) -> int | None:
    """0 exact, 1 prefix, 2 substring match of q against the entry's keys; None when it does not match."""
    keys = entry.keys_zh if zh else entry.keys_latin
    best = None
    for key in keys:
        s = 0 if key == q else 1 if key.startswith(q) else 2 if q in key else None
        if s is not None and (best is None or s < best):
            best = s
    return best


class Gazetteer:
    """Entries by code and kind, searchable by any of their names."""

    def __init__(self, entries: list[Entry]) -> None:
        """Index the entries (their match keys are computed here)."""
        self.entries = [e.index() for e in entries]
        self.by_code = {e.code: e for e in self.entries if e.code}

    def chain(self, entry: Entry) -> list[Entry]:
        """The entry's parents, nearest first (a county's prefecture, then its province)."""
        out, seen = [], {entry.code}
        code = entry.parent
        while code and code in self.by_code and code not in seen:
            seen.add(code)
            out.append(self.by_code[code])
            code = self.by_code[code].parent
        return out

    def search(self, q: str, limit: int) -> list[tuple[int, Entry]]:
        """(match class, entry) best first: exact, prefix, substring; then by kind and population."""
        zh = bool(CJK.search(q))
        needle = q.strip() if zh else fold(q)
        if not needle:
            return []
        found = [(s, e) for e in self.entries if (s := _score(e, needle, zh)) is not None]
        found.sort(key=lambda m: (m[0], KINDS.index(m[1].kind), -m[1].population, m[1].name_en))
        return found[:limit]

    def locate(self, address: str) -> tuple[Entry, str] | None:
        """The most precise admin area or place an address names (each inside the one before), with its precision;
        None when it names none, or when two different ones fit equally (it is never guessed)."""
        path, _ = self.resolve(address)
        return (path[-1], PRECISION[path[-1].kind]) if path else None

    def resolve(self, address: str) -> tuple[list[Entry], list[Entry]]:
        """The areas and place an address names, widest first, and the equally fitting entries where it stopped
        because the next level was ambiguous (empty when it was not)."""
        rest = re.sub(r"\s+", "", address)
        path: list[Entry] = []
        for kind in ("province", "prefecture", "county", "place"):
            found = [(key, e) for e in self.entries if e.kind == kind and (key := _named(e, rest, bool(path)))
                     and self._fits(e, path)]
            if not found:
                continue
            longest = max(len(k) for k, _ in found)  # 朝阳区 named in full beats 朝阳县 named only as 朝阳
            best = {(e.name_zh, e.code): (k, e) for k, e in found if len(k) == longest}
            if len(best) > 1:
                return path, [e for _, e in best.values()]
            key, entry = next(iter(best.values()))
            path.append(entry)
            rest = rest.replace(key, "", 1)  # 朝阳市 is not read again as 朝阳县's short name
        return path, []

    @staticmethod
    def remainder(address: str, path: list[Entry]) -> str:
        """What an address says besides the areas `resolve` found in it (street, number), spaces removed."""
        rest = re.sub(r"\s+", "", address)
        for entry in path:
            key = _named(entry, rest, True)
            rest = rest.replace(key, "", 1) if key else rest
        return rest

    def _fits(self, entry: Entry, path: list[Entry]) -> bool:
        """True when the entry lies inside the deepest area already found (or nothing was found yet)."""
        return not path or path[-1] in self.chain(entry)


def _named(entry: Entry, text: str, placed: bool) -> str:
    """The longest of the entry's Chinese names (2+ characters) that the address contains; "" if none. Before any
    area is found, only full names count (provinces also by their short names), and a place (a town, not an
    admin area) only when written as a city (唐山市)."""
    if placed or entry.kind == "province":
        keys = entry.keys_zh
    elif entry.kind == "place":
        keys = tuple(k + "市" for k in entry.keys_zh)
    else:
        keys = entry.keys_zh[:1]
    return max((k for k in keys if len(k) >= 2 and k in text), key=len, default="")
