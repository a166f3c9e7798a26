"""The `bluemap` command: database, loading, synthetic data, tiles, exports, accounts, serving and the worker."""

from __future__ import annotations

import click

from ops.cli import aqi, database, exporting, loading, serving, synthetic, tiles, tokens, users, worker


@click.group()
def main() -> None:
    """Blue Map: environmental transparency map service."""


for _command in (database.db, loading.load, loading.load_file, tokens.tokens, synthetic.synth, tiles.tiles,
                 exporting.export_cmd, serving.serve, users.users, worker.worker, aqi.aqi):
    main.add_command(_command)
