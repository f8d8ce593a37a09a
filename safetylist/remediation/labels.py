"""Words for hazard states, severities, sources and timeline steps, in the user's language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "open": _l("Open"),
    "rectification_submitted": _l("Rectification submitted"),
    "closed": _l("Closed"),
    "withdrawn": _l("Withdrawn"),
}
SEVERITY_LABELS = {"general": _l("General hazard"), "major": _l("Major hazard")}
SOURCE_LABELS = {
    "self_check": _l("Self-check"),
    "site_inspection": _l("Grid inspection"),
    "campaign": _l("Campaign"),
    "interview": _l("Interview"),
    "agency_self_check": _l("Agency self-check"),
    "spot_check": _l("Agency spot check"),
    "standardization": _l("Standardization"),
    "other": _l("Other"),
}
EVENT_LABELS = {
    "opened": _l("Opened"),
    "rectification_submitted": _l("Rectification submitted"),
    "verified": _l("Verified and closed"),
    "rejected": _l("Rectification rejected"),
    "withdrawn": _l("Withdrawn"),
    "temporary_measures": _l("Temporary measures recorded"),
    "extension_requested": _l("Extension requested"),
    "extension_approved": _l("Extension approved"),
    "extension_refused": _l("Extension refused"),
    "supervised": _l("Listed for supervision"),
    "notice_issued": _l("Rectification notice issued"),
}
SUPERVISION_LABELS = {"street": _l("Supervised by the street"), "district": _l("Supervised by the district")}
EXTENSION_LABELS = {"pending": _l("Pending"), "approved": _l("Approved"), "refused": _l("Refused")}


def hazard_labels() -> dict:
    """All of them for templates: `{% set labels = hazard_labels() %}`."""
    return {"status": STATUS_LABELS, "severity": SEVERITY_LABELS, "source": SOURCE_LABELS, "event": EVENT_LABELS,
            "supervision": SUPERVISION_LABELS, "extension": EXTENSION_LABELS}
