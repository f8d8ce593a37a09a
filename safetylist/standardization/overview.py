"""What regulators and enterprises read about standardization: an enterprise's record, the grades by
street and sector, enterprises without a grade, certificates expiring or flagged, applications by
state, and annual self-assessments overdue. Read-only; every query starts from the caller's Scope."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from safetylist.auth.scope import Scope
from safetylist.checklists.due import next_due
from safetylist.checklists.models import ChecklistRun, ChecklistVersion
from safetylist.extensions import db
from safetylist.i18n import local_name
from safetylist.registry.models import Enterprise, Sector, Street
from safetylist.registry.services import Page
from safetylist.standardization import services
from safetylist.standardization.certificates import current_certificate
from safetylist.standardization.models import OPEN_STATUSES, Assessment, Certificate
from safetylist.timeutil import local_today, to_local

EXPIRING_DAYS = 90  # as the first stage of the expiry reminder


# --- one enterprise -------------------------------------------------------------------------------
@dataclass
class EnterpriseRecord:
    enterprise: Enterprise
    certificate: Certificate | None
    certificates: list[Certificate]
    assessments: list[Assessment]
    self_assessments: list[ChecklistRun]
    open_assessment: Assessment | None
    next_self_assessment_due: date | None
    draft_run_id: int | None = None
    vetoes: list = field(default_factory=list)

    @property
    def self_assessment_overdue(self) -> bool:
        return self.next_self_assessment_due is not None and self.next_self_assessment_due < local_today()


def enterprise_record(enterprise: Enterprise, today: date | None = None) -> EnterpriseRecord:
    """Current grade, its history, applications and self-assessments, and when the next is due."""
    from safetylist.standardization import grading, vetoes
    today = today or local_today()
    own = services.self_assessments(enterprise.id)
    last = to_local(own[0].submitted_at).date() if own else None
    key = services.checklist_key()
    draft = db.session.scalar(select(ChecklistRun.id).join(ChecklistRun.version).where(
        ChecklistRun.enterprise_id == enterprise.id, ChecklistRun.status == "draft",
        ChecklistVersion.checklist_key == key).order_by(ChecklistRun.id.desc()).limit(1))
    return EnterpriseRecord(
        enterprise=enterprise, certificate=current_certificate(enterprise.id, today),
        certificates=list(db.session.scalars(select(Certificate).where(Certificate.enterprise_id == enterprise.id)
                                             .order_by(Certificate.issued_on.desc(), Certificate.id.desc()))),
        assessments=list(db.session.scalars(select(Assessment).options(selectinload(Assessment.self_run))
                                            .where(Assessment.enterprise_id == enterprise.id)
                                            .order_by(Assessment.created_at.desc(), Assessment.id.desc()))),
        self_assessments=own, open_assessment=services.open_assessment(enterprise.id),
        next_self_assessment_due=next_due("yearly", last, today) if enterprise.standardization_required or own else None,
        draft_run_id=draft,
        vetoes=vetoes.findings(grading.rules(), [enterprise.id], today)[enterprise.id])


# --- the district (or a street) at a glance ----------------------------------------------------------
def _in_force(today: date):
    return and_(Certificate.status == "valid", Certificate.issued_on <= today, Certificate.expires_on >= today)


def _held_grades(scope: Scope, today: date):
    """(enterprise id, best grade in force) for the enterprises in scope: one row per certified enterprise."""
    return (select(Certificate.enterprise_id, func.min(Certificate.grade).label("grade"))
            .where(_in_force(today), Certificate.enterprise_id.in_(scope.enterprises().with_only_columns(Enterprise.id)))
            .group_by(Certificate.enterprise_id).subquery())


@dataclass
class GradeRow:
    id: int | None
    name: str
    required: int = 0
    counts: dict = field(default_factory=lambda: {"1": 0, "2": 0, "3": 0})
    without: int = 0  # required, active, and no grade in force

    @property
    def graded(self) -> int:
        return sum(self.counts.values())


def grade_distribution(actor, by: str, today: date | None = None) -> list[GradeRow]:
    """Grades in force per street or per sector, with how many enterprises need one and lack it."""
    today = today or local_today()
    scope = Scope(actor)
    held = _held_grades(scope, today)
    column = Enterprise.street_id if by == "street" else Enterprise.sector_id
    model = Street if by == "street" else Sector
    rows = {row.id: GradeRow(row.id, local_name(row))
            for row in db.session.scalars(select(model).order_by(model.id if by == "street" else Sector.position))}
    query = (select(column, held.c.grade, Enterprise.standardization_required, func.count())
             .select_from(Enterprise).outerjoin(held, held.c.enterprise_id == Enterprise.id)
             .where(scope.enterprise_filter(), Enterprise.status == "active")
             .group_by(column, held.c.grade, Enterprise.standardization_required))
    for key, grade, required, count in db.session.execute(query):
        row = rows.get(key)
        if row is None:
            continue
        if grade:
            row.counts[grade] += count
        if required:
            row.required += count
            if not grade:
                row.without += count
    return [row for row in rows.values() if row.required or row.graded]


def totals(rows: list[GradeRow]) -> GradeRow:
    total = GradeRow(None, "")
    for row in rows:
        total.required += row.required
        total.without += row.without
        for grade, count in row.counts.items():
            total.counts[grade] += count
    return total


def without_grade(actor, page: int = 1, per_page: int = 25, today: date | None = None) -> Page:
    """Active enterprises that need a grade (standardization_required) and hold none in force."""
    today = today or local_today()
    scope = Scope(actor)
    held = select(Certificate.enterprise_id).where(_in_force(today))
    query = scope.enterprises().where(Enterprise.standardization_required.is_(True), Enterprise.status == "active",
                                      Enterprise.id.not_in(held))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    items = db.session.scalars(query.order_by(Enterprise.street_id, Enterprise.name, Enterprise.id)
                               .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(list(items), total, page, per_page)


def expiring(actor, days: int = EXPIRING_DAYS, today: date | None = None) -> list[Certificate]:
    today = today or local_today()
    return list(db.session.scalars(Scope(actor).certificates().options(selectinload(Certificate.enterprise))
                                   .where(_in_force(today), Certificate.expires_on <= today + timedelta(days=days))
                                   .order_by(Certificate.expires_on, Certificate.id)))


def flagged(actor) -> list[Certificate]:
    return list(db.session.scalars(Scope(actor).certificates().options(selectinload(Certificate.enterprise))
                                   .where(Certificate.status == "valid", Certificate.flagged_at.is_not(None))
                                   .order_by(Certificate.flagged_at, Certificate.id)))


def application_counts(actor) -> dict[str, int]:
    query = Scope(actor).assessments().where(Assessment.status.in_(OPEN_STATUSES)).subquery()
    return dict(db.session.execute(select(query.c.status, func.count()).group_by(query.c.status)).all())


def applications(actor, status: str | None = None, page: int = 1, per_page: int = 25) -> Page:
    query = Scope(actor).assessments()
    query = query.where(Assessment.status == status) if status else query.where(Assessment.status.in_(OPEN_STATUSES))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    items = db.session.scalars(query.options(selectinload(Assessment.enterprise), selectinload(Assessment.reviewer_user),
                                             selectinload(Assessment.reviewer_agency))
                               .order_by(Assessment.submitted_at.desc().nulls_last(), Assessment.id.desc())
                               .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(list(items), total, page, per_page)


def annual_overdue(actor, today: date | None = None, limit: int = 50) -> list[tuple[Certificate, date | None]]:
    """Certificates in force whose enterprise missed its yearly self-assessment: (certificate, last one)."""
    today = today or local_today()
    key = services.checklist_key()
    last = (select(ChecklistRun.enterprise_id, func.max(ChecklistRun.submitted_at).label("at"))
            .join(ChecklistRun.version).where(ChecklistRun.status == "submitted", ChecklistVersion.checklist_key == key)
            .group_by(ChecklistRun.enterprise_id).subquery())
    rows = db.session.execute(
        Scope(actor).certificates().add_columns(last.c.at).options(selectinload(Certificate.enterprise))
        .outerjoin(last, last.c.enterprise_id == Certificate.enterprise_id)
        .where(_in_force(today)).order_by(Certificate.id)).all()
    result = []
    for certificate, at in rows:
        submitted = to_local(at).date() if at else None
        basis = max(d for d in (submitted, certificate.issued_on) if d is not None)
        if next_due("yearly", basis, today) < today:
            result.append((certificate, submitted))
    return result[:limit]
