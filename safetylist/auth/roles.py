"""The six roles of DESIGN.md §2 and their display names."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

OFFICER = "officer"                 # 企业安全员
GRID_WORKER = "grid_worker"         # 网格员
STREET_REGULATOR = "street_regulator"
DISTRICT_REGULATOR = "district_regulator"
AGENCY_STAFF = "agency_staff"       # 安全评价机构
ADMIN = "admin"

ROLES = (OFFICER, GRID_WORKER, STREET_REGULATOR, DISTRICT_REGULATOR, AGENCY_STAFF, ADMIN)
REGULATORS = (STREET_REGULATOR, DISTRICT_REGULATOR)

ROLE_LABELS = {
    OFFICER: _l("Enterprise safety officer"),
    GRID_WORKER: _l("Grid worker"),
    STREET_REGULATOR: _l("Street regulator"),
    DISTRICT_REGULATOR: _l("District regulator"),
    AGENCY_STAFF: _l("Evaluation agency staff"),
    ADMIN: _l("Administrator"),
}
