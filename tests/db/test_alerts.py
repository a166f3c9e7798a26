"""Alerts: the transactional outbox, matching of every subscription kind, privacy of brand links, the inbox,
the Atom feed, e-mail through a real SMTP server, signed webhooks to a real HTTP receiver, retries, pause and
SSRF refusals."""

from __future__ import annotations

import json
import time
import uuid

import feedparser
import psycopg
import pytest

from alerts import subscriptions, webhook
from alerts.dispatch import Config, Dispatcher
from alerts.mail import parse_url
from tests.alerts_helpers import SECRET, facility, smtp_server, user, violation, webhook_receiver
from tests.supply_helpers import csrf_token, login, make_brand

BASE = "http://bluemap.test"


def config(smtp_url: str | None = None, secret: str = SECRET, **kw) -> Config:
    smtp = parse_url(smtp_url, "Blue Map <alerts@bluemap.test>") if smtp_url else None
    return Config(base_url=BASE, secret_key=secret, smtp=smtp, **kw)


def run(db_url: str, cfg: Config | None = None, rounds: int = 20) -> None:
    """The worker's steps, in this process, until nothing is left to do now."""
    with psycopg.connect(db_url, autocommit=True) as c:
        d = Dispatcher(c, cfg or config())
        try:
            for _ in range(rounds):
                if not d.step():
                    break
        finally:
            d.close()


def _run_until(db_url: str, cfg: Config, done, tries: int = 100) -> None:
    """Run the worker's steps again until `done()` (a retry due a few milliseconds later is not due yet when the
    steps run out of work, so one run may end before it)."""
    for _ in range(tries):
        run(db_url, cfg, rounds=50)
        if done():
            return
        time.sleep(0.02)


def deliveries(db_url: str, sub_id: int, channel: str = "inbox") -> list[tuple]:
    with psycopg.connect(db_url) as c:
        return c.execute("SELECT d.event_id, e.kind, e.facility_id, d.state FROM alert_deliveries d "
                         "JOIN alert_events e ON e.id = d.event_id WHERE d.subscription_id = %s AND d.channel = %s "
                         "ORDER BY d.id", (sub_id, channel)).fetchall()


@pytest.fixture(scope="module", autouse=True)
def drained(db_url):
    """The bundled data's events (loaded by the session fixture) are matched first."""
    run(db_url)


@pytest.fixture(scope="module")
def local_hooks(db_url):
    """The test receivers listen on 127.0.0.1: an administrator allows that host (SSRF rules otherwise)."""
    with psycopg.connect(db_url) as c:
        c.execute("INSERT INTO alert_allowed_hosts (host, note) VALUES ('127.0.0.1', 'tests') ON CONFLICT DO NOTHING")


def subscribe(db_url: str, who, **spec) -> dict:
    with psycopg.connect(db_url) as c:
        return subscriptions.create(c, who, spec)


def test_outbox_row_is_written_in_the_changing_transaction(db_url):
    with psycopg.connect(db_url) as c:
        fid = facility(c)
        c.commit()
        before = c.execute("SELECT max(id) FROM alert_events").fetchone()[0] or 0
        vid = violation(c, fid)
        c.rollback()
        assert c.execute("SELECT count(*) FROM alert_events WHERE id > %s", (before,)).fetchone()[0] == 0
        vid = violation(c, fid)
        om = violation(c, fid, ext=f"om:{uuid.uuid4().hex}:so2:1")
        c.commit()
        rows = c.execute("SELECT kind, facility_id, violation_id FROM alert_events WHERE id > %s ORDER BY id",
                         (before,)).fetchall()
    assert rows == [("new_record", fid, vid), ("monitoring_episode", fid, om)]


