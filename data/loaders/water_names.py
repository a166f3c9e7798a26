"""Chinese names of the Natural Earth rivers and lakes in and around China (the region extracts carry English only).

Written for this project from the standard Chinese names of these rivers and lakes (Natural Earth's names are
their pinyin or local forms). A name used by two rivers is told apart by where the river lies: (west, east,
south, north, Chinese name) boxes, the first holding the feature's representative point wins. Names left out
(small or foreign rivers whose Chinese name is not settled) keep their English name on a Chinese map.
"""

from __future__ import annotations

import shapely

RIVERS: dict[str, str | tuple[tuple[float, float, float, float, str], ...]] = {
    "Yangtze": "长江", "Chang Jiang": "长江", "Jinsha": "金沙江", "Tongtian": "通天河", "Tuotuo": "沱沱河",
    "Huang": "黄河", "Heilong Jiang": "黑龙江", "Songhua": "松花江", "Di’er Songhua": "第二松花江", "Nen": "嫩江",
    "Liao": "辽河", "Xiliao": "西辽河", "Xar Moron": "西拉木伦河", "Daling": "大凌河", "Luan": "滦河", "Hai": "海河",
    "Yongding": "永定河", "Sanggan": "桑干河", "Huai": "淮河", "Ying": "颍河", "Wei": "渭河", "Jing": "泾河",
    "Fen": "汾河", "Qin": "沁河", "Zhang": "漳河", "Wuding": "无定河", "Han": ((105, 115, 29, 36, "汉江"),),
    "Dan": "丹江", "Jialing": "嘉陵江", "Tuo": "沱江", "Dadu": "大渡河", "Yalong": "雅砻江", "Wu": "乌江",
    "Min": ((100, 106, 26, 34, "岷江"), (115, 121, 24, 29, "闽江")), "Xiang": "湘江", "Yuan": "沅江", "Gan": "赣江",
    "Fuchun": "富春江", "Ou": ((118, 122, 26, 30, "瓯江"),), "Jiulong": "九龙江", "Xi": "西江", "Xun": "浔江",
    "Bei": "北江", "Dong": "东江", "Mei": "梅江", "Hongshui": "红水河", "Nanpan": "南盘江", "Liu": "柳江",
    "Rong": "融江", "Duliu": "都柳江", "Yu": "郁江", "Yong": "邕江", "You": "右江", "Zuo": "左江",
    "Hong": ((100, 106, 21, 26, "红河"),), "Lancang": "澜沧江", "Mekong": "湄公河", "Nu": "怒江", "Salween": "萨尔温江",
    "Yarlung": "雅鲁藏布江", "Brahmaputra": "布拉马普特拉河", "Tarim": "塔里木河", "Yarkant": "叶尔羌河",
    "Aksu": "阿克苏河", "Konqi": "孔雀河", "Yurungkax": "玉龙喀什河", "Qarqan": "车尔臣河", "Ile": "伊犁河",
    "Künes": "巩乃斯河", "Ertix": "额尔齐斯河", "Ertis": "额尔齐斯河", "Irtysh": "额尔齐斯河", "Argun’": "额尔古纳河",
    "Hailar": "海拉尔河", "Ussuri": "乌苏里江", "Tumen": "图们江", "Yalu": "鸭绿江", "Muling": "穆棱河",
    "Tao’er": "洮儿河", "Yi": ((117, 120, 33, 37, "沂河"),), "Qumar": "楚玛尔河", "Amur": "阿穆尔河",
    "Ganges": "恒河", "Indus": "印度河", "Irrawaddy Delta": "伊洛瓦底江", "Ayeyarwady": "伊洛瓦底江",
}
LAKES: dict[str, str] = {
    "Qinghai Hu": "青海湖", "Poyang Hu": "鄱阳湖", "Dongting Hu": "洞庭湖", "Tai Hu": "太湖", "Hongze Hu": "洪泽湖",
    "Chao Hu": "巢湖", "Gaoyou Hu": "高邮湖", "Weishan Hu": "微山湖", "Dongping Hu": "东平湖", "Luoma Hu": "骆马湖",
    "Hong Hu": "洪湖", "Liangzi Hu": "梁子湖", "Shijiu Hu": "石臼湖", "Ge Hu": "滆湖", "Long Hu": "龙感湖",
    "Daguan Hu": "大官湖", "Po Hu": "泊湖", "Wuchang Hu": "武昌湖", "Hulun Nuur": "呼伦湖", "Buyr Nuur": "贝尔湖",
    "Dalai Nur": "达里诺尔湖", "Ulansuhai Nur": "乌梁素海", "Qagan Nur": "查干湖", "Songhua Hu": "松花湖",
    "Yueliang Pao": "月亮泡", "Lake Khanka": "兴凯湖", "Bosten Hu": "博斯腾湖", "Ebinur Hu": "艾比湖",
    "Lop Nur": "罗布泊", "Ayakkum Hu": "阿雅克库木湖", "Aqqikkol Hu": "阿其克库勒湖", "Hoh Xil Hu": "可可西里湖",
    "Ngoring Hu": "鄂陵湖", "Gyaring Hu": "扎陵湖", "Nam Co": "纳木错", "Siling Co": "色林错",
    "Yamzho Yumco": "羊卓雍错", "Mapam Yumco": "玛旁雍错", "Langa Co": "拉昂错", "Banggong Co": "班公错",
    "Tangra Yumco": "当惹雍错", "Puma Yumco": "普莫雍错", "Danjiangkou Shuiku": "丹江口水库",
    "Xinanjiang Shuiku": "新安江水库", "Xinfengjiang Shuiku": "新丰江水库", "Guanting Shuiku": "官厅水库",
    "Baidagang Shuiku": "北大港水库", "Supung Reservoir": "水丰水库", "Issyk-Kul": "伊塞克湖",
    "Lake Balkhash": "巴尔喀什湖", "Lake Zaysan": "斋桑泊", "Khövsgöl Nuur": "库苏古尔湖", "Uvs Nuur": "乌布苏湖",
}


def zh_name(kind: str, name_en: str | None, wkb: bytes) -> str | None:
    """The Chinese name of a river or lake row (None when it has none here)."""
    if not name_en:
        return None
    found = (RIVERS if kind == "river" else LAKES if kind == "lake" else {}).get(name_en)
    if found is None or isinstance(found, str):
        return found
    point = shapely.from_wkb(wkb).representative_point()
    return next((zh for w, e, s, n, zh in found if w <= point.x <= e and s <= point.y <= n), None)


def named(rows: list[tuple]) -> list[tuple]:
    """Context rows (kind, name_zh, name_en, rank, minzoom, wkb[, maxzoom]) with the rivers' and lakes' Chinese
    names filled in."""
    return [(r[0], zh_name(r[0], r[2], r[5]), *r[2:]) if r[0] in ("river", "lake") and r[1] is None else r
            for r in rows]
