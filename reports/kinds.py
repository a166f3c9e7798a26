"""What a report can be about, where its location came from, the licences offered, and their names."""

from __future__ import annotations

KINDS: dict[str, tuple[str, str]] = {
    "smoke": ("烟尘/黑烟", "Smoke"),
    "odour": ("异味", "Odour"),
    "wastewater": ("污水排放", "Wastewater"),
    "dumping": ("倾倒垃圾/废物", "Dumping"),
    "dust": ("扬尘", "Dust"),
    "noise": ("噪声", "Noise"),
    "other": ("其他", "Other"),
}
LOCATION_SOURCES: dict[str, tuple[str, str]] = {
    "device": ("设备定位", "device location"),
    "map": ("地图点选", "chosen on the map"),
    "place": ("地名搜索", "place search"),
    "photo": ("照片位置信息", "photo GPS"),
}
LICENCES: dict[str, tuple[str, str, str]] = {
    "CC-BY-4.0": ("署名 4.0 国际 (CC BY 4.0)", "CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "CC-BY-SA-4.0": ("署名-相同方式共享 4.0 (CC BY-SA 4.0)", "CC BY-SA 4.0",
                     "https://creativecommons.org/licenses/by-sa/4.0/"),
    "CC0-1.0": ("公共领域贡献 (CC0 1.0)", "CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
}
DEFAULT_LICENCE = "CC-BY-4.0"
STATUSES: dict[str, tuple[str, str]] = {
    "new": ("待审核", "awaiting moderation"),
    "published": ("已发布", "published"),
    "rejected": ("未通过", "rejected"),
    "merged": ("已合并", "merged into another report"),
}
# Where a report's photos are served from (the web layer routes this path).
PHOTO_PATH = "/api/reports/photos/"