BULK_ROWS = """
    INSERT INTO violations (id, dataset_id, ext_id, facility_id, violation_date, authority, category, penalty_cny,
                            source, status, synthetic)
    SELECT CASE WHEN g %% 3 = 0 THEN nextval('violations_id_seq') + 0 * nextval('violations_id_seq')
                ELSE nextval('violations_id_seq') END,  -- some ids skipped: a batch of several ranges
           'synthetic-demo', %(tag)s || g, %(fid)s, date '2025-01-01' + g, 'EPB ' || g, 'air', g * 100, 'test',
           (ARRAY['open', 'explained', 'rectified'])[1 + g %% 3]::violation_status, g %% 2 = 0
    FROM generate_series(1, 7) g ORDER BY g"""


def test_a_bulk_load_queues_one_batch_the_worker_writes_out(db_url):
    with psycopg.connect(db_url) as c:
        fid = facility(c)
        c.commit()
    sub = subscribe(db_url, user(db_url), target="facility", facility_id=fid)
    tag = uuid.uuid4().hex[:8]
    with psycopg.connect(db_url) as c:
        c.execute(BULK_ROWS, {"tag": f"row-{tag}-", "fid": fid})  # one event per record, as before
        c.commit()
        before = c.execute("SELECT max(id) FROM alert_events").fetchone()[0]
        c.execute("SET LOCAL bluemap.alert_batch = on")  # the trigger's batch branch
        c.execute(BULK_ROWS, {"tag": f"bat-{tag}-", "fid": fid})
        at = c.execute("SELECT now()").fetchone()[0]
        c.commit()
        assert c.execute("SELECT count(*) FROM alert_events WHERE id > %s", (before,)).fetchone()[0] == 0
        ranges = c.execute("SELECT violation_ids::text FROM alert_event_batches").fetchall()
        assert len(ranges) == 1 and ranges[0][0].count(",") >= 2  # one batch, of several ranges
        c.execute("UPDATE violations SET status = 'removed' WHERE ext_id = %s", (f"bat-{tag}-1",))
        c.commit()
    run(db_url, config(batch=3))  # written out three records at a time, across the gaps
    with psycopg.connect(db_url) as c:
        assert c.execute("SELECT count(*) FROM alert_event_batches").fetchone()[0] == 0
        events = c.execute("""SELECT split_part(payload->>'ext_id', '-', 1), kind, payload - 'ext_id', created_at
                              FROM alert_events WHERE facility_id = %s AND kind = 'new_record'
                              ORDER BY payload->>'ext_id'""", (fid,)).fetchall()
    per_row, batched = events[7:], events[:7]  # "bat-" sorts before "row-"
    assert [e[0] for e in batched] == ["bat"] * 7 and [e[0] for e in per_row] == ["row"] * 7
    assert [e[1:3] for e in batched] == [e[1:3] for e in per_row]  # the payloads the trigger writes
    assert batched[0][2]["status"] == "explained"  # the record's status when it was loaded, not 'removed'
    assert {e[3] for e in batched} == {at}  # the time of the load
    got = [r[1] for r in deliveries(db_url, sub["id"])]
    assert got.count("new_record") == 14 and got.count("status_change") == 1


