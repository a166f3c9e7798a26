"""`bluemap users`: administrator and brand-user accounts."""

from __future__ import annotations

import os

import click

from accounts import users as accounts
from db.connection import connect
from ops.cli.common import ensure_db, settings


@click.group()
def users() -> None:
    """Accounts of administrators and brand users (brand users are invited from /admin)."""


@users.command("create-admin")
@click.option("--email", required=True, help="The administrator's e-mail address (the login name).")
@click.option("--name", default="", help="Display name.")
def users_create_admin(email: str, name: str) -> None:
    """Create an administrator; the password comes from BLUEMAP_ADMIN_PASSWORD or is asked for."""
    password = os.environ.get("BLUEMAP_ADMIN_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True)
    s = settings()
    ensure_db(s)
    with connect(s) as conn:
        try:
            user = accounts.create_user(conn, email, password, "admin", None, name)
        except accounts.AccountError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"admin {user.email} created (id {user.id}); sign in at /login")


@users.command("list")
def users_list() -> None:
    """List the accounts."""
    s = settings()
    ensure_db(s)
    with connect(s) as conn:
        for u in accounts.list_users(conn):
            state = "disabled" if u["disabled"] else "active"
            click.echo(f"{u['id']:>5}  {u['email']}  {u['role']}  brand={u['brand'] or '-'}  {state}")
