"""The database: connections and pool, table metadata, migrations runner, bulk COPY upserts."""
