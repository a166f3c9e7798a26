"""Chinese company names and violation texts for the synthetic generator (deterministic, seeded)."""

from __future__ import annotations

import hashlib
import random

TRADE_NAMES = ("华能", "宏达", "金山", "东方", "新源", "海纳", "恒信", "永兴", "鑫盛", "中联", "天润", "瑞丰", "长江",
               "龙腾", "远大", "富源", "嘉禾", "泰和", "明珠", "博源", "绿洲", "振华", "兴业", "广信", "联合", "润泽",
               "昌盛", "宝丰", "荣达", "国泰", "晨光", "蓝天", "旭日", "安泰", "德隆", "万通", "金鹰", "华润", "星河")
INDUSTRY_WORDS = {
    "power_coal": "热电", "power_gas": "燃气发电", "power_oil": "发电", "power_hydro": "水电开发",
    "power_wind": "风力发电", "power_solar": "光伏发电", "power_nuclear": "核电", "power_biogas": "环保能源",
    "power_other": "能源", "cement": "水泥", "steel": "钢铁", "chemicals": "化工", "textiles": "纺织印染",
    "apparel": "服饰", "electronics": "电子科技", "paper": "纸业", "pharma": "制药", "metals": "有色金属",
    "leather": "皮革", "food": "食品", "waste": "环保科技", "other": "实业",
}
CATEGORIES = (
    ("超标排放大气污染物", "《中华人民共和国大气污染防治法》第九十九条"),
    ("超标排放水污染物", "《中华人民共和国水污染防治法》第八十三条"),
    ("未依法取得排污许可证排放污染物", "《排污许可管理条例》第三十三条"),
    ("不正常运行污染防治设施", "《中华人民共和国水污染防治法》第八十三条"),
    ("未批先建", "《中华人民共和国环境影响评价法》第三十一条"),
    ("扬尘污染防治措施不到位", "《中华人民共和国大气污染防治法》第一百零八条"),
    ("危险废物贮存不规范", "《中华人民共和国固体废物污染环境防治法》第一百一十二条"),
    ("自动监测数据弄虚作假", "《中华人民共和国大气污染防治法》第九十九条"),
)
CATEGORY_EN = ("Air emissions over limit", "Water discharges over limit", "Discharging without a permit",
               "Pollution control facilities not operated normally", "Built before EIA approval",
               "Inadequate dust control", "Improper hazardous waste storage", "Falsified monitoring data")


def rng_for(*keys: object) -> random.Random:
    """A random generator seeded from the keys, so the same inputs always give the same data."""
    digest = hashlib.sha256("|".join(map(str, keys)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def company_name(rng: random.Random, city_zh: str, industry: str) -> str:
    """A plausible Chinese enterprise name such as 芜湖海纳水泥有限公司."""
    word = INDUSTRY_WORDS.get(industry, "实业")
    suffix = rng.choice(("有限公司", "有限责任公司", "股份有限公司"))
    return f"{city_zh}{rng.choice(TRADE_NAMES)}{word}{suffix}"
