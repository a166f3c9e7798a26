"""GB/T 2260 province codes with Chinese and English names, and crosswalks from other identifiers."""

from __future__ import annotations

# code: (name_zh, name_en, ISO 3166-2 letter code, Cui et al. abbreviation)
PROVINCES: dict[str, tuple[str, str, str, str | None]] = {
    "110000": ("北京市", "Beijing", "CN-BJ", "BJ"),
    "120000": ("天津市", "Tianjin", "CN-TJ", "TJ"),
    "130000": ("河北省", "Hebei", "CN-HE", "HEB"),
    "140000": ("山西省", "Shanxi", "CN-SX", "SX"),
    "150000": ("内蒙古自治区", "Inner Mongolia", "CN-NM", "IM"),
    "210000": ("辽宁省", "Liaoning", "CN-LN", "LN"),
    "220000": ("吉林省", "Jilin", "CN-JL", "JL"),
    "230000": ("黑龙江省", "Heilongjiang", "CN-HL", "HLJ"),
    "310000": ("上海市", "Shanghai", "CN-SH", "SH"),
    "320000": ("江苏省", "Jiangsu", "CN-JS", "JS"),
    "330000": ("浙江省", "Zhejiang", "CN-ZJ", "ZJ"),
    "340000": ("安徽省", "Anhui", "CN-AH", "AH"),
    "350000": ("福建省", "Fujian", "CN-FJ", "FJ"),
    "360000": ("江西省", "Jiangxi", "CN-JX", "JX"),
    "370000": ("山东省", "Shandong", "CN-SD", "SD"),
    "410000": ("河南省", "Henan", "CN-HA", "HEN"),
    "420000": ("湖北省", "Hubei", "CN-HB", "HUB"),
    "430000": ("湖南省", "Hunan", "CN-HN", "HUN"),
    "440000": ("广东省", "Guangdong", "CN-GD", "GD"),
    "450000": ("广西壮族自治区", "Guangxi", "CN-GX", "GX"),
    "460000": ("海南省", "Hainan", "CN-HI", "HAN"),
    "500000": ("重庆市", "Chongqing", "CN-CQ", "CQ"),
    "510000": ("四川省", "Sichuan", "CN-SC", "SC"),
    "520000": ("贵州省", "Guizhou", "CN-GZ", "GZ"),
    "530000": ("云南省", "Yunnan", "CN-YN", "YN"),
    "540000": ("西藏自治区", "Tibet", "CN-XZ", "Tibet"),
    "610000": ("陕西省", "Shaanxi", "CN-SN", "SAX"),
    "620000": ("甘肃省", "Gansu", "CN-GS", "GS"),
    "630000": ("青海省", "Qinghai", "CN-QH", "QH"),
    "640000": ("宁夏回族自治区", "Ningxia", "CN-NX", "NX"),
    "650000": ("新疆维吾尔自治区", "Xinjiang", "CN-XJ", "XJ"),
    "710000": ("台湾", "Taiwan", "CN-TW", None),
    "810000": ("香港特别行政区", "Hong Kong", "CN-HK", None),
    "820000": ("澳门特别行政区", "Macao", "CN-MO", None),
}

BY_ISO = {iso: code for code, (_, _, iso, _) in PROVINCES.items()}
BY_CUI = {abbr: code for code, (_, _, _, abbr) in PROVINCES.items() if abbr}
# The 2016-era Natural Earth files still use the old numeric ISO form (CN-62 -> 620000).


def short_zh(code: str) -> str:
    """Province name without its administrative suffix (北京市 -> 北京)."""
    name = PROVINCES[code][0]
    for suffix in ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name
