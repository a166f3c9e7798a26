"""One facility in full over HTTP: violations with history, PRTR, public supplier links only, data set."""


def _one(conn, query, *params):
    """The first row of a query."""
    return conn.execute(query, params or None).fetchone()


def _facility(client, facility_id):
    r = client.get(f"/api/facilities/{facility_id}")
    assert r.status_code == 200, r.json
    return r.json


def test_facility_with_violations_shows_them_with_history(client, conn):
    fid = conn.execute("SELECT v.facility_id FROM violations v JOIN explanations e ON e.violation_id = v.id "
                       "GROUP BY 1 ORDER BY count(DISTINCT v.id) DESC, 1 LIMIT 1").fetchone()[0]
    body = _facility(client, fid)
    assert body["id"] == fid
    expected = dict(conn.execute("SELECT id, status::text FROM violations WHERE facility_id = %s "
                                 "AND status <> 'removed'", (fid,)))  # removed records: not public
    assert {v["id"]: v["status"] for v in body["violations"]} == expected
    dates = [v["date"] for v in body["violations"]]
    assert dates == sorted(dates, reverse=True)
    keys = {"authority", "category", "legal_basis", "penalty_cny", "description", "source", "synthetic"}
    for v in body["violations"]:
        assert keys <= set(v)
        assert v["history"], "every violation has at least its first status in the history"
        assert v["history"][-1]["to_status"] == v["status"]
        n = _one(conn, "SELECT count(*) FROM explanations WHERE violation_id = %s "
                 "AND status IN ('accepted', 'superseded')", v["id"])[0]  # published ones only
        assert len(v["explanations"]) == n
    assert any(v["explanations"] for v in body["violations"])
    summary = _one(conn, "SELECT violation_count, worst_status FROM facilities WHERE id = %s", fid)
    assert (body["violation_count"], body["worst_status"]) == summary


def test_facility_fields_company_dataset_and_prtr(client, conn):
    fid, code, ds = _one(conn, """
        SELECT f.id, c.uscc, f.dataset_id FROM facilities f JOIN companies c ON c.id = f.company_id
        WHERE EXISTS (SELECT 1 FROM prtr_disclosures p WHERE p.facility_id = f.id) ORDER BY f.id LIMIT 1""")
    body = _facility(client, fid)
    assert body["company"]["uscc"] == code
    for key in ("name_zh", "name_en", "industry", "address", "area_code", "lon", "lat", "key_monitored",
                "source_crs", "attrs", "synthetic", "synthetic_flags"):
        assert key in body
    title, licence, attribution = _one(conn, "SELECT title, licence, attribution FROM datasets WHERE id = %s",
                                       ds)
    assert body["dataset"]["id"] == ds and body["dataset"]["licence"] == licence
    assert body["dataset"]["title"] == title and body["dataset"]["attribution"] == attribution
    years = [r[0] for r in conn.execute("SELECT year FROM prtr_disclosures WHERE facility_id = %s "
                                        "ORDER BY year", (fid,))]
    assert [p["year"] for p in body["prtr"]] == years
    assert body["synthetic"] == any(body["synthetic_flags"].values())


def test_public_supplier_links_are_shown(client, conn):
    fid, slug, tier = _one(conn, """
        SELECT l.facility_id, b.slug, l.tier::text
        FROM brand_facility_links l JOIN brands b ON b.id = l.brand_id
        WHERE l.is_public AND l.active ORDER BY l.id LIMIT 1""")
    assert {"slug": slug, "tier": tier}.items() <= next(
        b for b in _facility(client, fid)["brands"] if b["slug"] == slug).items()


def test_private_and_inactive_supplier_links_are_not_shown(client, conn):
    # A public facility linked only privately (one created from private rows alone is hidden altogether).
    existing = conn.execute("""SELECT l.facility_id FROM brand_facility_links l
                               JOIN facilities f ON f.id = l.facility_id AND f.private_to_brand IS NULL
                               GROUP BY l.facility_id HAVING bool_and(NOT l.is_public)
                               ORDER BY l.facility_id LIMIT 1""").fetchone()
    if existing is not None:
        assert _facility(client, existing[0])["brands"] == []
    # The bundled data has no private links: add a private and an inactive one to a facility without links.
    fid = conn.execute("SELECT f.id FROM facilities f WHERE NOT EXISTS (SELECT 1 FROM brand_facility_links l "
                       "WHERE l.facility_id = f.id) ORDER BY f.id LIMIT 1").fetchone()[0]
    lists = conn.execute("SELECT brand_id, id, dataset_id FROM supplier_lists ORDER BY id LIMIT 2").fetchall()
    assert len(lists) == 2
    created = []
    try:
        flags = ((False, True), (True, False))  # (is_public, active): private, and public but inactive
        for (brand_id, list_id, ds), (public, active) in zip(lists, flags, strict=True):
            created.append(conn.execute(
                "INSERT INTO brand_facility_links (brand_id, facility_id, list_id, tier, is_public, active, "
                "dataset_id) VALUES (%s, %s, %s, 'processing', %s, %s, %s) RETURNING id",
                (brand_id, fid, list_id, public, active, ds)).fetchone()[0])
        conn.commit()
        assert _facility(client, fid)["brands"] == []
    finally:
        conn.rollback()
        if created:
            conn.execute("DELETE FROM brand_facility_links WHERE id = ANY(%s)", (created,))
            conn.commit()


def test_unknown_facility_is_json_404(client, conn):
    top = conn.execute("SELECT coalesce(max(id), 0) FROM facilities").fetchone()[0]
    for fid in (top + 1000, 2**63 + 5):
        r = client.get(f"/api/facilities/{fid}")
        assert r.status_code == 404 and "no facility" in r.json["error"]
    r = client.get("/api/facilities/abc")
    assert r.status_code == 404 and "error" in r.json
