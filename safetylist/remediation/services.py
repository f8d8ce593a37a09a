"""The remediation service: the one entry point through which hazards are opened (and, later, move)."""
from __future__ import annotations

from datetime import date, timedelta

from safetylist.audit.services import record
from safetylist.extensions import db
from safetylist.remediation.models import Hazard


def open_hazards_for_run(actor, run, findings, found_on: date) -> list[Hazard]:
    """Open one hazard per finding of a submitted run, inside the caller's transaction."""
    hazards = []
    for finding in findings:
        hazard = Hazard(
            enterprise_id=run.enterprise_id, agency_id=run.agency_id, run_id=run.id,
            checklist_item=finding.item_id, severity=finding.severity,
            title=finding.ask.zh[:300], title_en=finding.ask.en[:300],
            description=_note(run, finding.item_id), basis=finding.basis,
            found_on=found_on, deadline=found_on + timedelta(days=finding.fix_within_days),
            rectification_evidence=finding.rectification_evidence, notify=list(finding.notify),
            created_by_id=getattr(actor, "id", None))
        db.session.add(hazard)
        hazards.append(hazard)
    db.session.flush()
    for hazard in hazards:
        record(actor, "hazard_opened", hazard, severity=hazard.severity, run_id=run.id,
               item=hazard.checklist_item, deadline=hazard.deadline.isoformat())
    return hazards


def _note(run, item_id: str) -> str | None:
    """The filler's remark on the failed item becomes the hazard's description."""
    note = (run.notes or {}).get(item_id)
    return str(note)[:2000] if note else None