def test_status_changes_prtr_forms_and_lists_make_events(db_url):
    with psycopg.connect(db_url) as c:
        fid = facility(c)
        vid = violation(c, fid)
        c.commit()
        before = c.execute("SELECT max(id) FROM alert_events").fetchone()[0]
        c.execute("INSERT INTO violation_status_history (violation_id, from_status, to_status) VALUES (%s, NULL, "
                  "'open'), (%s, 'open', 'explained')", (vid, vid))
        c.execute("INSERT INTO prtr_disclosures (facility_id, year, dataset_id) VALUES (%s, 2025, 'synthetic-demo')",
                  (fid,))
        c.execute("UPDATE prtr_disclosures SET energy_tce = 5 WHERE facility_id = %s", (fid,))
        bid = c.execute("INSERT INTO brands (slug, name_en, logo_key, dataset_id) VALUES (%s, 'B', 'x', "
                        "'synthetic-demo') RETURNING id", (f"b-{uuid.uuid4().hex[:8]}",)).fetchone()[0]
        lid = c.execute("INSERT INTO supplier_lists (brand_id, name, status, dataset_id) VALUES (%s, 'l', 'pending', "
                        "'synthetic-demo') RETURNING id", (bid,)).fetchone()[0]
        c.execute("INSERT INTO brand_facility_links (brand_id, facility_id, list_id, tier, dataset_id) "
                  "VALUES (%s, %s, %s, 'processing', 'synthetic-demo')", (bid, fid, lid))
        c.execute("UPDATE supplier_lists SET status = 'accepted', accepted_at = now() WHERE id = %s", (lid,))
        c.commit()
        rows = c.execute("SELECT kind, payload FROM alert_events WHERE id > %s ORDER BY id", (before,)).fetchall()
    kinds = [r[0] for r in rows]
    assert kinds == ["status_change", "prtr_form", "prtr_form", "list_accepted"]
    assert rows[0][1]["from"] == "open" and rows[0][1]["to"] == "explained"
    assert [r[1]["corrected"] for r in rows[1:3]] == [False, True]
    assert rows[3][1]["suppliers"] == 1 and rows[3][1]["added"] == 1


def test_aqi_rising_across_a_threshold_makes_an_event(db_url):
    with psycopg.connect(db_url) as c:
        sid = c.execute("SELECT id FROM stations WHERE kind = 'air' ORDER BY id LIMIT 1").fetchone()[0]
        before = c.execute("SELECT max(id) FROM alert_events").fetchone()[0]
        c.execute("""INSERT INTO air_aqi_hourly (station_id, observed_at, aqi, category, version) VALUES
                     (%(s)s, date_trunc('hour', now()) - interval '2 hours', 80, 2, 'HJ633-2026'),
                     (%(s)s, date_trunc('hour', now()) - interval '1 hours', 230, 5, 'HJ633-2026')""", {"s": sid})
        rows = c.execute("SELECT kind, station_id, payload->>'category', payload->>'previous' FROM alert_events "
                         "WHERE id > %s", (before,)).fetchall()
        c.rollback()
    assert rows == [("aqi_threshold", sid, "5", "2")]


def test_every_subscription_kind_matches_set_based(db_url):
    uscc = "91110000MA00000005"
    from standards import uscc as u
    uscc = uscc[:17] + u._check_digit(uscc[:17])
    with psycopg.connect(db_url) as c:
        inside = facility(c, 121.47, 31.23, "310101", "cement", uscc)   # Shanghai
        outside = facility(c, 121.60, 31.23, "310115", "power_coal")    # ~12 km east
        c.commit()
    who = user(db_url)
    square = {"type": "Polygon", "coordinates": [[[121.4, 31.2], [121.5, 31.2], [121.5, 31.3], [121.4, 31.3],
                                                  [121.4, 31.2]]]}
    subs = {
        "facility": subscribe(db_url, who, target="facility", facility_id=inside),
        "company": subscribe(db_url, who, target="company", uscc=uscc),
        "province": subscribe(db_url, who, target="area", area_code="310000"),
        "district": subscribe(db_url, who, target="area", area_code="310115"),
        "polygon": subscribe(db_url, who, target="area", polygon=json.dumps(square)),
        "radius": subscribe(db_url, who, target="area", lon=121.47, lat=31.24, radius_m=2000),
        "industry": subscribe(db_url, who, target="industry", industry="power_coal"),
        "kinds": subscribe(db_url, who, target="facility", facility_id=inside, kinds="status_change"),
    }
    with psycopg.connect(db_url) as c:
        v_in, v_out = violation(c, inside), violation(c, outside)
        c.commit()
    run(db_url)
    got = {name: sorted(r[2] for r in deliveries(db_url, s["id"])) for name, s in subs.items()}
    assert got == {"facility": [inside], "company": [inside], "province": [inside, outside], "district": [outside],
                   "polygon": [inside], "radius": [inside], "industry": [outside], "kinds": []}
    assert v_in and v_out


