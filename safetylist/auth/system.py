"""The actor for command-line and scheduled work: district-wide, audited as 'system'."""
from types import SimpleNamespace

from safetylist.auth import roles

SYSTEM = SimpleNamespace(id=None, role=roles.ADMIN, username="system", street_id=None,
                         enterprise_id=None, agency_id=None, is_authenticated=False)
