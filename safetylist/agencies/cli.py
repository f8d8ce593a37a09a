"""`flask agencies …`: check the supervision rules file, and redo a recorded spot-check draw."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

agencies_cli = AppGroup("agencies", help="Safety evaluation agencies: supervision rules and spot checks.")


@agencies_cli.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
def check_command(path: Path | None):
    """Validate a supervision rules file (default: the app's) and list what it sets."""
    from safetylist.agencies.supervision import SUPERVISION_FILE, load_supervision
    from safetylist.checklists.library import checked_document_or_exit
    rules = checked_document_or_exit(path, "AGENCY_SUPERVISION_FILE", SUPERVISION_FILE, load_supervision)
    click.echo(f"self-check {rules.self_check_checklist}; spot check {rules.spot_check_checklist}")
    click.echo(f"qualification expiring within {rules.qualification_expiring_days} days; busy evaluator: more than "
               f"{rules.busy_evaluator.max_projects} reports in {rules.busy_evaluator.days} days")
    click.echo(f"later accident within {rules.later_accident_days} days; later major hazard within "
               f"{rules.later_major_hazard_days} days; at most {rules.max_sample_size} projects per draw")


@agencies_cli.command("verify-draw")
@click.argument("draw_id", type=int)
def verify_draw_command(draw_id: int):
    """Draw again from a recorded draw's population and seed; exit 1 if the picks differ."""
    from safetylist.agencies.models import SpotCheckDraw
    from safetylist.agencies.spotchecks import pick, verify
    from safetylist.extensions import db
    draw = db.session.get(SpotCheckDraw, draw_id)
    if draw is None:
        raise click.ClickException(f"no draw {draw_id}")
    if draw.method != "random":
        click.echo(f"draw {draw_id} picked by rule {draw.rule}: {draw.picked}")
        return
    again = pick(draw.seed, list(draw.population), draw.sample_size)
    click.echo(f"seed {draw.seed!r}, {len(draw.population)} projects, {draw.sample_size} drawn: {again}")
    if not verify(draw):
        raise click.ClickException(f"recorded picks {draw.picked} differ from the draw again")
    click.echo("the recorded picks are the same")