def test_private_links_alert_only_their_brand(db_url):
    with psycopg.connect(db_url) as c:
        fid = facility(c, 113.3, 23.1, "440103")
        c.commit()
    a, _ = make_brand(db_url, "alerts-a")
    b, _ = make_brand(db_url, "alerts-b")
    with psycopg.connect(db_url) as c:
        lid = c.execute("INSERT INTO supplier_lists (brand_id, name, dataset_id) VALUES (%s, 'l', 'synthetic-demo') "
                        "RETURNING id", (a,)).fetchone()[0]
        c.execute("INSERT INTO brand_facility_links (brand_id, facility_id, list_id, tier, is_public, dataset_id) "
                  "VALUES (%s, %s, %s, 'processing', false, 'synthetic-demo')", (a, fid, lid))
    user_a, user_b, public = user(db_url, "brand", a), user(db_url, "brand", b), user(db_url)
    run(db_url)  # brand users get their brand subscription by default
    with psycopg.connect(db_url) as c:
        sub_a = c.execute("SELECT id FROM alert_subscriptions WHERE user_id = %s AND target = 'brand'",
                          (user_a.id,)).fetchone()[0]
        sub_b = c.execute("SELECT id FROM alert_subscriptions WHERE user_id = %s AND target = 'brand'",
                          (user_b.id,)).fetchone()[0]
        # brand B's user cannot make a subscription to brand A's suppliers either
        with pytest.raises(Exception, match="brand"):
            subscriptions.create(c, user_b, {"target": "brand", "brand_id": a})
    area = subscribe(db_url, public, target="area", area_code="440103")
    with psycopg.connect(db_url) as c:
        violation(c, fid)
    run(db_url)
    assert len(deliveries(db_url, sub_a)) == 1 and deliveries(db_url, sub_b) == []
    with psycopg.connect(db_url) as c:
        from alerts import inbox
        item = inbox.inbox(c, user_a, BASE)[0]
        assert any("private" in line for line in item["lines_en"])
        public_items = inbox.inbox(c, public, BASE)
    # the public area subscriber hears of the record, never of the brand's private link
    assert len(deliveries(db_url, area["id"])) == 1
    assert not any("Brand" in line or "private" in line for it in public_items for line in it["lines_en"])


def test_facility_private_to_a_brand_alerts_no_one_else(db_url):
    b, _ = make_brand(db_url, "alerts-p")
    with psycopg.connect(db_url) as c:
        fid = facility(c, 104.06, 30.67, "510104", private_to=b)
        c.commit()
    stranger = user(db_url)
    area = subscribe(db_url, stranger, target="area", area_code="510104")
    with psycopg.connect(db_url) as c:
        with pytest.raises(Exception, match="no facility"):
            subscriptions.create(c, stranger, {"target": "facility", "facility_id": fid})
        violation(c, fid)
    run(db_url)
    assert deliveries(db_url, area["id"]) == []


