"""Facility merge proposals, the redirects of merged-away facility ids and their source-key aliases (0020)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Table, Text, text
from sqlalchemy.dialects.postgresql import JSONB

from db.tables.common import EMPTY_OBJECT, NOW, TIMESTAMPTZ, metadata, ref

facility_merges = Table(
    "facility_merges", metadata,
    Column("id", BigInteger, primary_key=True), ref("company_id", "companies.id", nullable=False),
    Column("survivor_id", BigInteger, nullable=False), Column("duplicate_id", BigInteger, nullable=False),
    ref("proposed_by", "users.id"), Column("reason", Text, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'proposed'::text")),
    ref("decided_by", "users.id"), Column("decided_at", TIMESTAMPTZ), Column("decision_reason", Text),
    Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW), Column("snapshot", JSONB),
    Column("moved", JSONB, nullable=False, server_default=EMPTY_OBJECT),
    Index("facility_merges_open_idx", "duplicate_id", unique=True, postgresql_where=text("status = 'proposed'")),
    Index("facility_merges_status_idx", "status", "created_at"),
    Index("facility_merges_company_idx", "company_id"),
)

facility_redirects = Table(
    "facility_redirects", metadata,
    Column("old_id", BigInteger, primary_key=True), ref("survivor_id", "facilities.id", nullable=False),
    ref("merge_id", "facility_merges.id", nullable=False),
    Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
    Index("facility_redirects_survivor_idx", "survivor_id"),
)

facility_aliases = Table(
    "facility_aliases", metadata,
    Column("dataset_id", Text, primary_key=True), Column("ext_id", Text, primary_key=True),
    ref("survivor_id", "facilities.id", nullable=False), ref("merge_id", "facility_merges.id", nullable=False),
    Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
    Index("facility_aliases_survivor_idx", "survivor_id"),
)
