"""GHG calculator: worked examples computed by hand, with the factor values stated here."""

import pytest

from core.errors import Invalid
from standards import ghg

# Factors used below (table cn-2024.1):
#   grid, North China 2022 (MEE/NBS 2024-12-20):   0.6776 tCO2/MWh
#   grid, national 2021 (MEE/NBS No. 12 of 2024):   0.5568 tCO2/MWh; national 2022: 0.5366
#   diesel (IPCC 2006 defaults):                    NCV 43.0 GJ/t, 74.1 tCO2/TJ
#   natural gas:                                    NCV 389.31 GJ/10^4 Nm3 (NDRC 2015), 56.1 tCO2/TJ (IPCC)
#   purchased heat (NDRC 2015):                     0.11 tCO2/GJ
#   clinker (IPCC 2006 Vol. 3):                     0.52 tCO2/t x CKD correction 1.02


def test_electricity_by_region():
    # 1,000 MWh x 0.6776 = 677.6 t
    r = ghg.calculate({"year": 2022, "electricity": [{"region": "north", "mwh": 1000}]})
    assert r["scope2_tco2e"] == 677.6 and r["scope1_tco2e"] == 0
    assert r["lines"][0]["factor"] == 0.6776 and r["lines"][0]["sources"][0]["id"] == "mee-nbs-2022"


def test_diesel_and_natural_gas():
    # diesel 10 t: 10 x 43.0 GJ = 430 GJ = 0.43 TJ x 74.1 = 31.863 t
    # gas 50 x 10^4 Nm3: 50 x 389.31 GJ = 19,465.5 GJ = 19.4655 TJ x 56.1 = 1,092.01455 t
    r = ghg.calculate({"year": 2022, "fuels": [{"fuel": "diesel", "quantity": 10},
                                               {"fuel": "natural_gas", "quantity": 50}]})
    assert [x["tco2e"] for x in r["lines"]] == [31.863, 1092.015]
    assert r["scope1_tco2e"] == round(31.863 + 1092.01455, 3) == 1123.878
    assert r["lines"][0]["ipcc_default"] is True


def test_heat_clinker_and_total():
    # heat 500 GJ x 0.11 = 55 t (scope 2); clinker 10,000 t x 0.52 x 1.02 = 5,304 t (scope 1)
    # plus 200 MWh national 2022: 200 x 0.5366 = 107.32 t (scope 2)
    r = ghg.calculate({"year": 2022, "heat_gj": 500, "clinker_t": 10000,
                       "electricity": [{"region": "national", "mwh": 200}]})
    assert r["scope1_tco2e"] == 5304.0
    assert r["scope2_tco2e"] == 162.32
    assert r["total_tco2e"] == 5466.32


def test_the_newest_published_year_up_to_the_reporting_year():
    # 2024 has no published factor yet: the 2022 one (0.5366) applies; 2021 uses its own (0.5568)
    assert ghg.calculate({"year": 2024, "electricity": [{"mwh": 100}]})["scope2_tco2e"] == 53.66
    r = ghg.calculate({"year": 2021, "electricity": [{"mwh": 100}]})
    assert r["scope2_tco2e"] == 55.68 and r["lines"][0]["factor_year"] == 2021


@pytest.mark.parametrize("inputs, words", [
    ({"year": 2022}, "at least one"),
    ({"year": 2019, "electricity": [{"mwh": 1}]}, "2019 or earlier"),
    ({"year": 2022, "electricity": [{"region": "mars", "mwh": 1}]}, "no published factor"),
    ({"year": 2021, "electricity": [{"region": "north", "mwh": 1}]}, "2021 or earlier"),
    ({"year": 2022, "fuels": [{"fuel": "peat", "quantity": 1}]}, "fuels.fuel"),
    ({"year": 2022, "fuels": [{"fuel": "diesel", "quantity": -1}]}, "fuels.quantity"),
    ({"year": 2022, "heat_gj": "lots"}, "heat_gj"),
    ({"year": "x", "heat_gj": 1}, "year"),
    ({"year": 2022, "heat_gj": 1, "factor_version": "nope"}, "factor_version"),
])
def test_bad_input_is_named(inputs, words):
    with pytest.raises(Invalid, match=words):
        ghg.calculate(inputs)


def test_every_factor_names_a_known_source():
    t = ghg.load()
    used = {g["source"] for g in t.grid.values()} | {t.heat["source"], t.clinker["source"]}
    used |= {f[k] for f in t.fuels.values() for k in ("ncv_source", "co2_source")}
    assert used <= set(t.sources)
    assert all(t.sources[s]["year"] for s in used)
