"""`flask standardization …`: check the grading rules file, and flag certificates by hand."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

standardization_cli = AppGroup("standardization", help="Standardization grading rules and certificates.")


@standardization_cli.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
def check_command(path: Path | None):
    """Validate a grading file (default: the app's) and list what it defines."""
    from safetylist.checklists.library import checked_document_or_exit
    from safetylist.standardization.grading import GRADING_FILE, load_grading
    rules = checked_document_or_exit(path, "STANDARDIZATION_GRADING_FILE", GRADING_FILE, load_grading)
    click.echo(f"checklist {rules.checklist}; certificates valid {rules.validity_years} years, "
               f"numbered {rules.format_number(2026, 1)}")
    for grade in rules.grades:
        click.echo(f"grade {grade.certificate_grade} ({grade.zh}) = checklist grade {grade.checklist_grade}")
    for veto in rules.vetoes:
        click.echo(f"veto {veto.id}: {veto.kind} — {veto.reason(1, True)}")


@standardization_cli.command("flag")
def flag_command():
    """Flag certificates that veto events recorded after their issue concern (what beat runs daily)."""
    from safetylist.standardization.certificates import flag_all
    flagged = flag_all()
    for certificate in flagged:
        click.echo(f"flagged {certificate.number}: {', '.join(r['rule'] for r in certificate.flag_reasons)}")
    click.echo(f"{len(flagged)} certificate(s) flagged")
