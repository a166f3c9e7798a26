"""`bluemap tokens`: API tokens of clients that push readings."""

from __future__ import annotations

import click

from accounts import tokens as api_tokens
from db.connection import connect
from ops.cli.common import ensure_db, settings


@click.group()
def tokens() -> None:
    """API tokens of clients that push readings (POST /api/readings)."""


@tokens.command("create")
@click.option("--label", required=True, help="Who the token is for (the data set of its readings).")
@click.option("--station", default=None, help="Only allow readings of this air station (its code).")
def tokens_create(label: str, station: str | None) -> None:
    """Create a token and print it once: only its SHA-256 hash is stored."""
    s = settings()
    ensure_db(s)
    with connect(s) as conn:
        try:
            token_id, secret = api_tokens.create(conn, label, station)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    click.echo(f"token {token_id} for {label!r} (shown once, keep it secret):\n{secret}")


@tokens.command("list")
def tokens_list() -> None:
    """List the tokens (never their secrets)."""
    s = settings()
    ensure_db(s)
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
    s = settings()
    ensure_db(s)
    with connect(s) as conn:
        if not api_tokens.revoke(conn, token_id):
            raise click.ClickException(f"no active token with id {token_id}")
    click.echo(f"token {token_id} revoked")
