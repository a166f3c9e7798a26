"""Alembic environment: migrations are plain SQL run against the configured database."""

from alembic import context
from sqlalchemy import create_engine, pool

from app.migrate import sqlalchemy_url


def run_migrations_online() -> None:
    """Run migrations with a connection to the configured database."""
    url = context.config.attributes.get("url") or sqlalchemy_url()
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=None, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
