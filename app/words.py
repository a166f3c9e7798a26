"""Values as pages show them: codes in words, money as money, times in Beijing time, pollutants as written."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from app import i18n
from data.synth.names import CATEGORIES, CATEGORY_EN
from ingest.emissions import AUTHORITY, POLLUTANTS
from standards.industries import INDUSTRIES

ZONE = ZoneInfo("Asia/Shanghai")
CATEGORY_NAMES_EN = {zh: en for (zh, _), en in zip(CATEGORIES, CATEGORY_EN, strict=True)}
SYNTHETIC_SUFFIX = "（合成示例记录，非真实数据）"
# Pollutant codes as written: the digits of SO2, NO2, O3 are subscripts; PM2.5 and PM10 are not.
AS_WRITTEN = {"pm25": "PM2.5", "pm10": "PM10", "so2": "SO<sub>2</sub>", "no2": "NO<sub>2</sub>",
              "o3": "O<sub>3</sub>", "co": "CO", "nox": "NO<sub>x</sub>"}


class Words:
    """The words of one language for the codes and numbers a page shows."""

    def __init__(self, lang: str) -> None:
        """Words in `lang` (zh or en)."""
        self.lang = lang
        self.en = lang == "en"
        self.t = i18n.texts(lang)

    def _key(self, prefix: str, code: object) -> str:
        """The text of `prefix_code`, or the code itself when it has none."""
        return self.t.get(f"{prefix}_{code}", str(code))

    def status(self, code: str | None) -> str:
        """A violation status in words."""
        return self._key("status", code) if code else "—"

    def tier(self, code: str | None) -> str:
        """A supply-chain tier in words."""
        return self._key("tier", code) if code else "—"

    def industry(self, code: str | None) -> str:
        """An industry code in words."""
        names = INDUSTRIES.get(code or "")
        return names[1 if self.en else 0] if names else (code or "—")

    def flag(self, code: str) -> str:
        """The name of a value that carries a synthetic flag."""
        return self._key("flag", code)

    def water_class(self, cls: str | None) -> str:
        """A GB 3838 class: 'III类' / 'Class III'."""
        if not cls:
            return "NA"
        if cls == "劣V":
            return self.t["water_class_worse"]
        return self.t["water_class_n"].replace("{c}", cls)

    def category(self, text: str | None) -> str:
        """A violation category: the English name of a known category on English pages."""
        if not text:
            return ""
        return CATEGORY_NAMES_EN.get(text, text) if self.en else text

    def authority(self, text: str | None) -> str:
        """The authority of a record; the online monitoring system in words."""
        if text == AUTHORITY:
            return self.t["authority_online"]
        return text or "—"

    def description(self, text: str | None) -> str:
        """A record's description: the half in this language of a bilingual one."""
        if not text:
            return ""
        if text.endswith(SYNTHETIC_SUFFIX):
            return self.category(text[: -len(SYNTHETIC_SUFFIX)])
        zh, sep, en = text.partition("。")
        if sep and en and re.match(r"[\x20-\x7e]", en.strip()[:1]):
            return en.strip() if self.en else zh + sep
        return text

    def pollutant(self, code: str) -> Markup:
        """A pollutant as written (HTML: SO<sub>2</sub>); an emission pollutant by its name."""
        if code in AS_WRITTEN:
            return Markup(AS_WRITTEN[code])
        names = POLLUTANTS.get(code)
        return escape(names[0 if self.en else 1]) if names else escape(code)

    def money(self, value: float | Decimal | None) -> str:
        """Yuan: ¥28,200 (cents only when there are any)."""
        if value is None:
            return "—"
        v = Decimal(str(value))
        return f"¥{v:,.0f}" if v == v.to_integral_value() else f"¥{v:,.2f}"

    def number(self, value: float | Decimal | None, digits: int = 0) -> str:
        """A quantity with thousands separators and `digits` decimals; — when missing."""
        if value is None:
            return "—"
        return f"{float(value):,.{digits}f}"

    def time(self, value: str | datetime | None) -> str:
        """A moment in Beijing time, to the minute."""
        moment = _moment(value)
        return moment.strftime("%Y-%m-%d %H:%M") if moment else "—"

    def day(self, value: str | datetime | date | None) -> str:
        """The Beijing date of a moment (a plain date as it is)."""
        if isinstance(value, date) and not isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, str) and len(value) == 10:
            return value
        moment = _moment(value)
        return moment.strftime("%Y-%m-%d") if moment else "—"


def _moment(value: str | datetime | None) -> datetime | None:
    """A timezone-aware moment in Asia/Shanghai (naive values are taken as UTC, as the database stores them)."""
    if value is None or value == "":
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(ZONE)
