"""Alembic environment: migrations are plain SQL run against the configured database; db.tables describes the result."""

from alembic import context
from sqlalchemy import create_engine, pool

from db.migrations import sqlalchemy_url
from db.tables import metadata


def run_migrations_online() -> None:
    """Run migrations with a connection to the configured database."""
    url = context.config.attributes.get("url")
    if not url:  # run as plain `alembic upgrade head`: the service's own settings say where
        from app.settings import get_settings

        url = sqlalchemy_url(get_settings().dsn())
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
