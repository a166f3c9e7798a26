"""PRTR form checks: units normalised, plausibility ranges, every bad field named, CAS check digits."""

import pytest

from workflow.prtr_rules import FormErrors, from_fields, normalise

GOOD = {
    "energy": [{"carrier": "electricity", "quantity": 1.5, "unit": "MWh"}, {"carrier": "coal", "quantity": "2,000",
                                                                           "unit": "t"}],
    "water": {"withdrawal_m3": 12000, "discharge_m3": "9000"},
    "chemicals": [{"name": "Sulphuric acid", "cas": "7664-93-9", "quantity": 500, "unit": "kg"}],
    "releases": [{"medium": "air", "pollutant": "SO2", "quantity": 1200, "unit": "kg", "method": "measured"},
                 {"medium": "transfer", "pollutant": "sludge", "quantity": 3, "unit": "t", "method": "estimated"}],
    "ghg": {"scope1_tco2e": 5000, "scope2_tco2e": 800},
    "targets_zh": "2026年单位产品能耗下降5%",
}


def test_units_are_normalised_and_energy_summed_in_tce():
    out = normalise(GOOD)
    assert out["energy"][0] == {"carrier": "electricity", "quantity": 1500.0, "unit": "kWh"}
    assert out["chemicals"][0]["quantity_t"] == 0.5 and out["releases"][0]["quantity_t"] == 1.2
    assert out["water"] == {"withdrawal_m3": 12000.0, "discharge_m3": 9000.0}
    assert out["energy_tce"] == pytest.approx(1500 * 0.1229e-3 + 2000 * 0.7143, rel=1e-6)


@pytest.mark.parametrize(("change", "field", "why"), [
    ({"energy": [{"carrier": "coal", "quantity": -1, "unit": "t"}]}, "energy[0].quantity", "negative"),
    ({"energy": [{"carrier": "coal", "quantity": 1, "unit": "barrel"}]}, "energy[0].unit", "coal in"),
    ({"energy": [{"carrier": "wood", "quantity": 1}]}, "energy[0].carrier", "one of"),
    ({"energy": [{"carrier": "coal", "quantity": 9e9, "unit": "t"}]}, "energy[0].quantity", "implausible"),
    ({"energy": []}, "energy", "at least one"),
    ({"water": {"withdrawal_m3": "lots"}}, "water.withdrawal_m3", "not a number"),
    ({"water": {"withdrawal_m3": 1e11}}, "water.withdrawal_m3", "implausible"),
    ({"chemicals": [{"name": "Benzene", "cas": "71-43-3", "quantity": 1}]}, "chemicals[0].cas", "should be 2"),
    ({"chemicals": [{"name": "", "cas": "71-43-2", "quantity": 1}]}, "chemicals[0].name", "required"),
    ({"releases": [{"medium": "space", "pollutant": "x", "quantity": 1, "method": "measured"}]},
     "releases[0].medium", "one of"),
    ({"releases": [{"medium": "air", "pollutant": "x", "quantity": 1, "method": "guessed"}]},
     "releases[0].method", "one of"),
    ({"releases": [{"medium": "air", "pollutant": "x", "quantity": 1, "unit": "lb", "method": "measured"}]},
     "releases[0].unit", "one of"),
    ({"ghg": {"scope1_tco2e": -5, "scope2_tco2e": 1}}, "ghg.scope1_tco2e", "negative"),
    ({"ghg": {"scope1_tco2e": 1}}, "ghg.scope2_tco2e", "required"),
    ({"ghg": {"scope1_tco2e": float("nan"), "scope2_tco2e": 1}}, "ghg.scope1_tco2e", "not a number"),
])
def test_each_bad_field_is_named(change, field, why):
    with pytest.raises(FormErrors) as err:
        normalise(GOOD | change)
    assert why in err.value.details["errors"][field], err.value.details
    assert err.value.reason.startswith(field)


def test_several_errors_are_all_reported():
    with pytest.raises(FormErrors) as err:
        normalise(GOOD | {"ghg": {"scope1_tco2e": -1, "scope2_tco2e": -2},
                          "water": {"withdrawal_m3": -3, "discharge_m3": 0}})
    assert set(err.value.details["errors"]) == {"ghg.scope1_tco2e", "ghg.scope2_tco2e", "water.withdrawal_m3"}
    assert "(and 2 more)" in err.value.reason


def test_drafts_may_be_partial_but_not_wrong():
    assert normalise({"energy": [{"carrier": "steam", "quantity": 3, "unit": "TJ"}]}, draft=True)["energy"][0][
        "quantity"] == 3000
    with pytest.raises(FormErrors):
        normalise({"ghg": {"scope1_tco2e": -1}}, draft=True)
    with pytest.raises(FormErrors):
        normalise(["not", "an", "object"])


def test_the_web_forms_flat_fields():
    form = from_fields({"energy_coal_quantity": "10", "energy_coal_unit": "t", "chem_0_name": "Benzene",
                        "chem_0_cas": "71-43-2", "chem_0_quantity": "2", "rel_1_medium": "water",
                        "rel_1_pollutant": "COD", "rel_1_quantity": "4", "rel_1_method": "calculated",
                        "water_withdrawal_m3": "100", "water_discharge_m3": "80", "ghg_scope1_tco2e": "1",
                        "ghg_scope2_tco2e": "2"})
    out = normalise(form)
    assert out["energy"] == [{"carrier": "coal", "quantity": 10.0, "unit": "t"}]
    assert out["chemicals"][0]["cas"] == "71-43-2" and out["releases"][0]["medium"] == "water"
