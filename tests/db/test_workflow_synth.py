"""The demo's synthetic lifecycles went through the workflow: plausible dates, flagged synthetic, one row a step."""

from __future__ import annotations


def test_synthetic_lifecycles_have_plausible_dates_and_flags(conn):
    counts = dict(conn.execute("""SELECT v.status::text, count(*) FROM violations v
                                  WHERE v.dataset_id = 'synthetic-demo' AND v.source = 'synthetic demo'
                                  GROUP BY 1""").fetchall())
    assert counts.get("explained") and counts.get("rectified") and counts.get("removed"), counts
    # every step after the record, none on the day of loading, flagged, by the system, with a reason
    bad = conn.execute("""
        SELECT count(*) FROM violations v JOIN violation_status_history h ON h.violation_id = v.id
        WHERE v.dataset_id = 'synthetic-demo' AND v.source = 'synthetic demo' AND h.from_status IS NOT NULL
          AND (h.changed_at::date < v.violation_date OR h.changed_at::date >= current_date OR NOT h.synthetic
               OR h.actor_role <> 'system' OR h.reason IS NULL)""").fetchone()[0]
    assert bad == 0
    # explanation after the record, accepted after submitted, audit after acceptance, confirmed after the audit
    disorder = conn.execute("""
        SELECT count(*) FROM violations v
        JOIN explanations e ON e.violation_id = v.id AND e.status = 'accepted'
        JOIN audit_findings af ON af.violation_id = v.id JOIN audits a ON a.id = af.audit_id
        WHERE v.dataset_id = 'synthetic-demo'
          AND NOT (v.violation_date < e.submitted_at::date AND e.submitted_at <= e.reviewed_at
                   AND e.reviewed_at::date <= a.audit_date AND a.audit_date <= a.reviewed_at::date
                   AND e.synthetic AND a.synthetic AND e.dataset_id = 'synthetic-demo')""").fetchone()[0]
    assert disorder == 0
    # one history row per step: explained 1, rectified 2, removed 3
    steps = conn.execute("""
        SELECT count(*) FILTER (WHERE n <> want) FROM (
            SELECT v.id, count(h.id) AS n,
                   CASE v.status WHEN 'explained' THEN 1 WHEN 'rectified' THEN 2 WHEN 'removed' THEN 3 ELSE 0 END
                       AS want
            FROM violations v LEFT JOIN violation_status_history h ON h.violation_id = v.id
                 AND h.from_status IS NOT NULL
            WHERE v.dataset_id = 'synthetic-demo' AND v.source = 'synthetic demo' GROUP BY v.id) s""").fetchone()[0]
    assert steps == 0
    unaudited = conn.execute("""
        SELECT count(*) FROM violations v WHERE v.dataset_id = 'synthetic-demo' AND v.source = 'synthetic demo'
          AND v.status IN ('rectified', 'removed') AND NOT EXISTS (
              SELECT 1 FROM audit_findings af JOIN audits a ON a.id = af.audit_id
              WHERE af.violation_id = v.id AND a.review_status = 'confirmed' AND a.result = 'passed')""").fetchone()[0]
    assert unaudited == 0
