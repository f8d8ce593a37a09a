"""Extra site inspections a regulator orders (督办检查, 专项检查): for one enterprise, or for every
enterprise of a sector and/or street in a campaign. They bring the enterprises' due dates forward
in the grid workers' lists until an inspection is submitted after the order was made."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from safetylist.audit.services import record
from safetylist.auth import roles
from safetylist.auth.scope import Scope
from safetylist.errors import DomainError, PermissionDenied, ValidationFailed
from safetylist.extensions import db
from safetylist.grid.models import InspectionOrder
from safetylist.registry.models import Enterprise, Sector
from safetylist.timeutil import local_today, utcnow

MAX_TITLE = 120


def open_orders() -> list[InspectionOrder]:
    """Orders not cancelled (one query); which enterprises still owe one is decided per enterprise."""
    return list(db.session.scalars(select(InspectionOrder).where(InspectionOrder.cancelled_at.is_(None))
                                   .order_by(InspectionOrder.due_on, InspectionOrder.id)))


def pending_for(orders: list[InspectionOrder], enterprise, last_inspected_at) -> list[InspectionOrder]:
    """The orders an enterprise still owes: it is covered and not inspected since the order was made."""
    return [order for order in orders if order.covers(enterprise)
            and (last_inspected_at is None or last_inspected_at < order.created_at)]


def order_inspection(actor, title: str, due_on: date | None, enterprise: Enterprise | None = None,
                     sector_id: int | None = None, street_id: int | None = None) -> InspectionOrder:
    """Order an extra inspection. A street regulator's orders stay inside their street."""
    scope = Scope(actor)
    if not scope.can_order_inspections():
        raise PermissionDenied(_("You may not order inspections."))
    errors: dict[str, str] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = _("Give the reason or the campaign's name.")
    elif len(title) > MAX_TITLE:
        errors["title"] = _("At most %(n)d characters.", n=MAX_TITLE)
    if due_on is None:
        errors["due_on"] = _("Choose the date by which the inspection is due.")
    elif due_on < local_today():
        errors["due_on"] = _("The due date cannot be in the past.")
    if enterprise is not None:
        if db.session.scalar(scope.enterprises().with_only_columns(Enterprise.id)
                             .where(Enterprise.id == enterprise.id)) is None:
            raise PermissionDenied(_("This enterprise is outside your area."))
        # An order for one enterprise is kept with its street, so the street regulator sees it.
        sector_id, street_id = None, enterprise.street_id
    else:
        if actor.role == roles.STREET_REGULATOR:
            street_id = actor.street_id  # a street's campaign covers its own street only
        if sector_id is None and street_id is None:
            errors["target"] = _("Choose an enterprise, a sector or a street.")
        if sector_id is not None and db.session.get(Sector, sector_id) is None:
            errors["sector_id"] = _("No such sector.")
        if street_id is not None and street_id not in _street_ids(scope):
            errors["street_id"] = _("This street is outside your area.")
    if errors:
        raise ValidationFailed(errors)
    order = InspectionOrder(title=title, due_on=due_on, enterprise_id=enterprise.id if enterprise else None,
                            sector_id=sector_id, street_id=street_id, ordered_by_id=actor.id)
    db.session.add(order)
    db.session.flush()
    record(actor, "inspection_ordered", order, title=title, due_on=due_on.isoformat(),
           enterprise_id=order.enterprise_id, sector_id=sector_id, street_id=street_id)
    db.session.commit()
    return order


def _street_ids(scope: Scope) -> set[int]:
    from safetylist.registry.models import Street
    return set(db.session.scalars(scope.streets().with_only_columns(Street.id)))


def cancel_order(actor, order: InspectionOrder) -> None:
    if not Scope(actor).can_cancel_order(order):
        raise PermissionDenied(_("Only who ordered it, or the district, may cancel this order."))
    if order.cancelled_at is not None:
        raise DomainError(_("This order was already cancelled."))
    order.cancelled_at = utcnow()
    record(actor, "inspection_order_cancelled", order)
    db.session.commit()


@dataclass(frozen=True)
class OrderProgress:
    order: InspectionOrder
    enterprises: int  # covered, active, in the viewer's scope
    done: int  # of those, inspected since the order was made

    @property
    def overdue(self) -> bool:
        return self.done < self.enterprises and self.order.due_on < local_today()


def orders_with_progress(actor, include_cancelled: bool = False) -> list[OrderProgress]:
    """The orders the actor may see, newest first, each with how many enterprises in the actor's
    scope it covers and how many were inspected since. Three queries."""
    from safetylist.grid.inspections import last_inspections
    scope = Scope(actor)
    query = scope.inspection_orders().order_by(InspectionOrder.created_at.desc(), InspectionOrder.id.desc())
    if not include_cancelled:
        query = query.where(InspectionOrder.cancelled_at.is_(None))
    orders = db.session.scalars(query).all()
    if not orders:
        return []
    enterprises = db.session.execute(
        scope.enterprises().with_only_columns(Enterprise.id, Enterprise.sector_id, Enterprise.street_id)
        .where(Enterprise.status == "active")).all()
    last = last_inspections([e.id for e in enterprises])
    progress = []
    for order in orders:
        covered = [e for e in enterprises if order.covers(e)]
        done = sum(1 for e in covered if e.id in last and last[e.id][0] >= order.created_at)
        progress.append(OrderProgress(order, len(covered), done))
    return progress
