"""Words for interview states, parties and timeline steps, in the user's language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "planned": _l("Planned"),
    "notice_issued": _l("Notice issued"),
    "held": _l("Held"),
    "follow_up": _l("Following up"),
    "closed": _l("Closed"),
    "cancelled": _l("Cancelled"),
}
PARTY_LABELS = {"enterprise": _l("Enterprise"), "authority": _l("Sector authority")}
EVENT_LABELS = {
    "planned": _l("Planned"),
    "notice_issued": _l("Interview notice issued"),
    "rescheduled": _l("Rescheduled"),
    "cancelled": _l("Cancelled"),
    "held": _l("Held"),
    "supplement": _l("Supplement to the minutes"),
    "commitments": _l("Commitments recorded"),
    "closed": _l("Followed up and closed"),
}


def interview_labels() -> dict:
    """All of them for templates: `{% set labels = interview_labels() %}`."""
    return {"status": STATUS_LABELS, "party": PARTY_LABELS, "event": EVENT_LABELS}
