"""Every data set the service can hold: origin, licence and attribution, declared once."""

from __future__ import annotations

from pathlib import Path

from core.datasets import Dataset

BUNDLED = Path(__file__).resolve().parent / "bundled"

CC_BY_4 = ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/")
CC0 = ("CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/")
ODBL = ("ODbL 1.0", "https://opendatacommons.org/licenses/odbl/1-0/")
OGDL_TW = ("Open Government Data License (Taiwan) 1.0", "https://data.gov.tw/license")


DATASETS: dict[str, Dataset] = {d.id: d for d in (
    Dataset("natural-earth-china", "Natural Earth 1:10m provinces and populated places (China subset)",
            "Public domain", "https://www.naturalearthdata.com/about/terms-of-use/",
            "Made with Natural Earth. Province outlines via FTChinese/map-geojson (MIT).",
            "https://www.naturalearthdata.com/", folder="natural-earth-china"),
    Dataset("gppd-china", "WRI Global Power Plant Database v1.3.0, China inputs", *CC_BY_4,
            "Global Energy Observatory, Google, KTH Royal Institute of Technology in Stockholm, Enipedia, "
            "World Resources Institute. 2018. Global Power Plant Database.",
            "https://github.com/wri/global-power-plant-database", folder="gppd-china"),
    Dataset("sfi-cement-steel", "Spatial Finance Initiative cement and iron & steel plants (July 2021)", *CC_BY_4,
            "McCarten, M. et al. 2021, Global Database of Cement Production Assets / Iron and Steel "
            "Production Assets. Spatial Finance Initiative.",
            "https://www.cgfi.ac.uk/spatial-finance-initiative/", folder="sfi-cement-steel"),
    Dataset("beijing-multisite-aq", "Beijing Multi-Site Air Quality, 12 national stations, 2013-2017", *CC_BY_4,
            "Chen, S. (2017) Beijing Multi-Site Air Quality, UCI ML Repository, doi:10.24432/C5RK5G. "
            "Station coordinates are approximate (compiled, not surveyed).",
            "https://doi.org/10.24432/C5RK5G", folder="beijing-multisite-aq"),
    Dataset("cui2021-province-co2", "Daily CO2 emissions of China's provinces, 2019-2020 (Cui et al. 2021)",
            *CC_BY_4, "Cui, D., Deng, Z., Liu, Z. et al. (2021), Earth System Science Data, "
            "doi:10.5281/zenodo.4730175", "https://doi.org/10.5281/zenodo.4730175",
            folder="cn-province-daily-co2-cui2021"),
    Dataset("wikidata-population", "Wikidata census population of China's provinces", *CC0,
            "Wikidata (P1082 population), via Open-Earth-Foundation/OpenClimate",
            "https://www.wikidata.org/", folder="cn-province-population"),
    Dataset("worldbank-population", "World Bank Subnational Population Database", *CC_BY_4,
            "World Bank, Subnational Population Database", "https://databank.worldbank.org/",
            folder="cn-province-population"),
    Dataset("osh-fixture-lists", "Open Supply Hub development fixture supplier lists", "MIT",
            "https://opensource.org/license/mit",
            "Open Supply Hub (MIT License, Copyright (c) 2022 Open Supply Hub); contributor names are "
            "anonymised placeholders.", "https://github.com/opensupplyhub/open-supply-hub",
            folder="osh-fixture-supplier-lists"),
    # issue 17: real city carbon and Taiwan enforcement records
    Dataset("carbon-monitor-cities", "Carbon Monitor Cities: annual fossil CO2 of 209 Chinese cities, 2019-2021",
            *CC_BY_4, "Carbon Monitor Cities (Huo et al. 2022, doi:10.6084/m9.figshare.19425665.v1), CC BY 4.0; "
            "aggregated by Open Earth Foundation OpenClimate (Apache-2.0); prefecture join reviewed by this project",
            "https://doi.org/10.6084/m9.figshare.19425665.v1", folder="cn-city-co2-carbon-monitor"),
    Dataset("cmcc-cities", "Carbon Monitor Cities-China (CMCC): annual CO2 of 41 cities, 2020-2021", *CC_BY_4,
            "Huo, D. et al. (2022) Carbon Monitor Cities-China, Sci Data, doi:10.6084/m9.figshare.20264277.v2, "
            "CC BY 4.0; aggregated by Open Earth Foundation OpenClimate (Apache-2.0)",
            "https://doi.org/10.6084/m9.figshare.20264277.v2", folder="cn-city-co2-carbon-monitor"),
    Dataset("tw-moenv-penalties", "Taiwan MOENV penalty decisions (EMS_P_46), 1,000 records, 2026",
            *OGDL_TW, "資料來源：環境部 環境資料開放平臺 (EMS_P_46) / Taiwan Ministry of Environment Open Data",
            "https://data.gov.tw/dataset/34101", folder="tw-moenv-penalties-ems-p-46"),
    Dataset("tw-moenv-ghg", "Taiwan facility greenhouse-gas emissions 2015-2024 and coal-using plants", *OGDL_TW,
            "環境部開放資料，綠色公民行動聯盟 排碳大戶觀測站整理 (MOENV GHG_P_01 via GCAA carbon-watch)",
            "https://github.com/gcaa-org-tw/carbon-watch", folder="tw-moenv-ghg-facilities-gcaa"),
    Dataset("tw-county-seats", "Taiwan county and city representative points (county seats)", *CC0,
            "Compiled by this project from the seats of Taiwan's 22 county and city governments (approximate)",
            None, folder="tw-moenv-penalties-ems-p-46"),
    Dataset("citizen-reports", "Citizen pollution reports made on this service, published after moderation",
            "CC BY 4.0 unless the reporter chose CC BY-SA 4.0 or CC0 (each report's `licence`)",
            "https://creativecommons.org/licenses/by/4.0/",
            "Reports and photos by members of the public via Blue Map, published after moderation; positions "
            "rounded.", None),
    # issue 16: basemap context, prefectures and counties, OpenStreetMap extracts
    Dataset("natural-earth-basemap", "Natural Earth land, water, urban areas and boundaries around China",
            "Public domain", "https://www.naturalearthdata.com/about/terms-of-use/",
            "Made with Natural Earth (1:10m and 1:50m, via martynafford/natural-earth-geojson CC0 and world-atlas "
            "ISC). Boundary convention of every map: Natural Earth's de-facto international boundaries, claim "
            "lines dashed; prefecture and county outlines are cut where they cross a neighbouring country.",
            "https://www.naturalearthdata.com/", folder="natural-earth-basemap"),
    Dataset("cn-admin-osm", "China prefecture and county boundaries with GB/T 2260 codes (2019/2020 codes)",
            *ODBL, "© OpenStreetMap contributors (ODbL 1.0), via the mapchina R package (Mingchu Xu, GPL-3). "
            "Cut to Natural Earth's de-facto international boundaries; English names are pinyin romanisations "
            "made by this project.", "https://www.openstreetmap.org/copyright", folder="cn-admin-osm-mapchina"),
    Dataset("osm-extract", "OpenStreetMap street basemap (an extract imported with bluemap basemap load)", *ODBL,
            "© OpenStreetMap contributors (ODbL 1.0)", "https://www.openstreetmap.org/copyright"),
    Dataset("synthetic-demo", "Synthetic demo data: violations, Chinese names, USCCs, brands, water stations",
            *CC0, "Generated deterministically by this project. NOT REAL: for demonstration only.",
            None, synthetic=True),
    Dataset("synthetic-ipe", "Synthetic IPE-scale data for benchmarks (1.2 million facilities)", *CC0,
            "Generated deterministically by this project. NOT REAL: for benchmarks only.", None, synthetic=True),
)}


def attribution(dataset_ids) -> str:
    """One attribution line for data sets: each title with its licence; synthetic ones marked as such."""
    parts = []
    for ds_id in dict.fromkeys(dataset_ids):
        ds = DATASETS[ds_id]
        if ds.licence == ODBL[0]:  # the ODbL asks for this exact credit wherever the map is shown
            parts.append("© OpenStreetMap contributors (ODbL 1.0)")
        else:
            parts.append("synthetic demo data (not real)" if ds.synthetic else f"{ds.title} ({ds.licence})")
    return "; ".join(dict.fromkeys(parts))


def folder(ds: Dataset) -> Path:
    """The folder of a bundled data set under data/bundled/."""
    assert ds.folder, f"{ds.id} is not a bundled data set"
    return BUNDLED / ds.folder
