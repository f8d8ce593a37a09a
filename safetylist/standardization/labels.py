"""Words for assessment and certificate states, grades and timeline steps, in the user's language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "draft": _l("Being prepared"),
    "submitted": _l("Waiting for a reviewer"),
    "in_review": _l("Under review"),
    "reviewed": _l("Reviewed, waiting for the decision"),
    "decided": _l("Decided"),
    "withdrawn": _l("Withdrawn"),
}
CERTIFICATE_LABELS = {
    "valid": _l("Valid"),
    "suspended": _l("On hold"),
    "revoked": _l("Revoked"),
    "superseded": _l("Superseded"),
    "expired": _l("Expired"),
}
GRADE_LABELS = {"1": _l("Level 1"), "2": _l("Level 2"), "3": _l("Level 3")}
DECISION_LABELS = {"granted": _l("Grade granted"), "refused": _l("No grade granted")}
EVENT_LABELS = {
    "started": _l("Application started"),
    "evidence": _l("Evidence updated"),
    "submitted": _l("Submitted for review"),
    "withdrawn": _l("Withdrawn"),
    "returned": _l("Returned to the enterprise"),
    "assigned": _l("Reviewer assigned"),
    "reviewed": _l("Review submitted"),
    "review_hazards": _l("Hazards opened from the review"),
    "decided": _l("Decided"),
    "issued": _l("Certificate issued"),
    "superseded": _l("Certificate superseded"),
    "flagged": _l("Flagged for review: veto event recorded"),
    "kept": _l("Certificate kept after review"),
    "downgraded": _l("Certificate downgraded"),
    "revoked": _l("Certificate revoked"),
}


def standardization_labels() -> dict:
    """All of them for templates: `{% set labels = standardization_labels() %}`."""
    return {"status": STATUS_LABELS, "certificate": CERTIFICATE_LABELS, "grade": GRADE_LABELS,
            "decision": DECISION_LABELS, "event": EVENT_LABELS}
