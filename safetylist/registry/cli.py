"""`flask enterprises …` and `flask seed …` commands."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from safetylist.auth.cli import actor_named
from safetylist.auth.system import SYSTEM

enterprises_cli = AppGroup("enterprises", help="Import and export the enterprise register.")
seed_cli = AppGroup("seed", help="Load reference and demo data.")


@enterprises_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", help="Import with this user's scope (default: district-wide system).")
def import_command(path: Path, username: str | None):
    """Import enterprises from an .xlsx or .csv file: every row, or none."""
    from safetylist.registry.importer import import_enterprises
    from safetylist.spreadsheet import report_import
    result = import_enterprises(actor_named(username), path.name, path.read_bytes())
    report_import(path, result, f"imported {result.created} enterprises.")


@enterprises_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def export_command(path: Path):
    """Export the whole register to an .xlsx file."""
    from safetylist.registry.exporter import export_enterprises
    from safetylist.registry.services import EnterpriseFilters
    path.write_bytes(export_enterprises(SYSTEM, EnterpriseFilters()).getvalue())
    click.echo(f"wrote {path}")


@seed_cli.command("district")
def seed_district():
    """Streets, communities, grids and sectors of Longgang (idempotent)."""
    from safetylist.registry.reference import ensure_reference_data
    ensure_reference_data()
    click.echo("district reference data is in place")


@seed_cli.command("demo")
@click.option("--enterprises", default=865, show_default=True, help="How many demo enterprises.")
def seed_demo(enterprises: int):
    """The district, demo enterprises, grid workers and one login per role (idempotent)."""
    from safetylist.demo_seed import seed_demo as run
    summary = run(enterprises)
    for line in summary:
        click.echo(line)
