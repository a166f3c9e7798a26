"""The alerts journey in a real browser: sign in, subscribe to a facility on /alerts (e-mail, webhook, feed,
inbox), load a violation with `bluemap load-file violations`, and the alert arrives everywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import feedparser
import psycopg

from alerts.dispatch import Config, Dispatcher
from alerts.mail import parse_url
from tests.alerts_helpers import facility, smtp_server, webhook_receiver
from tests.browser.conftest import wait_for_map
from tests.supply_helpers import PASSWORD, make_user


def test_subscribe_on_the_alerts_page_and_receive_everywhere(page, live_url, db_url, settings, tmp_path):
    from app.auth import secret_key

    with psycopg.connect(db_url) as c:
        fid = facility(c, 108.94, 34.26, "610102")
        ext = c.execute("SELECT ext_id FROM facilities WHERE id = %s", (fid,)).fetchone()[0]
        c.execute("INSERT INTO alert_allowed_hosts (host) VALUES ('127.0.0.1') ON CONFLICT DO NOTHING")
    email = make_user(db_url, "member")
    page.goto(f"{live_url}/login?next=/alerts&lang=en", wait_until="load")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/alerts")
    assert page.locator("#alerts-inbox-empty").count() == 1
    # drawing an area: three clicks on the map make the polygon
    wait_for_map(page)
    for x, y in ((100, 80), (220, 90), (160, 200)):
        page.click("#alerts-draw-map", position={"x": x, "y": y})
    drawn = json.loads(page.input_value("#alerts-polygon"))
    assert drawn["type"] == "Polygon" and len(drawn["coordinates"][0]) == 4
    assert page.input_value("#alerts-target") == "area"
    page.click("#alerts-draw-clear")
    assert page.input_value("#alerts-polygon") == ""
    with smtp_server() as (box, smtp_url), webhook_receiver() as (rec, hook_url):
        page.select_option("#alerts-target", "facility")
        page.fill("#alerts-facility-id", str(fid))
        page.check("#alerts-feed")
        page.select_option("#alerts-email-mode", "immediate")
        page.fill("#alerts-webhook-url", hook_url + "/in")
        wait_for_map(page)  # leaving a page while its tiles load aborts them (counted as problems)
        page.click("#alerts-create")
        page.wait_for_load_state("load")
        assert page.locator("#alerts-saved").count() == 1
        secret = page.input_value("#webhook-secret")
        assert len(secret) == 64
        row = page.locator("#alerts-subscriptions tbody tr").first
        assert "Test Chemical Works" in row.inner_text()
        feed_url = page.input_value(".feed-url")
        wait_for_map(page)

        csv_file = tmp_path / "violations.csv"
        csv_file.write_text("ext_id,facility_ext_id,date,authority,category,source,status\n"
                            f"{ext}-v1,{ext},2026-11-20,西安市生态环境局,air,test,open\n", encoding="utf-8")
        env = {**os.environ, "DATABASE_URL": db_url, "BLUEMAP_VAR_DIR": str(tmp_path)}
        load = subprocess.Popen([sys.executable, "-m", "ops.cli", "load-file", "violations", str(csv_file)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:  # the command pre-renders low-zoom tiles after its commit: the record is there before it ends
            line = load.stdout.readline() + load.stdout.readline()
            assert "committed: 1 new violations" in line, line + load.stderr.read()
        finally:
            load.terminate()
            load.wait(30)

        cfg = Config(base_url=live_url, secret_key=secret_key(settings.var_dir, settings.secret_key),
                     smtp=parse_url(smtp_url, "Blue Map <alerts@bluemap.test>"))
        with psycopg.connect(db_url, autocommit=True) as c:  # what `bluemap worker` does
            d = Dispatcher(c, cfg)
            for _ in range(5):
                if not d.step():
                    break
            d.close()
        assert len(box.to(email)) == 1
        assert len(rec.requests) == 1 and rec.requests[0]["json"]["facility"]["id"] == fid
    page.goto(f"{live_url}/alerts?lang=en", wait_until="load")
    item = page.locator("#alerts-inbox li.unread").first
    assert "New violation record" in item.inner_text() and "Test Chemical Works" in item.inner_text()
    parsed = feedparser.parse(page.request.get(feed_url.replace("http://localhost", live_url)).body())
    assert parsed.bozo == 0 and len(parsed.entries) == 1
    wait_for_map(page)
    page.click("#alerts-read-all")
    page.wait_for_load_state("load")
    assert page.locator("#alerts-inbox li.unread").count() == 0
    wait_for_map(page)
    assert not page.problems, page.problems.items
