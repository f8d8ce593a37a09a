"""The runs service: who may fill what, drafts, submission, immutability, hazards, due lists."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from safetylist.checklists import runs
from safetylist.checklists.library import load_library
from safetylist.errors import DomainError, PermissionDenied, StaleObject, ValidationFailed
from safetylist.timeutil import local_today

FIXTURES = Path(__file__).parent / "fixtures" / "runs"
AGENCY_FIXTURES = Path(__file__).parent / "fixtures" / "agency"


@contextmanager
def serving(app, path: Path):
    """Serve the checklist files at `path` instead of the real library while inside."""
    real = app.extensions["checklist_library"]
    app.extensions["checklist_library"] = load_library(path)
    try:
        yield app.extensions["checklist_library"]
    finally:
        app.extensions["checklist_library"] = real


@pytest.fixture
def library(app):
    """Serve the small test library instead of the real one for the duration of a test."""
    with serving(app, FIXTURES) as served:
        yield served


def photo(db, enterprise) -> str:
    """A stored photo record of the enterprise (the file itself is not needed here)."""
    from safetylist.photos.models import Photo
    row = Photo(ref=f"ref-{enterprise.id}-{db.session.query(Photo).count()}", enterprise_id=enterprise.id,
                original_format="JPEG", content_type="image/jpeg", width=10, height=10, size=100)
    db.session.add(row)
    db.session.commit()
    return row.ref


def test_officer_fills_and_submits_with_hazards(world, library, db):
    from safetylist.remediation.models import Hazard
    officer, enterprise = world["officer"], world["e_a1"]
    run = runs.start_run(officer, "weekly-check", enterprise)
    assert run.status == "draft" and run.version.checklist_key == "weekly-check"
    runs.save_answers(officer, run, {"has-gas": "yes", "alarm": "fail"}, notes={"alarm": "报警器无电"},
                      evidence={"alarm": [photo(db, enterprise)]})
    runs.submit_run(officer, run, {"exits": "fail", "temperature": 22})
    assert run.submitted and round(run.score, 1) == 33.3  # temperature passed; alarm and exits failed
    assert run.passed is False and run.result["failed"] == ["alarm", "exits"]
    hazards = db.session.scalars(select(Hazard).order_by(Hazard.checklist_item)).all()
    assert [(h.checklist_item, h.severity) for h in hazards] == [("alarm", "major"), ("exits", "general")]
    alarm = hazards[0]
    assert alarm.description == "报警器无电" and alarm.basis == "测试条款二"
    assert alarm.deadline == alarm.found_on + timedelta(days=3)
    assert alarm.notify == ["street_regulator"] and alarm.enterprise_id == enterprise.id


def test_missing_required_answers_are_listed_and_answers_kept(world, library, db):
    officer = world["officer"]
    run = runs.start_run(officer, "weekly-check", world["e_a1"])
    with pytest.raises(ValidationFailed) as refused:
        runs.submit_run(officer, run, {"has-gas": "yes"})
    assert set(refused.value.errors) == {"alarm", "exits"}
    db.session.refresh(run)
    assert run.status == "draft" and run.answers == {"has-gas": "yes"}


def test_failed_item_needing_a_photo_cannot_be_submitted_without_one(world, library):
    officer = world["officer"]
    run = runs.start_run(officer, "weekly-check", world["e_a1"])
    with pytest.raises(ValidationFailed) as refused:
        runs.submit_run(officer, run, {"has-gas": "yes", "alarm": "fail", "exits": "pass"})
    assert list(refused.value.errors) == ["alarm"]


def test_hidden_answers_are_dropped_on_submit(world, library, db):
    officer = world["officer"]
    run = runs.start_run(officer, "weekly-check", world["e_a1"])
    runs.save_answers(officer, run, {"has-gas": "yes", "alarm": "fail"}, evidence={"alarm": [photo(db, world["e_a1"])]})
    runs.submit_run(officer, run, {"has-gas": "no", "exits": "pass"})
    assert run.answers == {"has-gas": "no", "exits": "pass"} and run.evidence == {}
    assert run.passed is True and run.score == 100


def test_bad_answers_are_refused_with_the_item(world, library):
    officer = world["officer"]
    run = runs.start_run(officer, "weekly-check", world["e_a1"])
    with pytest.raises(ValidationFailed) as refused:
        runs.save_answers(officer, run, {"exits": "maybe", "nope": "yes", "temperature": "hot"})
    assert set(refused.value.errors) == {"exits", "nope", "temperature"}
    assert run.answers == {}


def test_photos_of_another_enterprise_or_unknown_refs_are_refused(world, library, db):
    officer = world["officer"]
    run = runs.start_run(officer, "weekly-check", world["e_a1"])
    for refs in (["no-such-photo"], [photo(db, world["e_b1"])]):
        with pytest.raises(ValidationFailed) as refused:
            runs.save_answers(officer, run, {"has-gas": "yes", "alarm": "fail"}, evidence={"alarm": refs})
        assert list(refused.value.errors) == ["alarm"]
    assert run.evidence == {}


def test_submitted_runs_are_immutable(world, library, db):
    from safetylist.checklists.models import ImmutableRunError
    officer = world["officer"]
    run = runs.start_run(officer, "weekly-check", world["e_a1"])
    runs.submit_run(officer, run, {"has-gas": "no", "exits": "pass"})
    with pytest.raises(DomainError):
        runs.save_answers(officer, run, {"exits": "fail"})
    with pytest.raises(DomainError):
        runs.submit_run(officer, run)
    run.answers = {"exits": "fail"}  # even code that bypasses the service is stopped
    with pytest.raises(ImmutableRunError):
        db.session.commit()
    db.session.rollback()


def test_resubmitting_with_the_same_key_counts_once(world, library, db):
    from safetylist.remediation.models import Hazard
    officer = world["officer"]
    run = runs.start_run(officer, "weekly-check", world["e_a1"])
    first = runs.submit_run(officer, run, {"has-gas": "no", "exits": "fail"}, submission_key="device-1-abc")
    again = runs.submit_run(officer, run, {"has-gas": "no", "exits": "fail"}, submission_key="device-1-abc")
    assert not first.repeated and again.repeated and again.run.id == run.id
    assert len(db.session.scalars(select(Hazard)).all()) == 1


def test_stale_draft_save_is_refused(world, library):
    officer = world["officer"]
    run = runs.start_run(officer, "weekly-check", world["e_a1"])
    seen = run.lock_version
    runs.save_answers(officer, run, {"exits": "pass"}, expected_version=seen)
    with pytest.raises(StaleObject):
        runs.save_answers(officer, run, {"exits": "fail"}, expected_version=seen)
    assert run.answers == {"exits": "pass"}


def test_starting_again_resumes_the_draft(world, library):
    officer = world["officer"]
    first = runs.start_run(officer, "weekly-check", world["e_a1"])
    assert runs.start_run(officer, "weekly-check", world["e_a1"]).id == first.id


@pytest.mark.parametrize("role, key, subject, allowed", [
    ("officer", "weekly-check", "e_a1", True),
    ("officer", "weekly-check", "e_a2", False),       # another enterprise
    ("grid_worker", "weekly-check", "e_a1", False),   # enterprise self-checks are the officer's
    ("grid_worker", "site-visit", "e_a1", True),
    ("grid_worker", "site-visit", "e_a2", False),     # not in the worker's grids
    ("street_regulator", "site-visit", "e_a2", True),
    ("street_regulator", "site-visit", "e_b1", False),
    ("district_regulator", "site-visit", "e_b1", True),
    ("agency_staff", "site-visit", "e_a1", False),
])
def test_who_may_fill_what(world, library, role, key, subject, allowed):
    if allowed:
        assert runs.start_run(world[role], key, world[subject]).id
    else:
        with pytest.raises(PermissionDenied):
            runs.start_run(world[role], key, world[subject])


def test_a_checklist_that_does_not_apply_is_refused(world, library):
    with pytest.raises(DomainError):
        runs.start_run(world["officer"], "catering-only", world["e_a1"])


def test_changing_the_file_keeps_old_runs_on_their_version(world, library, app, tmp_path, db):
    officer = world["officer"]
    run = runs.start_run(officer, "weekly-check", world["e_a1"])
    runs.submit_run(officer, run, {"has-gas": "no", "exits": "pass"})
    old_version, old_score = run.version_id, run.score
    changed = (FIXTURES / "weekly-check.yaml").read_text(encoding="utf-8").replace("version: 1", "version: 2")
    (tmp_path / "weekly-check.yaml").write_text(changed.replace("pass_mark: 80", "pass_mark: 100"), encoding="utf-8")
    app.extensions["checklist_library"] = load_library(tmp_path)
    newer = runs.start_run(officer, "weekly-check", world["e_a1"])
    assert newer.version_id != old_version and newer.version.number == 2
    db.session.refresh(run)
    assert (run.version_id, run.score) == (old_version, old_score)
    assert runs.definition(run).version == 1


def test_due_list_follows_frequency_and_last_submission(world, library, db):
    officer, enterprise = world["officer"], world["e_a1"]
    due = {d.key: d for d in runs.due_for_enterprise(enterprise)}
    assert set(due) == {"weekly-check"}  # catering-only does not apply; site-visit is not theirs
    monday = local_today() - timedelta(days=local_today().weekday())
    assert due["weekly-check"].due_on == monday + timedelta(days=6) and not due["weekly-check"].overdue
    run = runs.start_run(officer, "weekly-check", enterprise)
    assert runs.due_for_enterprise(enterprise)[0].draft_run_id == run.id
    runs.submit_run(officer, run, {"has-gas": "no", "exits": "pass"})
    after = runs.due_for_enterprise(enterprise)[0]
    assert after.draft_run_id is None and after.due_on == monday + timedelta(days=13)
    grid_due = runs.due_for_enterprise(enterprise, audience="grid_worker")
    assert [d.key for d in grid_due] == ["site-visit"]


def test_agency_self_check_is_for_the_own_agency(world, app):
    real = app.extensions["checklist_library"]
    app.extensions["checklist_library"] = load_library(AGENCY_FIXTURES)
    try:
        staff = world["agency_staff"]
        run = runs.start_run(staff, "agency-check", agency_id=world["agency"].id)
        submission = runs.submit_run(staff, run, {"licence": "fail"})
        assert submission.hazards[0].agency_id == world["agency"].id
        with pytest.raises(PermissionDenied):
            runs.start_run(staff, "agency-check", agency_id=world["agency"].id + 1)
    finally:
        app.extensions["checklist_library"] = real


def test_a_broken_file_is_reported_at_start_up_and_not_served(tmp_path, caplog):
    from safetylist import create_app
    (tmp_path / "good.yaml").write_bytes((FIXTURES / "site-visit.yaml").read_bytes())
    (tmp_path / "broken.yaml").write_text("id: broken\nversion: 1\ntitle: {zh: 坏, en: Broken}\npoints: many\n",
                                          encoding="utf-8")
    with caplog.at_level("ERROR"):
        app = create_app({"CHECKLIST_LIBRARY": str(tmp_path), "TESTING": True,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    served = app.extensions["checklist_library"]
    assert set(served.entries) == {"site-visit"}
    assert "broken.yaml" in caplog.text and "not served" in caplog.text