def test_email_now_and_as_digest_with_one_click_unsubscribe(db_url, client, settings):
    from app.auth import secret_key

    secret = secret_key(settings.var_dir, settings.secret_key)  # the web app checks the links with it
    with psycopg.connect(db_url) as c:
        fid = facility(c, 120.15, 30.28, "330106")
        c.commit()
    who = user(db_url)
    now = subscribe(db_url, who, target="facility", facility_id=fid, email_mode="immediate")
    digest = subscribe(db_url, who, target="facility", facility_id=fid, email_mode="digest", digest_hour=7,
                       email="digest@example.org")
    with smtp_server() as (box, url):
        with psycopg.connect(db_url) as c:
            violation(c, fid)
            violation(c, fid)
        run(db_url, config(url, secret))
        mine = box.to(who.email)
        assert len(mine) == 2 and box.to("digest@example.org") == []  # the digest waits for 07:00 Beijing time
        with psycopg.connect(db_url) as c:
            due = c.execute("SELECT DISTINCT due_at AT TIME ZONE 'Asia/Shanghai' FROM alert_deliveries "
                            "WHERE subscription_id = %s AND channel = 'email'", (digest["id"],)).fetchall()
            assert len(due) == 1 and due[0][0].hour == 7 and due[0][0].minute == 0
            c.execute("UPDATE alert_deliveries SET due_at = now() WHERE subscription_id = %s", (digest["id"],))
        run(db_url, config(url, secret))
        digests = box.to("digest@example.org")
        assert len(digests) == 1 and "2" in digests[0]["Subject"]
    msg = mine[0]
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "新违规记录" in text and "New violation record" in text and f"{BASE}/facilities/{fid}" in text
    assert "测试化工厂" in html and "Test Chemical Works" in html and "Synthetic demo data" in text
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert len({m["Message-ID"] for m in mine}) == 2
    link = msg["List-Unsubscribe"].strip().strip("<>").replace(BASE, "")
    assert client.get(link).status_code == 200  # a page with a button: a GET changes nothing
    assert subscriptions_mode(db_url, now["id"]) == "immediate"
    assert client.post(link.replace(link.rsplit(".", 1)[1], "forged")).status_code == 404
    assert client.post(link, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert subscriptions_mode(db_url, now["id"]) == "off"


def subscriptions_mode(db_url, sub_id):
    with psycopg.connect(db_url) as c:
        return c.execute("SELECT email_mode FROM alert_subscriptions WHERE id = %s", (sub_id,)).fetchone()[0]


def test_webhook_is_signed_retried_and_paused(db_url, local_hooks):
    with psycopg.connect(db_url) as c:
        fid = facility(c, 114.30, 30.59, "420102")
        c.commit()
    who = user(db_url)
    with webhook_receiver() as (rec, url):
        sub = subscribe(db_url, who, target="facility", facility_id=fid, webhook_url=url + "/hook?x=1")
        secret = sub["webhook_secret"]
        rec.statuses = [500, 503]
        with psycopg.connect(db_url) as c:
            vid = violation(c, fid)
        _run_until(db_url, config(backoff_s=0.001), lambda: len(rec.requests) >= 3)
        assert [r["status"] for r in rec.requests] == [500, 503, 200]
        ids = {r["json"]["event_id"] for r in rec.requests}
        assert len(ids) == 1  # one stable event id across the retries
        last = rec.requests[-1]
        h = {k.lower(): v for k, v in last["headers"].items()}
        assert webhook.verify(secret, h["x-bluemap-timestamp"], last["body"], h["x-bluemap-signature"])
        assert not webhook.verify("wrong", h["x-bluemap-timestamp"], last["body"], h["x-bluemap-signature"])
        assert last["json"]["violation_id"] == vid and last["json"]["facility"]["id"] == fid
        assert last["path"] == "/hook?x=1"
        with psycopg.connect(db_url) as c:
            state = c.execute("SELECT state, attempts, last_error FROM alert_deliveries WHERE subscription_id = %s "
                              "AND channel = 'webhook'", (sub["id"],)).fetchone()
        assert state[0] == "sent" and state[1] == 3 and state[2] is None
        # now the receiver fails for good: after `pause_after` failures in a row the webhook is paused
        rec.statuses = [500] * 50
        n = len(rec.requests)
        with psycopg.connect(db_url) as c:
            violation(c, fid)
        _run_until(db_url, config(backoff_s=0.001, pause_after=3), lambda: len(rec.requests) - n >= 3)
        run(db_url, config(backoff_s=0.001, pause_after=3), rounds=50)  # paused now: nothing more is sent
        assert len(rec.requests) - n == 3
    with psycopg.connect(db_url) as c:
        paused = c.execute("SELECT webhook_paused_at IS NOT NULL FROM alert_subscriptions WHERE id = %s",
                           (sub["id"],)).fetchone()[0]
        notice = c.execute("SELECT e.payload->>'en' FROM alert_deliveries d JOIN alert_events e ON e.id = d.event_id "
                           "WHERE d.subscription_id = %s AND e.kind = 'notice'", (sub["id"],)).fetchall()
        pending = c.execute("SELECT state, last_error FROM alert_deliveries WHERE subscription_id = %s AND "
                            "channel = 'webhook' ORDER BY id DESC LIMIT 1", (sub["id"],)).fetchone()
    assert paused and len(notice) == 1 and "paused" in notice[0][0]
    assert pending[0] == "pending" and "HTTP 500" in pending[1]  # kept for 24 h: resuming sends it


def test_retries_stop_after_24_hours(db_url, local_hooks):
    with psycopg.connect(db_url) as c:
        fid = facility(c, 114.31, 30.60, "420102")
        c.commit()
    who = user(db_url)
    with webhook_receiver() as (rec, url):
        sub = subscribe(db_url, who, target="facility", facility_id=fid, webhook_url=url)
        rec.statuses = [502]
        with psycopg.connect(db_url) as c:
            violation(c, fid)
        with psycopg.connect(db_url) as c:
            run(db_url, config(backoff_s=3600))
            c.execute("UPDATE alert_deliveries SET created_at = now() - interval '25 hours', due_at = now() "
                      "WHERE subscription_id = %s", (sub["id"],))
            c.commit()
        rec.statuses = [502]
        run(db_url, config(backoff_s=3600))
    with psycopg.connect(db_url) as c:
        assert c.execute("SELECT state, attempts FROM alert_deliveries WHERE subscription_id = %s AND channel = "
                         "'webhook'", (sub["id"],)).fetchone() == ("failed", 2)


@pytest.mark.parametrize("url", ["http://localhost/hook", "http://10.1.2.3/", "http://169.254.169.254/latest",
                                 "http://[::1]:8080/", "http://0.0.0.0/", "http://127.1/", "http://192.168.1.5/",
                                 "ftp://example.org/", "http://user:pw@example.org/", "http://no-such-host.invalid/"])
def test_webhook_urls_reaching_inside_are_refused(client, db_url, url):
    who = user(db_url)
    login(client, who.email)
    token = csrf_token(client, "/alerts")
    r = client.post("/api/alerts/subscriptions", json={"target": "industry", "industry": "cement",
                                                       "webhook_url": url}, headers={"X-CSRF-Token": token})
    assert r.status_code == 400, r.json
    assert "webhook" in r.json["error"]


def test_an_admin_allows_a_host(client, db_url):
    admin, member = user(db_url, "admin"), user(db_url)
    login(client, member.email)
    token = csrf_token(client, "/alerts")
    body = {"target": "industry", "industry": "cement", "webhook_url": "http://localhost:9/x"}
    assert client.post("/api/alerts/subscriptions", json=body, headers={"X-CSRF-Token": token}).status_code == 400
    assert client.post("/api/alerts/allowed-hosts", json={"host": "localhost"},
                       headers={"X-CSRF-Token": token}).status_code == 403
    client.post("/logout", data={"_csrf": token})
    login(client, admin.email)
    token = csrf_token(client, "/alerts")
    r = client.post("/api/alerts/allowed-hosts", json={"host": "localhost"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and "localhost" in r.json["hosts"]
    client.post("/logout", data={"_csrf": token})
    login(client, member.email)
    token = csrf_token(client, "/alerts")
    try:
        r = client.post("/api/alerts/subscriptions", json=body, headers={"X-CSRF-Token": token})
        assert r.status_code == 201 and len(r.json["webhook_secret"]) == 64
    finally:
        with psycopg.connect(db_url) as c:
            c.execute("DELETE FROM alert_allowed_hosts WHERE host = 'localhost'")


def test_inbox_and_atom_feed(client, db_url):
    with psycopg.connect(db_url) as c:
        fid = facility(c, 87.6, 43.8, "650102")
        c.commit()
    who = user(db_url)
    login(client, who.email)
    token = csrf_token(client, "/alerts")
    r = client.post("/api/alerts/subscriptions", json={"target": "facility", "facility_id": fid, "feed": True},
                    headers={"X-CSRF-Token": token})
    assert r.status_code == 201, r.json
    feed_token = r.json["feed_token"]
    with psycopg.connect(db_url) as c:
        violation(c, fid)
        violation(c, fid)
    run(db_url)
    inbox = client.get("/api/alerts/inbox").json
    assert inbox["unread"] == 2 and [i["facility_id"] for i in inbox["items"]] == [fid, fid]
    assert client.post("/api/alerts/inbox/read", json={"ids": [inbox["items"][0]["id"]]},
                       headers={"X-CSRF-Token": token}).json == {"marked": 1}
    assert client.get("/api/alerts/inbox?unread=true").json["unread"] == 1
    feed = client.get(f"/alerts/feeds/{feed_token}.atom?lang=en")
    assert feed.status_code == 200 and feed.mimetype == "application/atom+xml"
    parsed = feedparser.parse(feed.data)
    assert parsed.bozo == 0, parsed.bozo_exception
    assert parsed.version == "atom10" and len(parsed.entries) == 2
    assert all(e.title.startswith("New violation record") for e in parsed.entries)
    assert len({e.id for e in parsed.entries}) == 2
    assert client.get("/alerts/feeds/not-a-token.atom").status_code == 404
    page = client.get("/alerts?lang=en").get_data(as_text=True)
    assert "Test Chemical Works" in page and f"/alerts/feeds/{feed_token}.atom" in page


def test_subscription_api_checks_input_and_owner(client, db_url):
    assert client.get("/api/alerts/subscriptions").status_code == 401
    owner, other = user(db_url), user(db_url)
    login(client, owner.email)
    token = csrf_token(client, "/alerts")
    h = {"X-CSRF-Token": token}
    assert client.post("/api/alerts/subscriptions", json={"target": "area"}).status_code == 403  # no CSRF
    for bad in ({"target": "planet"}, {"target": "area", "area_code": "11"},
                {"target": "area", "lon": 116.4, "lat": 39.9, "radius_m": 10_000_000},
                {"target": "company", "uscc": "91110000MA00000000"}, {"target": "facility", "facility_id": "x"},
                {"target": "industry", "industry": "cement", "kinds": "new_record,bogus"},
                {"target": "industry", "industry": "cement", "email_mode": "hourly"},
                {"target": "area", "polygon": "{\"type\": \"Point\"}"}):
        r = client.post("/api/alerts/subscriptions", json=bad, headers=h)
        assert r.status_code == 400 and r.json["error"], bad
    r = client.post("/api/alerts/subscriptions", json={"target": "area", "area_code": "110000",
                                                       "kinds": ["aqi_threshold"]}, headers=h)
    assert r.status_code == 201 and r.json["kinds"] == ["aqi_threshold"]
    sid = r.json["id"]
    r = client.patch(f"/api/alerts/subscriptions/{sid}", json={"email_mode": "digest", "digest_hour": 21}, headers=h)
    assert r.status_code == 200 and (r.json["email_mode"], r.json["digest_hour"]) == ("digest", 21)
    assert client.get(f"/api/alerts/subscriptions/{sid}/log").json == {"deliveries": []}
    client.post("/logout", data={"_csrf": token})
    login(client, other.email)
    token2 = csrf_token(client, "/alerts")
    assert client.get(f"/api/alerts/subscriptions/{sid}").status_code == 404
    assert client.delete(f"/api/alerts/subscriptions/{sid}", headers={"X-CSRF-Token": token2}).status_code == 404
    client.post("/logout", data={"_csrf": token2})
    login(client, owner.email)
    token = csrf_token(client, "/alerts")
    assert client.delete(f"/api/alerts/subscriptions/{sid}", headers={"X-CSRF-Token": token}).status_code == 204
