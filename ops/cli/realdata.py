"""`bluemap load-file area-stats|water`: operator tables loaded whole or not at all, with a row-level report."""

from __future__ import annotations

from pathlib import Path

import click

from app.settings import Settings
from core.datasets import upload_dataset
from db.connection import connect
from db.staging import bump_data_version
from ingest import area_stats, water


def load_table(s: Settings, kind: str, path: Path, dataset_id: str | None, licence: str) -> int:
    """Load the file; print what was written or every bad row; the exit status (0 or 2)."""
    with connect(s) as conn:
        if kind == "area-stats":
            written, errors = area_stats.load_file(conn, path)
        else:
            n, errors = water.load_file(conn, path, upload_dataset(path.name, licence, dataset_id))
            written = {"water_readings": n}
            if n:
                bump_data_version(conn)
        if errors:
            conn.rollback()
    if errors:
        click.echo(f"{path.name}: nothing loaded, {len(errors)} bad rows:", err=True)
        for line, reason in errors[:200]:
            click.echo(f"  line {line}: {reason}", err=True)
        return 2
    click.echo(f"{path.name}: " + ", ".join(f"{n} {t}" for t, n in written.items()))
    return 0
