"""Imports every model module so metadata (and Alembic autogenerate) sees all tables."""
from safetylist.agencies.models import Agency, EvaluationProject, Evaluator, SelfCheckCall, SpotCheck, SpotCheckDraw  # noqa: F401,E501
from safetylist.audit.models import AuditEntry  # noqa: F401
from safetylist.auth.models import User  # noqa: F401
from safetylist.checklists.models import ChecklistRun, ChecklistVersion  # noqa: F401
from safetylist.grid.models import Grid, GridAssignment, InspectionFrequency, InspectionOrder  # noqa: F401
from safetylist.interviews.models import Accident, Interview, InterviewEvent  # noqa: F401
from safetylist.notify.models import Delivery, Notification, OutboxMessage  # noqa: F401
from safetylist.photos.models import Photo  # noqa: F401
from safetylist.registry.models import Community, District, Enterprise, Sector, Street  # noqa: F401
from safetylist.remediation.models import ExtensionRequest, Hazard, HazardEvent, NoticeCounter, RectificationNotice  # noqa: F401,E501
from safetylist.standardization.models import Assessment, Certificate, StandardizationEvent  # noqa: F401
