"""Big supplier lists: matched a batch per statement, queued for the worker, with progress, cancel and resume."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import contextmanager

import psycopg
import pytest

from supply import lists as sl
from supply import queue
from supply.matching import match_all
from supply.rows import parse_row
from tests.supply_helpers import csrf_token, csv_bytes, login, make_brand, make_user, unique


@pytest.fixture(scope="module")
def known(db_url):
    """Facilities on file to make list rows from: some with a USCC, some found by name and place."""
    with psycopg.connect(db_url) as c:
        by_uscc = c.execute("""SELECT f.name_zh, c.uscc, ST_X(f.geom), ST_Y(f.geom) FROM facilities f
                               JOIN companies c ON c.id = f.company_id WHERE c.uscc IS NOT NULL AND f.name_zh <> ''
                               AND f.private_to_brand IS NULL ORDER BY f.id LIMIT 6""").fetchall()
        by_name = c.execute("""SELECT f.name_zh, ST_X(f.geom), ST_Y(f.geom) FROM facilities f
                               WHERE f.name_zh LIKE '%%有限公司' AND f.private_to_brand IS NULL
                               ORDER BY f.id DESC LIMIT 8""").fetchall()
    assert len(by_uscc) == 6 and len(by_name) == 8
    rows = [{"name": n, "uscc": u.strip(), "lon": x, "lat": y} for n, u, x, y in by_uscc]
    rows += [{"name": n.replace("有限公司", ""), "uscc": "", "lon": round(x + 0.001, 6), "lat": y}
             for n, x, y in by_name]
    rows += [{"name": f"{unique('新供应商')}制衣厂", "uscc": "", "lon": 100.0 + i / 7, "lat": 25.0 + i / 9}
             for i in range(4)]
    rows.append({"name": "无坐标也无匹配的工厂 xyz", "uscc": "", "lon": "", "lat": ""})
    return rows


def _rows(dicts):
    out = []
    for i, d in enumerate(dicts, start=2):
        out.append(parse_row(i, {k: str(v) for k, v in d.items()}, "wgs84", False))
    return out


def _outcomes(rows):
    return [(r.line, r.outcome, r.match_facility_id, r.confidence, [c["facility_id"] for c in r.candidates])
            for r in rows]


def test_one_statement_per_batch_gives_the_same_matches_as_one_row_at_a_time(db_url, known):
    """Batches of 1, 5 and 2000 rows decide every row alike (the set-based matcher has no batch effects)."""
    bid, _ = make_brand(db_url)
    results = []
    for batch in (1, 5, 2000):
        rows = _rows(known)
        with psycopg.connect(db_url) as c:
            match_all(c, rows, bid, batch=batch)
            c.rollback()
        results.append(_outcomes(rows))
    assert results[0] == results[1] == results[2]
    kinds = [o[1] for o in results[0]]
    assert kinds[:6] == ["linked"] * 6  # by USCC
    assert kinds[6:14].count("linked") + kinds[6:14].count("review") == 8  # by name, 100 m away
    assert kinds[14:18] == ["new_facility"] * 4 and kinds[18] == "rejected"


@pytest.fixture()
def small_queue_app(settings, tmp_path):
    """The app with lists of more than 5 rows matched in the background."""
    from app import create_app

    application = create_app(settings.model_copy(update={"list_inline_rows": 5, "var_dir": tmp_path}))
    application.config.update(TESTING=True)
    return application


def _signed_in(app, db_url):
    bid, slug = make_brand(db_url)
    client = app.test_client()
    login(client, make_user(db_url, "brand", bid))
    return client, bid, slug


def _post(client, slug, data, name="big.csv"):
    return client.post(f"/api/brands/{slug}/lists", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", headers={"X-CSRF-Token": csrf_token(client)})


@contextmanager
def _connect(db_url):
    with psycopg.connect(db_url) as c:
        yield c


def test_a_long_list_is_queued_then_matched_by_the_worker(small_queue_app, db_url, known):
    client, bid, slug = _signed_in(small_queue_app, db_url)
    known = known[:-1]  # every row can be placed, so the list is not refused
    res = _post(client, slug, csv_bytes(known))
    assert res.status_code == 202, res.get_json()
    st = res.get_json()
    assert st["state"] == "queued" and st["rows_total"] == len(known) and st["list_id"] is None
    assert res.headers["Location"] == st["status_url"]
    with psycopg.connect(db_url) as c:  # nothing matched or linked yet
        assert c.execute("SELECT count(*) FROM supplier_lists WHERE brand_id = %s", (bid,)).fetchone()[0] == 0
    env = {**os.environ, "DATABASE_URL": db_url}
    out = subprocess.run([sys.executable, "-m", "ops.cli", "worker", "--once"], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "1 supplier-list uploads run" in out.stdout
    done = client.get(st["status_url"]).get_json()
    assert done["state"] == "done" and done["rows_done"] == len(known) and done["list_id"]
    report = client.get(done["report_url"]).get_json()
    assert len(report["rows"]) == len(known)
    assert sum(r["outcome"] == "linked" for r in report["rows"]) >= 6
    page = client.get(f"/brands/{slug}/lists/uploads/{st['id']}")
    assert page.status_code == 302 and f"/lists/{done['list_id']}" in page.headers["Location"]


def test_a_short_list_is_still_matched_at_once(small_queue_app, db_url, known):
    client, _, slug = _signed_in(small_queue_app, db_url)
    res = _post(client, slug, csv_bytes(known[:5]))
    assert res.status_code == 201 and res.get_json()["status"] in ("accepted", "pending")


def test_an_unreadable_file_is_refused_without_queueing(small_queue_app, db_url):
    client, bid, slug = _signed_in(small_queue_app, db_url)
    res = _post(client, slug, b"\x00\x01not a table at all" * 50, "x.csv")
    assert res.status_code == 400 and res.get_json()["error"]
    with psycopg.connect(db_url) as c:
        assert c.execute("SELECT count(*) FROM supplier_list_uploads WHERE brand_id = %s", (bid,)).fetchone()[0] == 0


def test_progress_page_cancel_and_other_brands(small_queue_app, db_url, known):
    client, bid, slug = _signed_in(small_queue_app, db_url)
    st = _post(client, slug, csv_bytes(known)).get_json()
    html = client.get(f"/brands/{slug}/lists/uploads/{st['id']}?lang=en").get_data(as_text=True)
    assert 'http-equiv="refresh"' in html and f"0 of {len(known)} rows matched" in html
    other, _, other_slug = _signed_in(small_queue_app, db_url)
    assert other.get(f"/api/brands/{slug}/lists/uploads/{st['id']}").status_code == 403
    assert other.get(f"/api/brands/{other_slug}/lists/uploads/{st['id']}").status_code == 404
    res = client.delete(st["status_url"], headers={"X-CSRF-Token": csrf_token(client)})
    assert res.status_code == 200
    assert queue.run_next(lambda: _connect(db_url), sl.upload) == st["id"]
    assert client.get(st["status_url"]).get_json()["state"] == "cancelled"
    assert client.delete(st["status_url"], headers={"X-CSRF-Token": csrf_token(client)}).status_code == 409
    with psycopg.connect(db_url) as c:
        assert c.execute("SELECT count(*) FROM supplier_lists WHERE brand_id = %s", (bid,)).fetchone()[0] == 0


class Killed(BaseException):
    """Stands for the worker process dying in the middle of matching."""


def test_a_worker_that_dies_leaves_the_upload_queued_and_gives_up_after_three_tries(small_queue_app, db_url, known):
    client, bid, slug = _signed_in(small_queue_app, db_url)
    st = _post(client, slug, csv_bytes(known)).get_json()

    def dies(conn, *args, progress=None, **kw):
        sl.upload(conn, *args, progress=progress, **kw)  # everything written, then the process is gone
        raise Killed()

    with pytest.raises(Killed):
        queue.run_next(lambda: _connect(db_url), dies)
    after = client.get(st["status_url"]).get_json()
    assert after["state"] == "running" and after["attempts"] == 1  # queued, taken once
    with psycopg.connect(db_url) as c:  # the dead run's list version was rolled back
        assert c.execute("SELECT count(*) FROM supplier_lists WHERE brand_id = %s", (bid,)).fetchone()[0] == 0
    assert queue.run_next(lambda: _connect(db_url), sl.upload) == st["id"]
    assert client.get(st["status_url"]).get_json()["state"] == "done"

    st2 = _post(client, slug, csv_bytes(known)).get_json()
    for _ in range(queue.MAX_ATTEMPTS):
        with pytest.raises(Killed):
            queue.run_next(lambda: _connect(db_url), dies)
    assert queue.run_next(lambda: _connect(db_url), sl.upload) == st2["id"]
    ended = client.get(st2["status_url"]).get_json()
    assert ended["state"] == "failed" and "gave up after 3 attempts" in ended["error"]
