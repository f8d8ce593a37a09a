"""`flask checklists validate [PATH…]`: check checklist files and report every error by file and line."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from safetylist.checklists.library import LIBRARY_DIR, display_path, load_library

checklists_cli = AppGroup("checklists", help="Checklist library tools.")


@checklists_cli.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
def validate(paths: tuple[str, ...]) -> None:
    """Validate checklist files (default: the whole library); exit status 1 on any error."""
    library = load_library(list(paths) or [LIBRARY_DIR])
    for error in library.errors:
        click.echo(str(error))
    files = {e.file for e in library.errors}
    summary = (f"{len(library.entries)} checklist(s) valid, {len(library.errors)} error(s) "
               f"in {len(files)} file(s)")
    if not paths:
        summary += f" ({display_path(LIBRARY_DIR)})"
    click.echo(summary)
    if library.errors:
        raise SystemExit(1)
