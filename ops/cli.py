"""The `bluemap` command: database, loading, synthetic data and serving."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click

from app.settings import get_settings


def _settings():
    return get_settings()


def _ensure_db(settings) -> None:
    """Start the embedded cluster when no DATABASE_URL is configured."""
    if settings.embedded:
        from ops.cluster import embedded_cluster
        from ops.cluster import ClusterError

        try:
            embedded_cluster(settings).start()
        except ClusterError as exc:
            raise click.ClickException(str(exc)) from None


@click.group()
def main() -> None:
    """Blue Map: environmental transparency map service."""


@main.group()
def db() -> None:
    """Manage the database (the embedded cluster under var/ when DATABASE_URL is unset)."""


@db.command()
def start() -> None:
    """Initialise (once) and start the embedded PostGIS cluster."""
    s = _settings()
    if not s.embedded:
        raise click.ClickException("DATABASE_URL is set: the external database is not managed here")
    from ops.cluster import embedded_cluster

    c = embedded_cluster(s)
    _ensure_db(s)
    click.echo(f"PostGIS {c.status()}; DATABASE_URL={c.url}")


@db.command()
def stop() -> None:
    """Stop the embedded cluster (data is kept)."""
    from ops.cluster import embedded_cluster

    embedded_cluster(_settings()).stop()
    click.echo("stopped")


@db.command()
def status() -> None:
    """Say where the database is and which migration it is at."""
    s = _settings()
    from db import migrations as migrate

    if s.embedded:
        from ops.cluster import embedded_cluster

        click.echo(f"embedded cluster: {embedded_cluster(s).status()}")
    else:
        click.echo("external database (DATABASE_URL)")
    try:
        click.echo(f"migration: {migrate.current_revision(s.dsn())} (head {migrate.head_revision()})")
    except Exception as exc:  # noqa: BLE001 - report any connection failure to the user
        click.echo(f"database unreachable: {exc.__class__.__name__}: {str(exc).strip().splitlines()[0]}")
        sys.exit(1)


@db.command()
def upgrade() -> None:
    """Apply the migrations."""
    s = _settings()
    _ensure_db(s)
    from db import migrations as migrate

    migrate.upgrade(s.dsn())
    click.echo(f"database at migration {migrate.current_revision(s.dsn())}")


@db.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def reset(yes: bool) -> None:
    """Drop every table (migrate down to base) and migrate up again: all data is lost."""
    if not yes:
        click.confirm("This deletes all data. Continue?", abort=True)
    s = _settings()
    _ensure_db(s)
    from db import migrations as migrate

    migrate.downgrade(s.dsn(), "base")
    migrate.upgrade(s.dsn())
    click.echo("database reset")


@main.command()
@click.argument("dataset")
@click.option("--if-empty", is_flag=True, help="Only load when the database holds no facilities yet.")
def load(dataset: str, if_empty: bool) -> None:
    """Load a bundled data set (or `all`)."""
    from db.connection import connect
    from data.loaders import registry

    s = _settings()
    _ensure_db(s)
    loaders = registry()
    names = list(loaders) if dataset == "all" else [dataset]
    unknown = [n for n in names if n not in loaders]
    if unknown:
        raise click.BadParameter(f"unknown data set {unknown[0]!r}; choose from: all, {', '.join(loaders)}")
    with connect(s) as conn:
        if if_empty and conn.execute("SELECT EXISTS (SELECT 1 FROM facilities)").fetchone()[0]:
            click.echo("data already loaded; nothing to do")
            return
    from db.staging import bump_data_version

    with click.progressbar(names, label="loading", item_show_func=lambda n: n or "") as bar:
        for name in bar:
            t0 = time.monotonic()
            with connect(s) as conn:
                result = loaders[name](conn)
                bump_data_version(conn)
            click.echo(f"\n  {result.summary()} in {time.monotonic() - t0:.1f}s")
            for file, line, reason in result.skipped[:20]:
                click.echo(f"    skipped {file}:{line}: {reason}")
    click.echo(f"{_prerender(s)} low-zoom tiles pre-rendered")


@main.command("load-file")
@click.argument("kind", type=click.Choice(["facilities", "violations", "readings"]))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--crs", type=click.Choice(["wgs84", "gcj02", "bd09"]), default="wgs84", show_default=True,
              help="Datum of the file's coordinates (converted to WGS84 on load).")
@click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the file (e.g. gbk).")
@click.option("--skip-invalid", is_flag=True,
              help="Commit the valid rows and write rejected rows to <file>.rejects.csv.")
@click.option("--dataset-id", default=None, help="Data set id to record (default upload:<file name>).")
@click.option("--licence", default="unspecified", show_default=True, help="Licence of the file's data.")
def load_file(kind: str, path: Path, crs: str, encoding: str, skip_invalid: bool, dataset_id: str | None,
              licence: str) -> None:
    """Load a CSV of facilities, violations or hourly air readings, with a row-level report of bad rows."""
    from data.catalog import DATASETS
    from db.connection import connect
    from ingest.files import load_csv

    s = _settings()
    _ensure_db(s)
    if kind == "readings":
        _load_readings(s, path, encoding, skip_invalid, dataset_id, licence)
        return
    with connect(s) as conn:
        report = load_csv(conn, kind, path, crs=crs, encoding=encoding, skip_invalid=skip_invalid,
                          dataset_id=dataset_id, licence=licence, dataset=DATASETS.get(dataset_id or ""),
                          progress=True)
    click.echo(report.text())
    if report.errors and not skip_invalid:
        sys.exit(2)
    if report.committed:
        _prerender(s)


def _load_readings(s, path: Path, encoding: str, skip_invalid: bool, dataset_id: str | None,
                   licence: str) -> None:
    """`load-file readings`: CNEMC-style hourly readings, then their hourly AQI and daily rollups."""
    from datetime import date

    from data.catalog import DATASETS
    from db.connection import connect
    from ingest.readings import load_readings_csv

    with connect(s) as conn:
        report = load_readings_csv(conn, path, encoding=encoding, skip_invalid=skip_invalid,
                                   dataset_id=dataset_id, licence=licence, dataset=DATASETS.get(dataset_id or ""),
                                   cutover=date.fromisoformat(s.aqi_cutover))
    click.echo(report.text())
    if report.errors or not report.stored:
        sys.exit(2)
    if report.counts.get("inserted"):
        _prerender(s)


@main.group()
def tokens() -> None:
    """API tokens of clients that push readings (POST /api/readings)."""


@tokens.command("create")
@click.option("--label", required=True, help="Who the token is for (the data set of its readings).")
@click.option("--station", default=None, help="Only allow readings of this air station (its code).")
def tokens_create(label: str, station: str | None) -> None:
    """Create a token and print it once: only its SHA-256 hash is stored."""
    from accounts import tokens as api_tokens
    from db.connection import connect

    s = _settings()
    _ensure_db(s)
    with connect(s) as conn:
        try:
            token_id, secret = api_tokens.create(conn, label, station)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    click.echo(f"token {token_id} for {label!r} (shown once, keep it secret):\n{secret}")


@tokens.command("list")
def tokens_list() -> None:
    """List the tokens (never their secrets)."""
    from accounts import tokens as api_tokens
    from db.connection import connect

    s = _settings()
    _ensure_db(s)
    with connect(s) as conn:
        for tid, label, code, created, used, revoked in api_tokens.listing(conn):
            state = f"revoked {revoked:%Y-%m-%d %H:%M}" if revoked else "active"
            last = f"last used {used:%Y-%m-%d %H:%M}" if used else "never used"
            click.echo(f"{tid:>5}  {label}  station={code or 'any'}  created {created:%Y-%m-%d}  {last}  "
                       f"{state}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
def tokens_revoke(token_id: int) -> None:
    """Revoke a token: it is refused from then on."""
    from accounts import tokens as api_tokens
    from db.connection import connect

    s = _settings()
    _ensure_db(s)
    with connect(s) as conn:
        if not api_tokens.revoke(conn, token_id):
            raise click.ClickException(f"no active token with id {token_id}")
    click.echo(f"token {token_id} revoked")


@main.command()
@click.option("--scale", type=click.Choice(["demo", "ipe"]), default="demo", show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the IPE-scale CSV files are written (default var/synth).")
@click.option("--facilities", "n_facilities", type=int, default=1_200_000, show_default=True)
@click.option("--violations", "n_violations", type=int, default=2_000_000, show_default=True)
@click.option("--no-load", is_flag=True, help="Only write the IPE-scale CSV files.")
def synth(scale: str, out: Path | None, n_facilities: int, n_violations: int, no_load: bool) -> None:
    """Generate deterministic synthetic data: the demo layer, or IPE scale for benchmarks."""
    from db.connection import connect

    s = _settings()
    _ensure_db(s)
    if scale == "demo":
        from data.synth import demo

        with connect(s) as conn:
            click.echo(demo.load(conn).summary())
        return
    from data.synth import ipe

    out = out or s.var_dir / "synth"
    fac_path, vio_path = ipe.write_csv(out, n_facilities, n_violations, progress=True)
    click.echo(f"wrote {fac_path} and {vio_path}")
    if no_load:
        return
    from ingest.files import load_csv

    for kind, p in (("facilities", fac_path), ("violations", vio_path)):
        with connect(s) as conn:
            report = load_csv(conn, kind, p, dataset_id="synthetic-ipe", progress=True)
        click.echo(report.text())


@main.group()
def tiles() -> None:
    """Render tiles from the command line."""


def _prerender(s, maxzoom: int = 5, layer_ids: list[str] | None = None) -> int:
    """Fill the tile cache's low zooms for the current data version."""
    from contextlib import contextmanager

    from db.connection import connect
    from tiles.prerender import prerender
    from tiles.service import TileService

    if not s.tile_cache:
        return 0
    service = TileService(s.dsn(), s.var_dir / "tile-cache")

    @contextmanager
    def conn_factory():
        with connect(s) as c:
            yield c

    return prerender(service, conn_factory, maxzoom, layer_ids)


