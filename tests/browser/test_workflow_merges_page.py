"""Facility merges in the browser: the claimant proposes on its company page (Chinese), the reviewer merges from
the queue (English), and the duplicate's page then opens the survivor's."""

from __future__ import annotations

import psycopg

from tests.supply_helpers import make_user, sign_in_page
from tests.workflow_helpers import make_world


def _claimant_with_duplicate(db_url: str, world: dict) -> tuple[str, int]:
    """A member whose claim on the world's company is approved, and a second facility of that company."""
    email = make_user(db_url, "member")
    with psycopg.connect(db_url) as c:
        uid = c.execute("SELECT id FROM users WHERE email = %s", (email,)).fetchone()[0]
        fid = c.execute("INSERT INTO workflow_files (stored_name, kind, bytes, purpose, uploaded_by) VALUES "
                        "('0' || md5(random()::text), 'pdf', 10, 'licence', %s) RETURNING id", (uid,)).fetchone()[0]
        c.execute("""INSERT INTO company_claims (user_id, company_id, contact_name, position, contact_phone,
                     licence_file_id, status, decided_at) VALUES (%s, %s, '张经理', '环保主管', '0471-1', %s,
                     'approved', now())""", (uid, world["company_id"], fid))
        dup = c.execute("""INSERT INTO facilities (dataset_id, ext_id, company_id, name_zh, name_en, industry, geom,
                           area_code) VALUES ('test:workflow', %s, %s, %s, %s, 'chemicals',
                           ST_SetSRID(ST_MakePoint(%s, %s), 4326), '150100') RETURNING id""",
                        (world["name"] + "-dup", world["company_id"], world["name"] + "二厂", world["name"] + " II",
                         world["lon"] + 0.002, world["lat"])).fetchone()[0]
        c.execute("SELECT refresh_facility_cells()")
    return email, dup


def test_propose_and_merge_through_the_pages(page, browser, live_url, db_url):
    world = make_world(db_url)
    survivor = world["facility_id"]
    email, dup = _claimant_with_duplicate(db_url, world)
    sign_in_page(page, live_url, email, "zh")
    page.goto(f"{live_url}/account/company?lang=zh", wait_until="load")
    assert "合并重复设施" in page.inner_text("#merges")
    page.select_option("#merge-form select[name=survivor_id]", str(survivor))
    page.select_option("#merge-form select[name=duplicate_id]", str(dup))
    page.fill("#merge-form input[name=reason]", "同一厂区重复录入")
    page.click("#propose-merge")
    page.wait_for_load_state("load")
    assert "待审核" in page.inner_text("#merges")
    # the reviewer, in English, merges it from the queue
    admin = make_user(db_url, "admin")
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    rev = ctx.new_page()
    sign_in_page(rev, live_url, admin, "en")
    rev.goto(f"{live_url}/review?lang=en&kind=merges", wait_until="load")
    assert "Facility merges" in rev.inner_text("#review-filters")
    card = rev.locator(f"#q-merges article:has-text('#{dup}')")
    assert "waiting for review" in card.inner_text()
    card.locator("input[name=reason]").fill("Same site, entered twice")
    card.locator("button.approve").click()
    rev.wait_for_load_state("load")
    assert f"#{dup}" not in rev.inner_text("#q-merges")
    rev.goto(f"{live_url}/review?lang=en&kind=merges&status=merged", wait_until="load")
    assert "merged" in rev.locator(f"#q-merges article:has-text('#{dup}')").inner_text()
    ctx.close()
    # the duplicate's page now opens the survivor's; the company page shows the merge as done (Chinese)
    page.goto(f"{live_url}/facilities/{dup}?lang=zh", wait_until="load")
    assert page.url.split("?")[0].endswith(f"/facilities/{survivor}")
    page.goto(f"{live_url}/account/company?lang=zh", wait_until="load")
    assert "已合并" in page.inner_text("#merges")
