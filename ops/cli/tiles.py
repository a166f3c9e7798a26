"""`bluemap tiles`: pre-render the tile cache, render one tile to a file."""

from __future__ import annotations

from pathlib import Path

import click

from core.errors import DomainError
from db.connection import connect
from ops.cli.common import ensure_db, prerender, settings


@click.group()
def tiles() -> None:
    """Render tiles from the command line."""


@tiles.command("prerender")
@click.option("--maxzoom", type=int, default=5, show_default=True)
@click.option("--layers", default=None, help="Comma-separated layer ids (default: all).")
def tiles_prerender(maxzoom: int, layers: str | None) -> None:
    """Render the low zooms of every layer into the server's tile cache."""
    s = settings()
    ensure_db(s)
    n = prerender(s, maxzoom, layers.split(",") if layers else None)
    click.echo(f"{n} tiles rendered into {s.var_dir / 'tile-cache'} (one folder per database)")


@tiles.command("render")
@click.argument("layer")
@click.argument("z", type=int)
@click.argument("x", type=int)
@click.argument("y", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def tiles_render(layer: str, z: int, x: int, y: int, output: Path) -> None:
    """Write one tile (default filters) to a file."""
    from tiles.render import render_many
    from tiles.service import parse_layers

    s = settings()
    ensure_db(s)
    try:
        layers = parse_layers(layer)
    except DomainError as exc:
        raise click.BadParameter(exc.reason) from None
    with connect(s) as conn:
        data = render_many(conn, list(layers), z, x, y, {la.id: la.parse_filters({}) for la in layers})
    output.write_bytes(data)
    click.echo(f"{len(data)} bytes written to {output}")


@tiles.command("publish")
@click.option("--maxzoom", type=int, default=6, show_default=True, help="Highest zoom in the archive (at most 10).")
@click.option("--layers", default=None, help="Comma-separated layer ids (default: all).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The .pmtiles file to write.")
def tiles_publish(maxzoom: int, layers: str | None, output: Path) -> None:
    """Write the low zooms of the public layers as one PMTiles archive (for object storage or a CDN)."""
    from tiles.publish import publish

    s = settings()
    ensure_db(s)
    try:
        with connect(s) as conn:
            done = publish(conn, output, maxzoom, layers.split(",") if layers else None)
    except DomainError as exc:
        raise click.BadParameter(exc.reason) from None
    click.echo(f"{done.tiles} tiles (zooms 0-{done.maxzoom}, data version {done.version}, {done.empty} empty "
               f"left out), {done.bytes} bytes written to {done.path}; serve it and set BLUEMAP_PMTILES_URL")
