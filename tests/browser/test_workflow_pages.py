"""The accountability loop in the browser: sign-up, claim, approval, explanation, acceptance, audit, confirmation,
removal, in Chinese and English pages, with the enterprise, the reviewer and the auditor in their own sessions."""

from __future__ import annotations

from datetime import date

from tests.supply_helpers import PASSWORD, make_user, sign_in_page, unique
from tests.workflow_helpers import PDF, make_world


def _context(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    return ctx, ctx.new_page()


def test_the_loop_through_the_pages(page, browser, live_url, db_url, tmp_path):
    world = make_world(db_url)
    v1 = world["violations"][0]
    licence = tmp_path / "licence.pdf"
    licence.write_bytes(PDF)
    # the enterprise signs up (Chinese pages) and claims its company
    page.goto(f"{live_url}/signup?lang=zh", wait_until="load")
    assert "注册账户" in page.inner_text("h1")
    email = f"{unique('browser')}@example.org"
    page.fill("#signup-form input[name=email]", email)
    page.fill("#signup-form input[name=password]", PASSWORD)
    page.fill("#signup-form input[name=password2]", PASSWORD)
    page.click("#signup-form button[type=submit]")
    page.wait_for_url("**/account/company")
    page.click("#claim-link")
    page.fill("#claim-form input[name=uscc]", world["uscc"])
    page.fill("#claim-form input[name=contact_name]", "王经理")
    page.fill("#claim-form input[name=position]", "环保主管")
    page.fill("#claim-form input[name=contact_phone]", "0471-1234567")
    page.set_input_files("#claim-form input[name=licence]", str(licence))
    page.click("#claim-form button[type=submit]")
    page.wait_for_url("**/account/company")
    assert "待审核" in page.inner_text("#claims")
    # the reviewer (English pages) approves
    admin = make_user(db_url, "admin")
    rctx, rev = _context(browser)
    sign_in_page(rev, live_url, admin, "en")
    rev.goto(f"{live_url}/review?lang=en&kind=claims", wait_until="load")
    card = rev.locator(f"#q-claims article:has-text('{world['uscc']}')")
    card.locator("button.approve").click()
    rev.wait_for_load_state("load")
    assert world["uscc"] not in rev.inner_text("#q-claims")
    # the enterprise answers a record (English this time)
    page.goto(f"{live_url}/account/company?lang=en", wait_until="load")
    page.click(f"tr[data-violation-id='{v1}'] a.respond")
    page.fill("#explain-form textarea[name=cause_en]", "Scrubber failure during maintenance")
    page.fill("#explain-form textarea[name=measures_en]", "Scrubber replaced")
    page.fill("#explain-form textarea[name=cause_zh]", "检修期间脱硫设施故障")
    page.fill("#explain-form textarea[name=measures_zh]", "已更换脱硫设施")
    page.click("#explain-form button[type=submit]")
    page.wait_for_load_state("load")
    assert "waiting for review" in page.inner_text("#versions")
    # accepted by the reviewer; the facility page shows it in both languages
    rev.goto(f"{live_url}/review?lang=zh&kind=explanations", wait_until="load")
    rev.locator(f"#q-explanations article:has-text('#{v1}') button.approve").click()
    rev.wait_for_load_state("load")
    page.goto(f"{live_url}/facilities/{world['facility_id']}?lang=zh", wait_until="load")
    assert page.locator("#claimed-badge").inner_text() == "已认领"
    assert "检修期间脱硫设施故障" in page.inner_text(f"tr[data-violation-id='{v1}']")
    page.goto(f"{live_url}/facilities/{world['facility_id']}?lang=en", wait_until="load")
    assert "Scrubber failure during maintenance" in page.inner_text(f"tr[data-violation-id='{v1}']")
    # an accredited organisation and its auditor
    rev.goto(f"{live_url}/review?lang=en&kind=orgs", wait_until="load")
    rev.fill("#accredit-form input[name=name]", "Green Audit Co.")
    rev.fill("#accredit-form input[name=accreditation_no]", unique("GCA"))
    rev.fill("#accredit-form input[name=valid_from]", "2024-01-01")
    rev.fill("#accredit-form input[name=valid_to]", "2030-12-31")
    rev.click("#accredit-form button[type=submit]")
    rev.wait_for_load_state("load")
    auditor = make_user(db_url, "member")
    rev.locator("#q-orgs tr:has-text('Green Audit Co.') input[name=email]").fill(auditor)
    rev.locator("#q-orgs tr:has-text('Green Audit Co.') button").click()
    rev.wait_for_load_state("load")
    # the enterprise requests the audit
    page.goto(f"{live_url}/account/company?lang=zh", wait_until="load")
    page.check(f"tr[data-violation-id='{v1}'] input[name=violation_ids]")
    page.select_option("#audit-request-form select[name=org_id]", label=page.locator(
        "#audit-request-form option", has_text="Green Audit Co.").first.inner_text())
    page.click("#request-audit")
    page.wait_for_load_state("load")
    assert "已申请" in page.inner_text("#requests")
    # the auditor files it (Chinese)
    actx, aud = _context(browser)
    sign_in_page(aud, live_url, auditor, "zh")
    aud.goto(f"{live_url}/audits?lang=zh", wait_until="load")
    form = aud.locator(f"article:has-text('{world['uscc']}') form")
    form.locator(f"textarea[name=finding_{v1}]").fill("现场核查：设施已更换，运行正常")
    form.locator("select[name=audit_type]").select_option("on_site")
    form.locator("input[name=audit_date]").fill(date.today().isoformat())
    form.locator("input[name=report]").set_input_files(str(licence))
    form.locator("button[type=submit]").click()
    aud.wait_for_load_state("load")
    assert "已提交审核结果" in aud.inner_text(f"article:has-text('{world['uscc']}')")
    # the reviewer confirms (rectified) and removes it
    rev.goto(f"{live_url}/review?lang=en&kind=audits", wait_until="load")
    rev.locator(f"#q-audits article:has-text('#{v1}') button.approve").click()
    rev.wait_for_load_state("load")
    rev.goto(f"{live_url}/review?lang=en&kind=removable", wait_until="load")
    item = rev.locator(f"#q-removable article[data-violation-id='{v1}']")
    item.locator("input[name=reason]").fill("Rectified and audited on site")
    item.locator("button.remove").click()
    rev.wait_for_load_state("load")
    # gone from the public page, still on the enterprise's
    actx.close()
    anon_ctx, anon = _context(browser)
    anon.goto(f"{live_url}/facilities/{world['facility_id']}?lang=en", wait_until="load")
    assert anon.locator(f"tr[data-violation-id='{v1}']").count() == 0
    page.goto(f"{live_url}/facilities/{world['facility_id']}?lang=en", wait_until="load")
    assert page.locator(f"tr[data-violation-id='{v1}'][data-status='removed']").count() == 1
    assert "on-site audit" in page.inner_text(f"tr[data-violation-id='{v1}']")
    anon_ctx.close()
    rctx.close()
    # the loop's own requests all succeeded (the facility page's map inset is other tests' business)
    # ("Failed to load resource" console lines repeat the HTTP entries, which name their URL; requests that
    # navigating to the next page cancels, such as the inset map's tiles and sprites, end as ERR_ABORTED)
    mine = [p for p in page.problems.items if "/styles/" not in p and "maplibre" not in p
            and "Failed to load resource" not in p and "net::ERR_ABORTED" not in p]
    assert not mine, mine
