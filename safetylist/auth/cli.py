"""`flask users …`: create accounts from the command line (the first admin, scripted set-up)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from safetylist.auth.system import SYSTEM

users_cli = AppGroup("users", help="Manage user accounts.")


def actor_named(username: str | None):
    """Who a command acts as (`--as USER`): that user and their scope, or the district-wide system."""
    if not username:
        return SYSTEM
    from sqlalchemy import select

    from safetylist.auth.models import User
    from safetylist.extensions import db
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise click.ClickException(f"no user named {username!r}")
    return user


@users_cli.command("create-admin")
@click.argument("username")
@click.option("--name", default="管理员", help="Display name.")
@click.password_option()
def create_admin(username: str, name: str, password: str):
    """Create an administrator account."""
    from safetylist.admin.services import create_user
    from safetylist.errors import ValidationFailed
    try:
        create_user(SYSTEM, {"username": username, "display_name": name, "role": "admin", "password": password})
    except ValidationFailed as exc:
        raise click.ClickException(str(exc))
    click.echo(f"created admin {username}")
