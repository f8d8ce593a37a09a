"""An enterprise's accidents, interviews and open commitments (约谈承诺), as its page shows them:
what the actor's scope lets them see, in three queries whatever their number."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func

from safetylist.auth.scope import Scope
from safetylist.extensions import db
from safetylist.interviews.models import Accident, Interview
from safetylist.registry.models import Enterprise
from safetylist.remediation.models import ACTIVE_STATUSES, Hazard


@dataclass(frozen=True)
class EnterpriseRecord:
    accidents: list[Accident]     # latest first
    interviews: list[Interview]   # latest first
    commitments: list[Hazard]     # still to be fulfilled, earliest deadline first

    def __bool__(self) -> bool:
        return bool(self.accidents or self.interviews or self.commitments)


def enterprise_record(actor, enterprise: Enterprise) -> EnterpriseRecord:
    scope = Scope(actor)
    accidents = db.session.scalars(scope.accidents().where(Accident.enterprise_id == enterprise.id)
                                   .order_by(Accident.occurred_at.desc(), Accident.id.desc())).all()
    interviews = db.session.scalars(scope.interviews().where(Interview.enterprise_id == enterprise.id)
                                    .order_by(func.coalesce(Interview.held_at, Interview.planned_at).desc(),
                                              Interview.id.desc())).all()
    commitments = db.session.scalars(scope.hazards().where(
        Hazard.enterprise_id == enterprise.id, Hazard.interview_id.is_not(None), Hazard.status.in_(ACTIVE_STATUSES))
        .order_by(Hazard.deadline, Hazard.id)).all()
    return EnterpriseRecord(list(accidents), list(interviews), list(commitments))
