"""`flask reminders …`: check the rules file, run a scan by hand, deliver what is pending."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask.cli import AppGroup

from safetylist.timeutil import LOCAL_TZ

reminders_cli = AppGroup("reminders", help="Reminder scans and notification delivery.")


@reminders_cli.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
def check_command(path: Path | None):
    """Validate a reminders file (default: the app's) and list what it defines."""
    from safetylist.checklists.library import checked_document_or_exit
    from safetylist.notify.rules import RULES_FILE, load_rules
    rules = checked_document_or_exit(path, "NOTIFY_REMINDERS_FILE", RULES_FILE, load_rules)
    for reminder in rules.reminders:
        stages = ", ".join(stage.id + (" (daily)" if stage.daily else "") for stage in reminder.stages)
        click.echo(f"{reminder.id}: {reminder.source} → {', '.join(reminder.to)}: {stages}")


@reminders_cli.command("scan")
@click.option("--at", "at", help="Scan as if it were this local time (YYYY-MM-DD HH:MM), e.g. to test rules.")
@click.option("--deliver/--queue", default=False,
              help="Deliver here and now instead of queuing the deliveries for the worker.")
def scan_command(at: str | None, deliver: bool):
    """Record the reminders due now, once each, and send or queue their deliveries."""
    from safetylist.notify.scan import scan
    now = datetime.fromisoformat(at).replace(tzinfo=LOCAL_TZ) if at else None
    result = scan(now)
    for reminder_id, count in result.recorded.items():
        click.echo(f"{reminder_id}: {count} new")
    _send(result.deliveries, deliver)


@reminders_cli.command("deliver")
def deliver_command():
    """Deliver, here and now, every delivery that is due (retries, lost messages, dead workers)."""
    from safetylist.notify.delivery import sweep
    _send(sweep(), True)


def _send(ids: list[int], here: bool) -> None:
    if not here:
        from worker.tasks import queue_deliveries
        queue_deliveries(ids)
        click.echo(f"{len(ids)} deliveries queued")
        return
    from safetylist.notify.delivery import attempt
    outcomes: dict[str, int] = {}
    for delivery_id in ids:
        outcome = attempt(delivery_id)
        outcomes[outcome.status] = outcomes.get(outcome.status, 0) + 1
        if outcome.error:
            click.echo(f"delivery {delivery_id}: {outcome.status}: {outcome.error}", err=True)
    click.echo(", ".join(f"{count} {status}" for status, count in sorted(outcomes.items())) or "nothing to deliver")
