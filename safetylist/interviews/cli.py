"""`flask accidents …`: import accident records from a spreadsheet."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from safetylist.auth.cli import actor_named

accidents_cli = AppGroup("accidents", help="Import accident records.")


@accidents_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", help="Import with this user's scope (default: district-wide system).")
def import_command(path: Path, username: str | None):
    """Import accidents from an .xlsx or .csv file: every row, or none."""
    from safetylist.errors import PermissionDenied
    from safetylist.interviews.accident_import import import_accidents
    from safetylist.spreadsheet import report_import
    try:
        result = import_accidents(actor_named(username), path.name, path.read_bytes())
    except PermissionDenied as exc:
        raise click.ClickException(str(exc))
    report_import(path, result, f"imported {result.created} accidents.")
