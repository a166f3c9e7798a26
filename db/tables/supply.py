"""The queue of big supplier-list uploads matched by the worker (migration 0019)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from db.tables.common import EMPTY_OBJECT, FALSE, NOW, TIMESTAMPTZ, metadata, ref

supplier_list_uploads = Table(
    "supplier_list_uploads", metadata,
    Column("id", BigInteger, primary_key=True), ref("brand_id", "brands.id", nullable=False),
    ref("user_id", "users.id"), Column("file_name", Text, nullable=False), Column("name", Text),
    Column("options", JSONB, nullable=False, server_default=EMPTY_OBJECT),
    Column("content", LargeBinary, nullable=False), Column("rows_total", Integer, nullable=False),
    Column("state", Text, nullable=False, server_default=text("'queued'::text")),
    ref("list_id", "supplier_lists.id"), Column("error", Text),
    Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW), Column("finished_at", TIMESTAMPTZ),
    Index("supplier_list_uploads_queue_idx", "created_at", postgresql_where=text("state = 'queued'")),
    Index("supplier_list_uploads_brand_idx", "brand_id"),
)

supplier_list_progress = Table(
    "supplier_list_progress", metadata,
    Column("upload_id", BigInteger, ForeignKey("supplier_list_uploads.id", ondelete="CASCADE"), primary_key=True),
    Column("stage", Text, nullable=False),
    Column("rows_done", Integer, nullable=False, server_default=text("0")),
    Column("attempts", SmallInteger, nullable=False, server_default=text("0")),
    Column("cancel", Boolean, nullable=False, server_default=FALSE),
    Column("updated_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
)
