"""Who receives a reminder: the `to:` names of data/reminders.yaml resolved to active users, for a
whole batch of items in one query per kind of recipient."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select

from safetylist.auth import roles
from safetylist.auth.models import User
from safetylist.extensions import db
from safetylist.notify.sources import Item


def _ids_by(column, values: set, role: str) -> dict[int, list[int]]:
    if not values:
        return {}
    found: dict[int, list[int]] = defaultdict(list)
    for user_id, key in db.session.execute(select(User.id, column).where(
            column.in_(values), User.role == role, User.active.is_(True)).order_by(User.id)):
        found[key].append(user_id)
    return found


def resolve(items: list[Item], audiences: list[str], today: date) -> list[list[int]]:
    """For each item, the ids of the users to notify (each once, in a stable order)."""
    from safetylist.grid.services import responsible_workers
    wanted = set(audiences)
    enterprises = {i.enterprise_id for i in items if i.enterprise_id}
    agencies = {i.agency_id for i in items if i.agency_id}
    streets = {i.street_id for i in items if i.street_id}
    officers = _ids_by(User.enterprise_id, enterprises, roles.OFFICER) \
        if wanted & {"enterprise_officers", "responsible_party"} else {}
    staff = _ids_by(User.agency_id, agencies, roles.AGENCY_STAFF) \
        if wanted & {"agency_staff", "responsible_party", "reviewer"} else {}
    street_regulators = _ids_by(User.street_id, streets, roles.STREET_REGULATOR) \
        if wanted & {"street_regulators", "escalation_level"} else {}
    district = list(db.session.scalars(select(User.id).where(
        User.role == roles.DISTRICT_REGULATOR, User.active.is_(True)).order_by(User.id))) \
        if wanted & {"district_regulators", "escalation_level"} else []
    workers = {grid: user.id for grid, user in responsible_workers(
        list({i.grid_id for i in items if i.grid_id}), today).items() if user.active} \
        if "grid_workers" in wanted else {}
    named = {i.supervisor_id for i in items if i.supervisor_id} | {i.user_id for i in items if i.user_id}
    active = set(db.session.scalars(select(User.id).where(User.id.in_(named), User.active.is_(True)))) \
        if named else set()

    result = []
    for item in items:
        users: list[int] = []
        for audience in audiences:
            if audience == "responsible_party":
                users += officers.get(item.enterprise_id, []) if item.enterprise_id else staff.get(item.agency_id, [])
            elif audience == "enterprise_officers":
                users += officers.get(item.enterprise_id, [])
            elif audience == "agency_staff":
                users += staff.get(item.agency_id, [])
            elif audience == "street_regulators":
                users += street_regulators.get(item.street_id, [])
            elif audience == "district_regulators":
                users += district
            elif audience == "escalation_level":
                users += street_regulators.get(item.street_id, []) if item.level == "street" else district
            elif audience == "grid_workers":
                users += [workers[item.grid_id]] if item.grid_id in workers else []
            elif audience == "supervisor":
                users += [item.supervisor_id] if item.supervisor_id in active else []
            elif audience == "reviewer":  # a named reviewer, else the staff of the reviewing agency
                users += [item.user_id] if item.user_id in active else staff.get(item.agency_id, []) \
                    if item.user_id is None else []
            elif audience in ("self", "organizer"):  # the person the item names: a digest's reader, an organiser
                users += [item.user_id] if item.user_id in active else []
        result.append(list(dict.fromkeys(users)))
    return result
