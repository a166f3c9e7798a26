"""The `bluemap` command: database, loading, synthetic data, tiles, exports, accounts, serving and the worker."""

from __future__ import annotations

import click

from ops.cli import alerts, aqi, database, exporting, indices, loading, serving, synthetic, tiles, tokens, users, worker
from ops.cli.basemap import basemap as basemap_group
from ops.cli.carbon import carbon as carbon_group
from ops.cli.fetch import fetch as fetch_group


@click.group()
def main() -> None:
    """Blue Map: environmental transparency map service."""


for _command in (database.db, loading.load, loading.load_file, tokens.tokens, synthetic.synth, tiles.tiles,
                 exporting.export_cmd, serving.serve, users.users, worker.worker, aqi.aqi,
                 alerts.alerts, indices.indices, basemap_group, carbon_group,
                 fetch_group):
    main.add_command(_command)
