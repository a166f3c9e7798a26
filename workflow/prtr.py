"""PRTR forms per facility and year: drafts, submitted versions (the old ones kept), published disclosures."""

from __future__ import annotations

from datetime import date, datetime

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from accounts.users import User
from core.errors import Invalid, NotFound
from db.staging import bump_data_version
from workflow.common import ensure_dataset, facility_company, require_company
from workflow.prtr_rules import normalise

FIRST_YEAR = 2000


def _year(year: int) -> int:
    if not FIRST_YEAR <= year <= date.today().year:
        raise Invalid(f"year: between {FIRST_YEAR} and {date.today().year}")
    return year


def _latest(conn: psycopg.Connection, facility_id: int, year: int) -> tuple | None:
    return conn.execute("""SELECT id, version, status FROM prtr_forms WHERE facility_id = %s AND year = %s
                           ORDER BY version DESC LIMIT 1 FOR UPDATE""", (facility_id, year)).fetchone()


def save_draft(conn: psycopg.Connection, user: User, facility_id: int, year: int, form: object) -> dict:
    """Save (or replace) the draft of a facility's form for a year; values present are checked already."""
    require_company(conn, user, facility_company(conn, facility_id))
    data = normalise(form, draft=True)
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 14))", (f"prtr:{facility_id}:{_year(year)}",))
    latest = _latest(conn, facility_id, year)
    raw = Jsonb({"input": form, "normalised": data})
    if latest and latest[2] == "draft":
        conn.execute("UPDATE prtr_forms SET form = %s, updated_at = now(), author_id = %s WHERE id = %s",
                     (raw, user.id, latest[0]))
        return {"id": latest[0], "version": latest[1], "status": "draft"}
    version = (latest[1] if latest else 0) + 1
    row = conn.execute("""INSERT INTO prtr_forms (facility_id, year, version, status, form, author_id)
                          VALUES (%s, %s, %s, 'draft', %s, %s) RETURNING id""",
                       (facility_id, year, version, raw, user.id)).fetchone()
    assert row is not None
    return {"id": row[0], "version": version, "status": "draft"}


def submit(conn: psycopg.Connection, user: User | None, facility_id: int, year: int, form: object,
           at: datetime | None = None, synthetic: bool = False) -> dict:
    """Submit a form (its draft replaced): checked in full, published on the facility page as a new version."""
    if not synthetic:
        assert user is not None
        require_company(conn, user, facility_company(conn, facility_id))
    data = normalise(form)
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 14))", (f"prtr:{facility_id}:{_year(year)}",))
    latest = _latest(conn, facility_id, year)
    raw = Jsonb({"input": form, "normalised": data})
    author = user.id if user else None
    conn.execute("UPDATE prtr_forms SET status = 'superseded' WHERE facility_id = %s AND year = %s "
                 "AND status = 'submitted'", (facility_id, year))
    if latest and latest[2] == "draft":
        form_id, version = latest[0], latest[1]
        conn.execute("""UPDATE prtr_forms SET form = %s, status = 'submitted', submitted_at = coalesce(%s, now()),
                        updated_at = now(), author_id = %s WHERE id = %s""", (raw, at, author, form_id))
    else:
        version = (latest[1] if latest else 0) + 1
        row = conn.execute("""INSERT INTO prtr_forms (facility_id, year, version, status, form, author_id,
                                  submitted_at, synthetic)
                              VALUES (%s, %s, %s, 'submitted', %s, %s, coalesce(%s, now()), %s) RETURNING id""",
                           (facility_id, year, version, raw, author, at, synthetic)).fetchone()
        assert row is not None
        form_id = row[0]
    _publish(conn, facility_id, year, version, data, at, synthetic)
    bump_data_version(conn)
    return {"id": form_id, "version": version, "status": "submitted", "normalised": data}


def _publish(conn: psycopg.Connection, facility_id: int, year: int, version: int, data: dict,
             at: datetime | None, synthetic: bool) -> None:
    """Write the published disclosure: totals, chemicals and releases in tonnes, the whole form in details."""
    chemicals = {c["name"]: c["quantity_t"] for c in data["chemicals"]}
    discharges: dict[str, float] = {}
    for r in data["releases"]:
        key = f"{r['pollutant']} ({r['medium']})"
        discharges[key] = discharges.get(key, 0) + r["quantity_t"]
    water = data["water"].get("withdrawal_m3")
    ghg = sum(v for v in data["ghg"].values() if v is not None)
    conn.execute(
        """INSERT INTO prtr_disclosures (facility_id, year, energy_tce, water_t, ghg_tco2e, chemicals, discharges,
               dataset_id, synthetic, details, version, published_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, coalesce(%s, now()))
           ON CONFLICT (facility_id, year) DO UPDATE SET energy_tce = EXCLUDED.energy_tce, water_t = EXCLUDED.water_t,
               ghg_tco2e = EXCLUDED.ghg_tco2e, chemicals = EXCLUDED.chemicals, discharges = EXCLUDED.discharges,
               dataset_id = EXCLUDED.dataset_id, synthetic = EXCLUDED.synthetic, details = EXCLUDED.details,
               version = EXCLUDED.version, published_at = EXCLUDED.published_at""",
        (facility_id, year, data["energy_tce"], water, ghg, Jsonb(chemicals), Jsonb(discharges),
         ensure_dataset(conn), synthetic, Jsonb(data), version, at))


def forms(conn: psycopg.Connection, facility_ids: list[int]) -> list[dict]:
    """Every form version (drafts too) of some facilities, newest first: for their enterprise."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("""SELECT p.id, p.facility_id, f.name_zh, f.name_en, p.year, p.version, p.status,
                                     p.updated_at, p.submitted_at, p.form
                              FROM prtr_forms p JOIN facilities f ON f.id = p.facility_id
                              WHERE p.facility_id = ANY(%s) ORDER BY p.year DESC, p.version DESC""",
                           (facility_ids,)).fetchall()


def draft(conn: psycopg.Connection, user: User, facility_id: int, year: int) -> dict | None:
    """The draft (or latest version) of a facility's form for the enterprise to continue from."""
    require_company(conn, user, facility_company(conn, facility_id))
    row = conn.execute("""SELECT id, version, status, form FROM prtr_forms WHERE facility_id = %s AND year = %s
                          ORDER BY version DESC LIMIT 1""", (facility_id, year)).fetchone()
    if row is None:
        return None
    return {"id": row[0], "version": row[1], "status": row[2], "form": row[3]}


def versions(conn: psycopg.Connection, facility_id: int, year: int) -> list[dict]:
    """The submitted versions of a published form (public), newest first; NotFound when none."""
    rows = conn.execute("""SELECT p.version, p.status, p.submitted_at, p.form -> 'normalised' FROM prtr_forms p
                           JOIN facilities f ON f.id = p.facility_id AND f.private_to_brand IS NULL
                           WHERE p.facility_id = %s AND p.year = %s AND p.status IN ('submitted', 'superseded')
                           ORDER BY p.version DESC""", (facility_id, year)).fetchall()
    if not rows:
        raise NotFound(f"no submitted PRTR form of facility {facility_id} for {year}")
    return [{"version": r[0], "status": r[1], "submitted_at": r[2], "form": r[3]} for r in rows]

