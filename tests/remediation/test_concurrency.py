"""Two people acting on one hazard at once: exactly one succeeds, the other is told what changed."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, update

from safetylist.errors import StaleObject
from safetylist.remediation import services
from safetylist.remediation.models import Hazard, HazardEvent
from tests.remediation.test_loop import make_hazard


def test_a_change_committed_meanwhile_makes_the_slower_action_fail(world, db):
    hazard = make_hazard(db, world["e_a1"])
    services.submit_rectification(world["officer"], hazard, "已整改")
    # Another request verifies it through its own connection after this one loaded the hazard.
    with db.engine.begin() as other:
        other.execute(update(Hazard).where(Hazard.id == hazard.id)
                      .values(status="closed", lock_version=Hazard.lock_version + 1))
    with pytest.raises(StaleObject) as caught:
        services.reject(world["street_regulator"], hazard, "照片不清")
    assert services.status_label("closed") in str(caught.value)  # the loser learns the state now
    assert [e.action for e in db.session.scalars(select(HazardEvent).where(HazardEvent.hazard_id == hazard.id))] \
        == ["rectification_submitted"]  # nothing of the losing action was written


def test_two_regulators_deciding_at_once_on_postgresql(app, world, db):
    """Real concurrency: two threads, two sessions, one hazard. Needs row-level concurrency (PostgreSQL)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers; run with TEST_DATABASE_URL for the concurrent version")
    hazard = make_hazard(db, world["e_a1"])
    services.submit_rectification(world["officer"], hazard, "已整改")
    hazard_id, version = hazard.id, hazard.lock_version
    actors = {"verify": world["street_regulator"].id, "reject": world["district_regulator"].id}
    barrier, outcomes = threading.Barrier(2), {}

    def act(action: str) -> None:
        from safetylist.auth.models import User
        with app.app_context():
            actor = db.session.get(User, actors[action])
            item = db.session.get(Hazard, hazard_id)
            barrier.wait()  # both have loaded the same version
            try:
                if action == "verify":
                    services.verify(actor, item, expected_version=version)
                else:
                    services.reject(actor, item, "不合格", expected_version=version)
                outcomes[action] = "ok"
            except StaleObject:
                outcomes[action] = "stale"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=act, args=(name,)) for name in actors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes.values()) == ["ok", "stale"]
    db.session.expire_all()
    final = db.session.get(Hazard, hazard_id)
    winner = next(action for action, outcome in outcomes.items() if outcome == "ok")
    assert final.status == {"verify": "closed", "reject": "open"}[winner]
    steps = [e.action for e in db.session.scalars(select(HazardEvent).where(HazardEvent.hazard_id == hazard_id))]
    assert steps == ["rectification_submitted", {"verify": "verified", "reject": "rejected"}[winner]]
