"""What the command groups share: settings, the embedded database and low-zoom tile pre-rendering."""

from __future__ import annotations

from contextlib import contextmanager

import click

from app.settings import Settings, get_settings
from db.connection import connect
from ops.cluster import ClusterError, embedded_cluster


def settings() -> Settings:
    """The settings of this process (environment and .env)."""
    return get_settings()


def ensure_db(s: Settings) -> None:
    """Start the embedded cluster when no DATABASE_URL is configured."""
    if s.embedded:
        try:
            embedded_cluster(s).start()
        except ClusterError as exc:
            raise click.ClickException(str(exc)) from None


def prerender(s: Settings, maxzoom: int = 5, layer_ids: list[str] | None = None) -> int:
    """Fill the tile cache's low zooms for the current data version."""
    from tiles.prerender import prerender as render_low_zooms
    from tiles.service import TileService

    if not s.tile_cache:
        return 0
    service = TileService(s.dsn(), s.var_dir / "tile-cache")

    @contextmanager
    def conn_factory():
        with connect(s) as c:
            yield c

    return render_low_zooms(service, conn_factory, maxzoom, layer_ids)
