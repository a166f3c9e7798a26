"""GHG calculations stored per facility and year, and saved into the facility's PRTR form (workflow room).

Only a user who acts for the facility's company (an approved claim) saves a result: it is stored in
ghg_calculations and written into the company's PRTR form for that year as a draft (workflow.prtr.save_draft,
the form's other fields kept), which the company then submits on its PRTR page to publish.
"""

from __future__ import annotations

import psycopg
from psycopg.types.json import Jsonb

from accounts.users import User
from core.errors import NotFound
from standards import ghg
from workflow import prtr


def _facility(conn: psycopg.Connection, facility_id: int) -> None:
    row = conn.execute("SELECT 1 FROM facilities WHERE id = %s AND private_to_brand IS NULL",
                       (facility_id,)).fetchone()
    if row is None:
        raise NotFound(f"no facility {facility_id}")


def save(conn: psycopg.Connection, user: User, facility_id: int, inputs: dict) -> dict:
    """Calculate, store the calculation and put scope 1 and 2 into the company's PRTR draft for the year.

    Forbidden (from the workflow room) unless the user acts for the facility's company. Does not commit."""
    _facility(conn, facility_id)
    result = ghg.calculate(inputs)
    year = result["year"]
    current = prtr.draft(conn, user, facility_id, year)  # checks that the user acts for the company
    form = dict((current or {}).get("form", {}).get("input") or {})
    form["ghg"] = {"scope1_tco2e": result["scope1_tco2e"], "scope2_tco2e": result["scope2_tco2e"]}
    saved = prtr.save_draft(conn, user, facility_id, year, form)
    row = conn.execute(
        """INSERT INTO ghg_calculations (facility_id, year, factor_version, inputs, lines, scope1_tco2e,
               scope2_tco2e, saved_to_prtr, created_by)
           VALUES (%s, %s, %s, %s, %s, %s, %s, true, %s) RETURNING id""",
        (facility_id, year, result["factor_version"], Jsonb(inputs), Jsonb(result["lines"]),
         result["scope1_tco2e"], result["scope2_tco2e"], user.id)).fetchone()
    assert row is not None
    return result | {"id": row[0], "facility_id": facility_id, "saved_to_prtr": True, "prtr_form": saved}


def history(conn: psycopg.Connection, facility_id: int) -> list[dict]:
    """A facility's stored calculations, newest first."""
    cur = conn.execute(
        """SELECT id, year, factor_version, scope1_tco2e, scope2_tco2e, saved_to_prtr, created_at
           FROM ghg_calculations WHERE facility_id = %s ORDER BY created_at DESC, id DESC LIMIT 50""",
        (facility_id,))
    cols = [d.name for d in cur.description or ()]
    return [dict(zip(cols, r, strict=True)) for r in cur]
