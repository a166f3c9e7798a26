"""Every data set the service can hold: origin, licence and attribution, declared once."""

from __future__ import annotations

from pathlib import Path

from core.datasets import Dataset

BUNDLED = Path(__file__).resolve().parent / "bundled"

CC_BY_4 = ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/")
CC0 = ("CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/")


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
        parts.append("synthetic demo data (not real)" if ds.synthetic else f"{ds.title} ({ds.licence})")
    return "; ".join(parts)


def folder(ds: Dataset) -> Path:
    """The folder of a bundled data set under data/bundled/."""
    assert ds.folder, f"{ds.id} is not a bundled data set"
    return BUNDLED / ds.folder
