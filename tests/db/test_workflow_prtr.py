"""PRTR forms through HTTP: drafts, field-named errors, publication in full, versions kept."""

from __future__ import annotations

import pytest

from tests.unit.test_prtr_rules import GOOD
from tests.workflow_helpers import PDF, client_for, make_world, post

YEAR = 2024


@pytest.fixture(scope="module")
def enterprise(app, db_url):
    ent, _ = client_for(app, db_url, "member")
    rev, _ = client_for(app, db_url, "admin")
    world = make_world(db_url)
    r = post(ent, "/api/workflow/claims", {"facility_id": world["facility_id"], "contact_name": "x",
                                           "position": "y", "contact_email": "x@example.org"},
             files={"licence": (PDF, "l.pdf")})
    assert r.status_code == 201, r.json
    assert post(rev, f"/api/review/claims/{r.json['id']}", json={"decision": "approved"}).status_code == 200
    return ent, world


def test_only_the_enterprise_files_forms(app, db_url, enterprise):
    _, world = enterprise
    stranger, _ = client_for(app, db_url, "member")
    r = post(stranger, f"/api/workflow/prtr/{world['facility_id']}/{YEAR}", json={"form": GOOD, "submit": True})
    assert r.status_code == 403


def test_errors_name_every_field(enterprise):
    ent, world = enterprise
    bad = GOOD | {"chemicals": [{"name": "Benzene", "cas": "71-43-3", "quantity": 1}],
                  "energy": [{"carrier": "coal", "quantity": -4, "unit": "t"}], "water": {"withdrawal_m3": 1e12,
                                                                                        "discharge_m3": 1}}
    r = post(ent, f"/api/workflow/prtr/{world['facility_id']}/{YEAR}", json={"form": bad, "submit": True})
    assert r.status_code == 400
    assert set(r.json["errors"]) == {"chemicals[0].cas", "energy[0].quantity", "water.withdrawal_m3"}
    assert "should be 2" in r.json["errors"]["chemicals[0].cas"]
    future = post(ent, f"/api/workflow/prtr/{world['facility_id']}/2999", json={"form": GOOD, "submit": True})
    assert future.status_code == 400 and "year" in future.json["error"]


def test_draft_then_submit_then_correct_keeps_versions(enterprise, app):
    ent, world = enterprise
    fid = world["facility_id"]
    r = post(ent, f"/api/workflow/prtr/{fid}/{YEAR}", json={"form": {"ghg": {"scope1_tco2e": 10}}})
    assert r.status_code == 200 and r.json["status"] == "draft"
    anon = app.test_client()
    assert not anon.get(f"/api/facilities/{fid}").json["prtr"]  # a draft is not published
    r = post(ent, f"/api/workflow/prtr/{fid}/{YEAR}", json={"form": GOOD, "submit": True})
    assert r.status_code == 201 and r.json["version"] == 1, r.json
    corrected = GOOD | {"ghg": {"scope1_tco2e": 5100, "scope2_tco2e": 800}}
    r = post(ent, f"/api/workflow/prtr/{fid}/{YEAR}", json={"form": corrected, "submit": True})
    assert r.status_code == 201 and r.json["version"] == 2
    body = anon.get(f"/api/facilities/{fid}").json["prtr"]
    assert len(body) == 1 and body[0]["version"] == 2 and body[0]["ghg_tco2e"] == 5900
    assert body[0]["details"]["chemicals"][0]["cas"] == "7664-93-9"
    versions = anon.get(f"/api/facilities/{fid}/prtr/{YEAR}").json["versions"]
    assert [(v["version"], v["status"]) for v in versions] == [(2, "submitted"), (1, "superseded")]
    page = anon.get(f"/facilities/{fid}?lang=en").get_data(as_text=True)
    for shown in ("7664-93-9", "Sulphuric acid", "off-site transfer", "measured", "Electricity", "1,500.0 kWh",
                  "2026年单位产品能耗下降5%"):
        assert shown in page, shown


def test_the_web_form_saves_a_draft_and_reports_errors(enterprise):
    ent, world = enterprise
    fid = world["facility_id"]
    path = f"/account/company/prtr/{fid}/{YEAR - 1}"
    assert ent.get(path + "?lang=zh").status_code == 200
    r = post(ent, f"/api/workflow/prtr/{fid}/{YEAR - 1}", {"_next": path, "energy_coal_quantity": "-3",
                                                            "submit": "true"})
    assert r.status_code == 302
    page = ent.get(path + "?lang=en").get_data(as_text=True)
    assert "energy[0].quantity: must not be negative" in page
    r = post(ent, f"/api/workflow/prtr/{fid}/{YEAR - 1}", {"_next": path, "energy_coal_quantity": "30",
                                                            "submit": "false"})
    page = ent.get(path + "?lang=en").get_data(as_text=True)
    assert 'value="30' in page and "draft" in page
