"""Apply and inspect the Alembic migrations programmatically."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def sqlalchemy_url(dsn: str) -> str:
    """The SQLAlchemy URL (psycopg 3 driver) for a libpq DSN."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if dsn.startswith(prefix):
            return "postgresql+psycopg://" + dsn[len(prefix):]
    return dsn


def _config(dsn: str | None) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if dsn:
        cfg.attributes["url"] = sqlalchemy_url(dsn)
    return cfg


def upgrade(dsn: str, revision: str = "head") -> None:
    """Apply migrations up to `revision`."""
    command.upgrade(_config(dsn), revision)


def downgrade(dsn: str, revision: str = "base") -> None:
    """Revert migrations down to `revision`."""
    command.downgrade(_config(dsn), revision)


def head_revision() -> str:
    """The newest revision in the migrations directory."""
    return ScriptDirectory.from_config(_config(None)).get_current_head() or ""


def current_revision(dsn: str) -> str | None:
    """The revision the database is at, or None."""
    engine = create_engine(sqlalchemy_url(dsn), poolclass=pool.NullPool)
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
