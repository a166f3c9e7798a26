"""`bluemap synth`: deterministic synthetic data, the demo layer or IPE scale for benchmarks."""

from __future__ import annotations

from pathlib import Path

import click

from db.connection import connect
from ingest.files import load_csv
from ops.cli.common import ensure_db, settings


@click.command()
@click.option("--scale", type=click.Choice(["demo", "ipe"]), default="demo", show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the IPE-scale CSV files are written (default var/synth).")
@click.option("--facilities", "n_facilities", type=int, default=1_200_000, show_default=True)
@click.option("--violations", "n_violations", type=int, default=2_000_000, show_default=True)
@click.option("--no-load", is_flag=True, help="Only write the IPE-scale CSV files.")
def synth(scale: str, out: Path | None, n_facilities: int, n_violations: int, no_load: bool) -> None:
    """Generate deterministic synthetic data: the demo layer, or IPE scale for benchmarks."""
    from data.synth import demo, ipe  # numpy and the bundled outlines: only when generating

    s = settings()
    ensure_db(s)
    if scale == "demo":
        with connect(s) as conn:
            click.echo(demo.load(conn).summary())
        return
    out = out or s.var_dir / "synth"
    fac_path, vio_path = ipe.write_csv(out, n_facilities, n_violations, progress=True)
    click.echo(f"wrote {fac_path} and {vio_path}")
    if no_load:
        return
    for kind, p in (("facilities", fac_path), ("violations", vio_path)):
        with connect(s) as conn:
            report = load_csv(conn, kind, p, dataset_id="synthetic-ipe", progress=True)
        click.echo(report.text())
