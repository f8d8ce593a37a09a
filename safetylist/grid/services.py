"""Grid responsibility (定人定岗定责): who is responsible for which grid, and changing it."""
from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from safetylist.audit.services import record
from safetylist.auth import roles
from safetylist.auth.scope import Scope
from safetylist.errors import PermissionDenied, ValidationFailed
from safetylist.extensions import db
from safetylist.grid.models import Grid, GridAssignment
from safetylist.timeutil import local_today


def staffed_grid_ids(on: date | None = None):
    """Subquery: grids with a responsible (primary) worker on the day."""
    day = on or local_today()
    return select(GridAssignment.grid_id).where(GridAssignment.current_on(day), GridAssignment.role == "primary")


def primary_grid_ids(user_id: int, on: date | None = None) -> set[int]:
    """The grids a worker is the responsible (not backup) worker of on the day."""
    day = on or local_today()
    return set(db.session.scalars(select(GridAssignment.grid_id).where(
        GridAssignment.user_id == user_id, GridAssignment.role == "primary", GridAssignment.current_on(day))))


def current_assignments(user_id: int, on: date | None = None) -> list[GridAssignment]:
    day = on or local_today()
    return list(db.session.scalars(
        select(GridAssignment).where(GridAssignment.user_id == user_id, GridAssignment.current_on(day))
        .join(Grid).order_by(Grid.code)))


def responsible_workers(grid_ids: list[int], on: date | None = None) -> dict[int, object]:
    """{grid id: primary worker} on the day, in one query."""
    day = on or local_today()
    rows = db.session.scalars(select(GridAssignment).options(joinedload(GridAssignment.user)).where(
        GridAssignment.grid_id.in_(grid_ids), GridAssignment.role == "primary", GridAssignment.current_on(day)))
    return {row.grid_id: row.user for row in rows}


def backup_workers(grid_ids: list[int], on: date | None = None) -> dict[int, list]:
    """{grid id: [backup workers]} on the day, in one query."""
    day = on or local_today()
    found: dict[int, list] = {}
    for row in db.session.scalars(select(GridAssignment).options(joinedload(GridAssignment.user)).where(
            GridAssignment.grid_id.in_(grid_ids), GridAssignment.role == "backup", GridAssignment.current_on(day))
            .order_by(GridAssignment.id)):
        found.setdefault(row.grid_id, []).append(row.user)
    return found


def assign_grids(actor, worker, grid_ids: list[int], starts_on: date | None = None,
                 backup_grid_ids: list[int] | None = None) -> list[GridAssignment]:
    """Make `worker` the responsible worker of exactly these grids from `starts_on`, and (if given)
    a backup (备岗) for exactly `backup_grid_ids`.

    A grid has one responsible worker at a time: taking a grid over ends the previous
    worker's assignment the day before; grids no longer listed are released. A grid may have
    several backups. History stays.
    """
    scope = Scope(actor)
    if not scope.can_assign_grids():
        raise PermissionDenied(_("You may not assign grid workers."))
    if worker.role != roles.GRID_WORKER:
        raise ValidationFailed({"user": _("Only grid workers can be responsible for grids.")})
    day = starts_on or local_today()
    allowed = set(db.session.scalars(scope.grids().with_only_columns(Grid.id)))
    wanted, backups = set(grid_ids), set(backup_grid_ids or ())
    if (wanted | backups) - allowed:
        raise ValidationFailed({"grids": _("Some chosen grids are outside your area.")})
    if wanted & backups:
        raise ValidationFailed({"backup_grids": _("A worker is either responsible for a grid or its backup, not both.")})
    created = _sync(worker, "primary", wanted, allowed, day)
    if backup_grid_ids is not None:
        created += _sync(worker, "backup", backups, allowed, day)
    db.session.flush()
    details = {"grid_ids": sorted(wanted), "starts_on": day.isoformat()}
    if backup_grid_ids is not None:
        details["backup_grid_ids"] = sorted(backups)
    record(actor, "grids_assigned", worker, **details)
    db.session.commit()
    return created


def _held(worker, role: str, day: date) -> list[GridAssignment]:
    return list(db.session.scalars(select(GridAssignment).where(
        GridAssignment.current_on(day), GridAssignment.role == role, GridAssignment.user_id == worker.id)))


def _sync(worker, role: str, wanted: set[int], allowed: set[int], day: date) -> list[GridAssignment]:
    """Make the worker's current `role` assignments exactly `wanted` (within `allowed`).

    For the primary role, also end whoever else is responsible for a wanted grid."""
    condition = GridAssignment.user_id == worker.id
    if role == "primary":
        condition = condition | GridAssignment.grid_id.in_(wanted)
    current = db.session.scalars(select(GridAssignment).where(
        GridAssignment.current_on(day), GridAssignment.role == role, condition)).all()
    kept = set()
    for assignment in current:
        if assignment.user_id == worker.id and assignment.grid_id in wanted:
            kept.add(assignment.grid_id)
        elif assignment.user_id == worker.id and assignment.grid_id not in allowed:
            continue  # another street's grid: not this actor's to release
        else:
            _end(assignment, day)
    if role == "primary":  # a worker who becomes responsible stops being the grid's backup
        for assignment in _held(worker, "backup", day):
            if assignment.grid_id in wanted:
                _end(assignment, day)
    created = []
    for grid_id in sorted(wanted - kept):
        assignment = GridAssignment(grid_id=grid_id, user_id=worker.id, role=role, starts_on=day)
        db.session.add(assignment)
        created.append(assignment)
    return created


def _end(assignment: GridAssignment, day: date) -> None:
    """End an assignment before `day`; one that had not started yet is simply removed."""
    if assignment.starts_on >= day:
        db.session.delete(assignment)
    else:
        assignment.ends_on = day - timedelta(days=1)
