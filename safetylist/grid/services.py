"""Grid responsibility (定人定岗定责): who is responsible for which grid, and changing it."""
from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from safetylist.audit.services import record
from safetylist.auth import roles
from safetylist.auth.scope import Scope
from safetylist.errors import PermissionDenied, ValidationFailed
from safetylist.extensions import db
from safetylist.grid.models import Grid, GridAssignment
from safetylist.timeutil import local_today


def _current(day: date):
    return (GridAssignment.starts_on <= day) & (GridAssignment.ends_on.is_(None) | (GridAssignment.ends_on >= day))


def staffed_grid_ids(on: date | None = None):
    """Subquery: grids with a responsible (primary) worker on the day."""
    day = on or local_today()
    return select(GridAssignment.grid_id).where(_current(day), GridAssignment.role == "primary")


def current_assignments(user_id: int, on: date | None = None) -> list[GridAssignment]:
    day = on or local_today()
    return list(db.session.scalars(
        select(GridAssignment).where(GridAssignment.user_id == user_id, _current(day))
        .join(Grid).order_by(Grid.code)))


def responsible_workers(grid_ids: list[int], on: date | None = None) -> dict[int, object]:
    """{grid id: primary worker} on the day, in one query."""
    day = on or local_today()
    rows = db.session.scalars(select(GridAssignment).where(
        GridAssignment.grid_id.in_(grid_ids), GridAssignment.role == "primary", _current(day)))
    return {row.grid_id: row.user for row in rows}


def assign_grids(actor, worker, grid_ids: list[int], starts_on: date | None = None) -> list[GridAssignment]:
    """Make `worker` the responsible worker of exactly these grids from `starts_on`.

    A grid has one responsible worker at a time: taking a grid over ends the previous
    worker's assignment the day before; grids no longer listed are released. History stays.
    """
    scope = Scope(actor)
    if not scope.can_assign_grids():
        raise PermissionDenied(_("You may not assign grid workers."))
    if worker.role != roles.GRID_WORKER:
        raise ValidationFailed({"user": _("Only grid workers can be responsible for grids.")})
    day = starts_on or local_today()
    allowed = set(db.session.scalars(scope.grids().with_only_columns(Grid.id)))
    wanted = set(grid_ids)
    outside = wanted - allowed
    if outside:
        raise ValidationFailed({"grids": _("Some chosen grids are outside your area.")})
    current = db.session.scalars(select(GridAssignment).where(
        _current(day), GridAssignment.role == "primary",
        (GridAssignment.user_id == worker.id) | GridAssignment.grid_id.in_(wanted))).all()
    kept = set()
    for assignment in current:
        if assignment.user_id == worker.id and assignment.grid_id in wanted:
            kept.add(assignment.grid_id)
            continue
        if assignment.user_id == worker.id and assignment.grid_id not in allowed:
            continue  # another street's grid: not this actor's to release
        _end(assignment, day)
    created = []
    for grid_id in sorted(wanted - kept):
        assignment = GridAssignment(grid_id=grid_id, user_id=worker.id, role="primary", starts_on=day)
        db.session.add(assignment)
        created.append(assignment)
    db.session.flush()
    record(actor, "grids_assigned", worker, grid_ids=sorted(wanted), starts_on=day.isoformat())
    db.session.commit()
    return created


def _end(assignment: GridAssignment, day: date) -> None:
    """End an assignment before `day`; one that had not started yet is simply removed."""
    if assignment.starts_on >= day:
        db.session.delete(assignment)
    else:
        assignment.ends_on = day - timedelta(days=1)
