"""Texts of the real-data pages (city carbon, water classes, Taiwan records, provenance): key -> (Chinese, English)."""

TEXT: dict[str, tuple[str, str]] = {
    "rd_level": ("层级", "Level"),
    "rd_level_province": ("省级", "Provinces"),
    "rd_level_city": ("城市", "Cities"),
    "rd_series": ("数据系列", "Series"),
    "rd_series_cui2021-province-co2": ("各省逐日排放（Cui等，2021）", "Provinces, daily CO2 (Cui et al. 2021)"),
    "rd_series_carbon-monitor-cities": ("Carbon Monitor Cities（209个城市）", "Carbon Monitor Cities (209 cities)"),
    "rd_series_cmcc-cities": ("Carbon Monitor Cities-China（41个城市）", "Carbon Monitor Cities-China (41 cities)"),
    "rd_series_note": ("两个城市系列对“城市”的定义不同，不能混合，也不能相加为地级市总量。",
                       "The two city series define a city differently: never mixed, nor added up to prefectures."),
    "rd_source": ("数据来源", "Source"),
    "rd_unplaced": ("{n} 个城市只有联合国地名代码、没有坐标，未在地图上显示，但列入排名。",
                    "{n} cities have a UN/LOCODE but no coordinates: ranked, not drawn on the map."),
    "rd_cities_total": ("本系列城市合计", "Total of the series' cities"),
    "rd_city_point": ("城市位置点（不是地级市边界）", "city point (not a prefecture outline)"),
    "rd_demo_notice": ("演示数据：“水质”图层（监测断面及读数）、“企业”图层中大陆企业的违规记录、"
                       "中文名称和统一社会信用代码、PRTR数据和在线监测数据为合成数据；“供应链”图层的品牌名单是匿名化的开发测试数据。",
                       "Demo data: the water layer (sections and readings), and on the factories layer the mainland "
                       "violation records, Chinese names and USCCs, PRTR figures and online-monitoring data are "
                       "synthetic; the supply-chain layer's brand lists are development fixtures with anonymised "
                       "brand names."),
    "rd_demo_more": ("哪些是合成数据", "What is synthetic"),
    "rd_covers": ("覆盖范围", "Covers"),
    "rd_covers_carbon-monitor-cities": ("中国209个城市2019–2021年化石燃料和水泥CO2年排放"
                                        "（联合国地名代码，经审核对应到地级市）",
                                        "Annual fossil and cement CO2 of 209 Chinese cities, 2019-2021 (UN/LOCODEs "
                                        "joined to prefectures by a reviewed table)"),
    "rd_covers_cmcc-cities": ("41个高排放城市2020–2021年CO2（按城市行政辖区），单独系列，不与上者混合",
                              "CO2 of 41 high-emission cities, 2020-2021 (administrative territory), a separate "
                              "series never mixed with the one above"),
    "rd_covers_tw-moenv-penalties": ("台湾地区环境部1,000条裁处记录（2026年）：事业名称、统一编号、管制编号、"
                                     "违反法令、违反事实、罚款（新台币）、改善状态、诉愿结果",
                                     "1,000 Taiwan MOENV penalty decisions (2026): company, tax id, control number, "
                                     "law article, facts, fine (NTD), improvement status, appeal outcome"),
    "rd_covers_tw-moenv-ghg": ("台湾地区628家工厂2015–2024年温室气体排放；98家燃煤工厂的坐标",
                               "GHG emissions of 628 Taiwan facilities, 2015-2024; coordinates of 98 coal-using "
                               "plants"),
    "rd_covers_tw-county-seats": ("台湾地区22个县市的代表点，用于只能定位到县市的记录",
                                  "Representative points of Taiwan's 22 counties and cities, for records placed "
                                  "at county precision"),
    "rd_covers_osh-fixture-lists": ("开放供应链平台（Open Supply Hub）代码库中的开发测试名单："
                                    "品牌名称已匿名化，不是真实品牌的名单",
                                    "Development fixtures from the Open Supply Hub code base: brand names are "
                                    "anonymised; not the lists of real brands"),
    "rd_precision_county": ("位置为县市代表点，不是工厂位置", "placed at the county's representative point, "
                            "not the factory's position"),
    "rd_tw_records": ("台湾地区环境部裁处记录（真实数据，繁体中文原文）",
                      "Taiwan Ministry of Environment penalty decisions (real records, original Traditional Chinese)"),
    "rd_fine": ("罚款", "Fine"),
    "rd_tax_id": ("统一编号", "Tax id"),
    "rd_control_no": ("管制编号", "Control number"),
    "rd_improvement": ("改善状态", "Improvement status"),
    "rd_appeal": ("诉愿结果", "Appeal outcome"),
    "rd_document_no": ("裁处书字号", "Decision number"),
    "rd_location": ("位置", "Location"),
    "rd_record_details": ("公开的处分详情", "Published details"),
    "rd_law": ("违反法令", "Law article"),
    "rd_appealed": ("已提起诉愿", "appealed"),
    "rd_not_appealed": ("未提起诉愿", "not appealed"),
    "rd_payment": ("缴款状态", "Payment"),
    "rd_ghg": ("温室气体排放（吨二氧化碳当量）", "Greenhouse-gas emissions (t CO2e)"),
    "rd_water_class_param": ("定类指标", "Class set by"),
    "rd_water_temp": ("水温", "Water temperature"),
}