@tiles.command("prerender")
@click.option("--maxzoom", type=int, default=5, show_default=True)
@click.option("--layers", default=None, help="Comma-separated layer ids (default: all).")
def tiles_prerender(maxzoom: int, layers: str | None) -> None:
    """Render the low zooms of every layer into the server's tile cache."""
    s = _settings()
    _ensure_db(s)
    n = _prerender(s, maxzoom, layers.split(",") if layers else None)
    click.echo(f"{n} tiles rendered into {s.var_dir / 'tile-cache'}")


@tiles.command("render")
@click.argument("layer")
@click.argument("z", type=int)
@click.argument("x", type=int)
@click.argument("y", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def tiles_render(layer: str, z: int, x: int, y: int, output: Path) -> None:
    """Write one tile (default filters) to a file."""
    from db.connection import connect
    from tiles.render import render_many
    from tiles.service import TileRequestError, parse_layers

    s = _settings()
    _ensure_db(s)
    try:
        layers = parse_layers(layer)
    except TileRequestError as exc:
        raise click.BadParameter(str(exc)) from None
    with connect(s) as conn:
        data = render_many(conn, list(layers), z, x, y, {la.id: la.parse_filters({}) for la in layers})
    output.write_bytes(data)
    click.echo(f"{len(data)} bytes written to {output}")


@main.command("export")
@click.argument("layer")
@click.option("--format", "fmt", default="gpkg", show_default=True,
              help="geojson, csv, gpkg, shp, kml, fgb, html, png or pmtiles.")
@click.option("--bbox", default=None, help="w,s,e,n in WGS84 degrees.")
@click.option("--polygon", default=None, help="GeoJSON Polygon/MultiPolygon, or a file holding one.")
@click.option("--area", default=None, help="6-digit GB/T 2260 area code (e.g. 110000).")
@click.option("-f", "--filter", "filters", multiple=True, metavar="NAME=VALUE",
              help="A layer filter or format option (e.g. -f industry=cement -f bom=true); repeatable.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def export_cmd(layer: str, fmt: str, bbox: str | None, polygon: str | None, area: str | None,
               filters: tuple[str, ...], output: Path) -> None:
    """Export a layer to a file, with a progress bar (no size limit; CSV adds FILE.metadata.json)."""
    from exports import writers

    writers.import_lean()  # keeps the process small: no pandas/geopandas
    from tqdm import tqdm

    from db.connection import connect
    from exports import service
    from exports.selection import SelectionError

    args: dict[str, str] = {}
    for item in filters:
        name, eq, value = item.partition("=")
        if not eq:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--filter")
        args[name.strip()] = value
    if polygon and Path(polygon).is_file():
        polygon = Path(polygon).read_text(encoding="utf-8")
    args |= {k: v for k, v in (("bbox", bbox), ("polygon", polygon), ("area", area)) if v}
    s = _settings()
    try:
        req = service.parse(layer, fmt, args)
    except SelectionError as exc:
        raise click.BadParameter(exc.reason) from None
    _ensure_db(s)
    with connect(s) as conn:
        try:
            plan = service.plan(conn, req)
        except SelectionError as exc:
            raise click.BadParameter(exc.reason) from None
        unit = "tiles" if req.format == "pmtiles" else "rows"
        with tqdm(total=plan.size, unit=f" {unit}", unit_scale=True, desc=f"{layer}.{req.format}",
                  disable=None) as bar:
            service.produce(conn, plan, output, progress=bar.update)
    click.echo(f"{plan.size} {unit} written to {output} ({output.stat().st_size:,} bytes)")


@main.command()
@click.option("--workers", type=int, default=None, help="gunicorn workers (default WORKERS or 2).")
@click.option("--port", type=int, default=None, help="Port (default PORT or 8000).")
def serve(workers: int | None, port: int | None) -> None:
    """Serve the app with gunicorn (starting the embedded database when needed)."""
    s = _settings()
    _ensure_db(s)
    from db import migrations as migrate

    if migrate.current_revision(s.dsn()) != migrate.head_revision():
        migrate.upgrade(s.dsn())
    bind = f"{s.host}:{port or s.port}"
    args = ["gunicorn", "--bind", bind, "--workers", str(workers or s.workers), "--access-logfile", "-",
            "--timeout", "120", "app.wsgi:app"]
    click.echo(f"serving on http://{bind}")
    os.execvp(sys.executable, [sys.executable, "-m", *args])


@main.group()
def users() -> None:
    """Accounts of administrators and brand users (brand users are invited from /admin)."""


@users.command("create-admin")
@click.option("--email", required=True, help="The administrator's e-mail address (the login name).")
@click.option("--name", default="", help="Display name.")
def users_create_admin(email: str, name: str) -> None:
    """Create an administrator; the password comes from BLUEMAP_ADMIN_PASSWORD or is asked for."""
    from accounts import users as accounts
    from db.connection import connect

    password = os.environ.get("BLUEMAP_ADMIN_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True)
    s = _settings()
    _ensure_db(s)
    with connect(s) as conn:
        try:
            user = accounts.create_user(conn, email, password, "admin", None, name)
        except accounts.AccountError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"admin {user.email} created (id {user.id}); sign in at /login")


@users.command("list")
def users_list() -> None:
    """List the accounts."""
    from accounts import users as accounts
    from db.connection import connect

    s = _settings()
    _ensure_db(s)
    with connect(s) as conn:
        for u in accounts.list_users(conn):
            state = "disabled" if u["disabled"] else "active"
            click.echo(f"{u['id']:>5}  {u['email']}  {u['role']}  brand={u['brand'] or '-'}  {state}")


if __name__ == "__main__":  # pragma: no cover
    main()
