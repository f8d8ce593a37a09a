"""The one place that decides what a user may see and touch.

Every query for scoped data starts from a `Scope`: views, exports, imports, PDFs,
API endpoints and tasks alike. Objects outside the scope answer 404, never 403,
so their existence is not revealed.
"""
from __future__ import annotations

from datetime import date

from flask import abort
from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.sql import Select

from safetylist.auth import roles
from safetylist.extensions import db
from safetylist.grid.models import Grid, GridAssignment
from safetylist.registry.models import Community, Enterprise, Street
from safetylist.timeutil import local_today

# Fields an enterprise's own safety officer may not change: the regulator decides them.
REGULATOR_FIELDS = frozenset({"credit_code", "street_id", "community_id", "grid_id", "risk_level",
                              "status", "key_enterprise", "standardization_required", "filed_on"})


def current_grid_ids(user_id: int, on: date | None = None):
    """Subquery of the grids a grid worker is responsible for on a day (primary or backup)."""
    day = on or local_today()
    return select(GridAssignment.grid_id).where(GridAssignment.user_id == user_id, GridAssignment.current_on(day))


class Scope:
    """What `user` may see. Build one per request with `Scope(current_user)`."""

    def __init__(self, user, on: date | None = None):
        self.user = user
        self.role = getattr(user, "role", None)
        self.on = on

    # --- enterprises -------------------------------------------------------------------
    def enterprise_filter(self) -> ColumnElement[bool]:
        if self.role in (roles.ADMIN, roles.DISTRICT_REGULATOR):
            return true()
        if self.role == roles.STREET_REGULATOR:
            return Enterprise.street_id == self.user.street_id
        if self.role == roles.GRID_WORKER:
            return Enterprise.grid_id.in_(current_grid_ids(self.user.id, self.on))
        if self.role == roles.OFFICER:
            return Enterprise.id == self.user.enterprise_id
        return false()  # agency staff see enterprises only through their projects (agencies issue)

    def enterprises(self) -> Select:
        return select(Enterprise).where(self.enterprise_filter())

    def get_enterprise(self, enterprise_id: int) -> Enterprise:
        """The enterprise if in scope, else 404."""
        enterprise = db.session.scalars(
            self.enterprises().where(Enterprise.id == enterprise_id)).first()
        if enterprise is None:
            abort(404)
        return enterprise

    def can_see_enterprises(self) -> bool:
        return self.role != roles.AGENCY_STAFF

    def can_create_enterprise(self) -> bool:
        return self.role in (roles.ADMIN, roles.DISTRICT_REGULATOR, roles.STREET_REGULATOR)

    def can_import(self) -> bool:
        return self.can_create_enterprise()

    def can_edit_enterprise(self, enterprise: Enterprise) -> bool:
        # Officers file (建档) and keep their own enterprise's record current.
        return self.role in (roles.ADMIN, roles.DISTRICT_REGULATOR, roles.STREET_REGULATOR, roles.OFFICER) \
            and self.covers_street(enterprise.street_id) \
            and (self.role != roles.OFFICER or enterprise.id == self.user.enterprise_id)

    def locked_fields(self) -> frozenset[str]:
        """Enterprise fields this user sees but may not change."""
        return REGULATOR_FIELDS if self.role == roles.OFFICER else frozenset()

    def covers_street(self, street_id: int | None) -> bool:
        """May this user place or keep an enterprise in that street?"""
        if self.role in (roles.ADMIN, roles.DISTRICT_REGULATOR):
            return True
        if self.role == roles.STREET_REGULATOR:
            return street_id == self.user.street_id
        return self.role == roles.OFFICER

    # --- checklist runs and hazards ---------------------------------------------------------
    def _party_filter(self, enterprise_col, agency_col) -> ColumnElement[bool]:
        """Rows that belong to an enterprise in scope, or to an agency this user answers for."""
        if self.role == roles.AGENCY_STAFF:
            return agency_col == self.user.agency_id
        in_scope = enterprise_col.in_(select(Enterprise.id).where(self.enterprise_filter()))
        if self.role in (roles.ADMIN, roles.DISTRICT_REGULATOR):
            return true()  # agencies are supervised by the district
        return in_scope

    def _unfinished_spot_check(self, run_col) -> ColumnElement[bool]:
        """A spot check's run still being inspected: its agency must not see it (nor which project is
        being checked) until it is submitted."""
        from safetylist.agencies.models import SpotCheck
        from safetylist.checklists.models import ChecklistRun
        return run_col.in_(select(SpotCheck.run_id).join(ChecklistRun, ChecklistRun.id == SpotCheck.run_id)
                           .where(ChecklistRun.status != "submitted"))

    def runs(self) -> Select:
        from safetylist.checklists.models import ChecklistRun
        query = select(ChecklistRun).where(self._party_filter(ChecklistRun.enterprise_id, ChecklistRun.agency_id))
        if self.role == roles.AGENCY_STAFF:
            query = query.where(~self._unfinished_spot_check(ChecklistRun.id))
        return query

    def get_run(self, run_id: int):
        from safetylist.checklists.models import ChecklistRun
        run = db.session.scalars(self.runs().where(ChecklistRun.id == run_id)).first()
        if run is None:
            abort(404)
        return run

    def hazards(self) -> Select:
        from safetylist.remediation.models import Hazard
        return select(Hazard).where(self._party_filter(Hazard.enterprise_id, Hazard.agency_id))

    def photos(self) -> Select:
        """Photos of the runs in scope: a photo belongs to its run's enterprise or agency."""
        from safetylist.photos.models import Photo
        query = select(Photo).where(self._party_filter(Photo.enterprise_id, Photo.agency_id))
        if self.role == roles.AGENCY_STAFF:
            query = query.where(Photo.run_id.is_(None) | ~self._unfinished_spot_check(Photo.run_id))
        return query

    # --- the district map --------------------------------------------------------------
    def streets(self) -> Select:
        """Streets offered in filters and forms."""
        query = select(Street).order_by(Street.id)
        if self.role == roles.STREET_REGULATOR:
            return query.where(Street.id == self.user.street_id)
        if self.role in (roles.ADMIN, roles.DISTRICT_REGULATOR):
            return query
        # Officers and grid workers: only the streets their enterprises are in.
        return query.where(Street.id.in_(select(Enterprise.street_id).where(self.enterprise_filter())))

    def grids(self) -> Select:
        query = select(Grid).join(Community)
        if self.role in (roles.ADMIN, roles.DISTRICT_REGULATOR):
            return query
        if self.role == roles.STREET_REGULATOR:
            return query.where(Community.street_id == self.user.street_id)
        if self.role == roles.GRID_WORKER:
            return query.where(Grid.id.in_(current_grid_ids(self.user.id, self.on)))
        return query.where(false())

    # --- regulator-ordered inspections ---------------------------------------------------
    def can_order_inspections(self) -> bool:
        return self.role in (roles.ADMIN, roles.DISTRICT_REGULATOR, roles.STREET_REGULATOR)

    def inspection_orders(self) -> Select:
        """Orders this user may list: the district's all; a street's those for its street or district-wide."""
        from safetylist.grid.models import InspectionOrder
        query = select(InspectionOrder)
        if self.role in (roles.ADMIN, roles.DISTRICT_REGULATOR):
            return query
        if self.role == roles.STREET_REGULATOR:
            return query.where((InspectionOrder.street_id == self.user.street_id) | InspectionOrder.street_id.is_(None))
        return query.where(false())

    def get_inspection_order(self, order_id: int):
        from safetylist.grid.models import InspectionOrder
        order = db.session.scalars(self.inspection_orders().where(InspectionOrder.id == order_id)).first()
        if order is None:
            abort(404)
        return order

    def can_cancel_order(self, order) -> bool:
        """The district may cancel any order; a street regulator only the orders they made."""
        return self.role in (roles.ADMIN, roles.DISTRICT_REGULATOR) or \
            (self.role == roles.STREET_REGULATOR and order.ordered_by_id == self.user.id)

    # --- rectification notices (责令限期整改通知书) -----------------------------------------
    def can_issue_notices(self) -> bool:
        """Street and district regulators issue notices, in their unit's name."""
        return self.role in (roles.STREET_REGULATOR, roles.DISTRICT_REGULATOR)

    def notices(self) -> Select:
        """Notices to enterprises in scope: whoever sees the enterprise sees the notices it was given."""
        from safetylist.remediation.models import RectificationNotice
        return select(RectificationNotice).where(
            RectificationNotice.enterprise_id.in_(select(Enterprise.id).where(self.enterprise_filter())))

    def get_notice(self, notice_id: int):
        from safetylist.remediation.models import RectificationNotice
        notice = db.session.scalars(self.notices().where(RectificationNotice.id == notice_id)).first()
        if notice is None:
            abort(404)
        return notice

    # --- accidents and interviews (约谈) ----------------------------------------------------
    def _area_filter(self, street_col, enterprise_col) -> ColumnElement[bool]:
        """Rows of an area: district-wide roles all; a street regulator their street's; officers and
        grid workers only rows about an enterprise they see; agency staff none."""
        if self.role in (roles.ADMIN, roles.DISTRICT_REGULATOR):
            return true()
        if self.role == roles.STREET_REGULATOR:
            return street_col == self.user.street_id
        if self.role in (roles.OFFICER, roles.GRID_WORKER):
            return enterprise_col.in_(select(Enterprise.id).where(self.enterprise_filter()))
        return false()

    def accidents(self) -> Select:
        from safetylist.interviews.models import Accident
        return select(Accident).where(self._area_filter(Accident.street_id, Accident.enterprise_id))

    def get_accident(self, accident_id: int):
        from safetylist.interviews.models import Accident
        accident = db.session.scalars(self.accidents().where(Accident.id == accident_id)).first()
        if accident is None:
            abort(404)
        return accident

    def can_record_accidents(self) -> bool:
        """Regulators enter and import accidents (a street regulator for their street only)."""
        return self.role in (roles.ADMIN, roles.DISTRICT_REGULATOR, roles.STREET_REGULATOR)

    def interviews(self) -> Select:
        """A street's interviews are its own and those of its enterprises; district-wide ones
        (street_id empty, e.g. a sector authority) are for district roles."""
        from safetylist.interviews.models import Interview
        if self.role == roles.STREET_REGULATOR:
            return select(Interview).where(
                (Interview.street_id == self.user.street_id)
                | Interview.enterprise_id.in_(select(Enterprise.id).where(self.enterprise_filter())))
        return select(Interview).where(self._area_filter(Interview.street_id, Interview.enterprise_id))

    def get_interview(self, interview_id: int):
        from safetylist.interviews.models import Interview
        interview = db.session.scalars(self.interviews().where(Interview.id == interview_id)).first()
        if interview is None:
            abort(404)
        return interview

    def can_see_interview_suggestions(self) -> bool:
        """Whom to summon, and the interview counts: street and district regulators' decisions."""
        return self.role in roles.REGULATORS

    def can_plan_interviews(self) -> bool:
        """Street and district regulators summon enterprises (a street only its own); admins help."""
        return self.role in (roles.ADMIN, roles.DISTRICT_REGULATOR, roles.STREET_REGULATOR)

    def can_view_library(self) -> bool:
        """The checklist library (what is asked, scored and set in motion) is for regulators and admins."""
        return self.role in (roles.ADMIN, roles.DISTRICT_REGULATOR, roles.STREET_REGULATOR)

    def can_view_coverage(self) -> bool:
        """Inspection coverage by community and grid worker: a regulator's view of their area."""
        return self.role in (roles.ADMIN, roles.DISTRICT_REGULATOR, roles.STREET_REGULATOR)

    # --- standardization (安全生产标准化) ------------------------------------------------------
    def assessments(self) -> Select:
        """Applications for a grade: of the enterprises in scope; an agency sees those assigned to it
        for review (and through them the enterprise's evidence), nothing else."""
        from safetylist.standardization.models import Assessment
        if self.role == roles.AGENCY_STAFF:
            return select(Assessment).where(Assessment.reviewer_agency_id == self.user.agency_id)
        return select(Assessment).where(
            Assessment.enterprise_id.in_(select(Enterprise.id).where(self.enterprise_filter())))

    def get_assessment(self, assessment_id: int):
        from safetylist.standardization.models import Assessment
        assessment = db.session.scalars(self.assessments().where(Assessment.id == assessment_id)).first()
        if assessment is None:
            abort(404)
        return assessment

    def certificates(self) -> Select:
        """Certificates of the enterprises in scope; agency staff see none."""
        from safetylist.standardization.models import Certificate
        return select(Certificate).where(
            Certificate.enterprise_id.in_(select(Enterprise.id).where(self.enterprise_filter())))

    def get_certificate(self, certificate_id: int):
        from safetylist.standardization.models import Certificate
        certificate = db.session.scalars(self.certificates().where(Certificate.id == certificate_id)).first()
        if certificate is None:
            abort(404)
        return certificate

    def can_view_standardization_overview(self) -> bool:
        """Grades by street and sector, enterprises without one, certificates expiring, applications: for
        regulators over their area, and grid workers over their grids' enterprises (read only)."""
        return self.role in (roles.ADMIN, roles.DISTRICT_REGULATOR, roles.STREET_REGULATOR, roles.GRID_WORKER)

    def can_assign_reviewers(self) -> bool:
        """The district assigns each application to a reviewer (a district regulator or an agency)."""
        return self.role in (roles.ADMIN, roles.DISTRICT_REGULATOR)

    def can_decide_grades(self) -> bool:
        """Granting, refusing, downgrading and revoking a grade is the district bureau's decision."""
        return self.role == roles.DISTRICT_REGULATOR

    # --- safety evaluation agencies (安全评价机构) ----------------------------------------------
    def agencies(self) -> Select:
        """The registry: regulators (and admins) see every agency working in the district; agency staff
        their own; nobody else."""
        from safetylist.agencies.models import Agency
        if self.role == roles.AGENCY_STAFF:
            return select(Agency).where(Agency.id == self.user.agency_id)
        if self.role in (roles.ADMIN, roles.DISTRICT_REGULATOR, roles.STREET_REGULATOR):
            return select(Agency)
        return select(Agency).where(false())

    def get_agency(self, agency_id: int):
        from safetylist.agencies.models import Agency
        agency = db.session.scalars(self.agencies().where(Agency.id == agency_id)).first()
        if agency is None:
            abort(404)
        return agency

    def can_see_agencies(self) -> bool:
        return self.role in (roles.ADMIN, roles.DISTRICT_REGULATOR, roles.STREET_REGULATOR, roles.AGENCY_STAFF)

    def can_manage_agencies(self) -> bool:
        """Registering agencies and their qualifications is the district bureau's (and admins')."""
        return self.role in (roles.ADMIN, roles.DISTRICT_REGULATOR)

    def can_edit_agency_staff(self, agency) -> bool:
        """Evaluators are kept current by the district, or by the agency itself."""
        return self.can_manage_agencies() or \
            (self.role == roles.AGENCY_STAFF and agency.id == self.user.agency_id)

    def projects(self) -> Select:
        """Evaluation projects: agency staff their agency's; everyone else those of the enterprises they
        see (the district all, a street its street's, an officer their own enterprise's)."""
        from safetylist.agencies.models import EvaluationProject
        if self.role == roles.AGENCY_STAFF:
            return select(EvaluationProject).where(EvaluationProject.agency_id == self.user.agency_id)
        return select(EvaluationProject).where(
            EvaluationProject.enterprise_id.in_(select(Enterprise.id).where(self.enterprise_filter())))

    def project_enterprises(self) -> Select:
        """Enterprises a project may be recorded for: an agency serves any enterprise of the district
        (naming it by its credit code, so it learns nothing it did not know); others their own scope."""
        if self.role == roles.AGENCY_STAFF:
            return select(Enterprise)
        return self.enterprises()

    def get_project(self, project_id: int):
        from safetylist.agencies.models import EvaluationProject
        project = db.session.scalars(self.projects().where(EvaluationProject.id == project_id)).first()
        if project is None:
            abort(404)
        return project

    def can_record_projects(self, agency) -> bool:
        """An agency enters (or imports) its own projects; the district may for any agency."""
        return self.can_edit_agency_staff(agency)

    def can_spot_check(self) -> bool:
        """Drawing projects and inspecting them is the district bureau's supervision of agencies."""
        return self.role == roles.DISTRICT_REGULATOR

    def spot_check_draws(self) -> Select:
        from safetylist.agencies.models import SpotCheckDraw
        district = self.role in (roles.ADMIN, roles.DISTRICT_REGULATOR)
        return select(SpotCheckDraw).where(true() if district else false())

    def get_spot_check_draw(self, draw_id: int):
        from safetylist.agencies.models import SpotCheckDraw
        draw = db.session.scalars(self.spot_check_draws().where(SpotCheckDraw.id == draw_id)).first()
        if draw is None:
            abort(404)
        return draw

    def spot_checks(self) -> Select:
        """The district sees every spot check; an agency the finished ones of its own projects (their
        findings are its hazards to rectify), not which projects are about to be checked."""
        from safetylist.agencies.models import SpotCheck
        from safetylist.checklists.models import ChecklistRun
        if self.role in (roles.ADMIN, roles.DISTRICT_REGULATOR):
            return select(SpotCheck)
        if self.role == roles.AGENCY_STAFF:
            return select(SpotCheck).where(SpotCheck.agency_id == self.user.agency_id, SpotCheck.run_id.in_(
                select(ChecklistRun.id).where(ChecklistRun.status == "submitted")))
        return select(SpotCheck).where(false())

    def get_spot_check(self, spot_check_id: int):
        from safetylist.agencies.models import SpotCheck
        spot_check = db.session.scalars(self.spot_checks().where(SpotCheck.id == spot_check_id)).first()
        if spot_check is None:
            abort(404)
        return spot_check

    def can_call_self_checks(self) -> bool:
        return self.role == roles.DISTRICT_REGULATOR

    # --- the regulators' overview -----------------------------------------------------------
    def can_view_dashboard(self) -> bool:
        """The district (or a street) at a glance: for regulators over their area, and admins."""
        return self.role in (roles.ADMIN, roles.DISTRICT_REGULATOR, roles.STREET_REGULATOR)

    # --- accounts ----------------------------------------------------------------------
    def can_manage_users(self) -> bool:
        return self.role == roles.ADMIN

    def can_assign_grids(self) -> bool:
        return self.role in (roles.ADMIN, roles.STREET_REGULATOR)

    def users(self) -> Select:
        """Accounts this user may list and manage: admins all, street regulators their street's grid workers."""
        from safetylist.auth.models import User
        if self.role == roles.ADMIN:
            return select(User)
        if self.role == roles.STREET_REGULATOR:
            return select(User).where(User.role == roles.GRID_WORKER, User.street_id == self.user.street_id)
        return select(User).where(false())

    def get_user(self, user_id: int):
        from safetylist.auth.models import User
        user = db.session.scalars(self.users().where(User.id == user_id)).first()
        if user is None:
            abort(404)
        return user

    # --- notifications (通知) ---------------------------------------------------------------
    def notifications(self) -> Select:
        """The user's own inbox: nobody, not even an administrator, reads another user's notifications."""
        from safetylist.notify.models import Notification
        return select(Notification).where(Notification.user_id == getattr(self.user, "id", None))

    def get_notification(self, notification_id: int):
        from safetylist.notify.models import Notification
        notification = db.session.scalars(self.notifications().where(Notification.id == notification_id)).first()
        if notification is None:
            abort(404)
        return notification

    def can_view_deliveries(self) -> bool:
        """Deliveries name every recipient's address and the channels' errors: administrators only."""
        return self.role == roles.ADMIN

    def can_view_outbox(self) -> bool:
        """The development outbox holds everyone's e-mails: administrators only."""
        return self.role == roles.ADMIN

    def deliveries(self) -> Select:
        from safetylist.notify.models import Delivery
        return select(Delivery).where(true() if self.can_view_deliveries() else false())

    def get_delivery(self, delivery_id: int):
        from safetylist.notify.models import Delivery
        delivery = db.session.scalars(self.deliveries().where(Delivery.id == delivery_id)).first()
        if delivery is None:
            abort(404)
        return delivery

    def outbox(self) -> Select:
        from safetylist.notify.models import OutboxMessage
        return select(OutboxMessage).where(true() if self.can_view_outbox() else false())
