"""Fixtures for standardization: an enterprise that needs a grade, its officer, a district regulator
who reviews and decides, and helpers that fill the GB/T 33000 checklist with chosen deductions."""
from __future__ import annotations

import pytest

from safetylist.checklists import runs, versions
from safetylist.standardization import services


def scored_items(checklist):
    """(section, item) for every item that carries points, in file order."""
    return [(section, item) for section, item in checklist.all_items() if item.points]


def answers_for(checklist, earned: dict | None = None, na: set | tuple = ()) -> tuple[dict, dict]:
    """Full marks everywhere but `earned` (item id → points earned) and `na` items; a reason for
    every deduction, as the service demands."""
    earned = earned or {}
    answers, notes = {}, {}
    for _section, item in scored_items(checklist):
        if item.id in na:
            answers[item.id] = "na"
        elif item.id in earned:
            answers[item.id] = earned[item.id]
            notes[item.id] = f"扣分：{item.id}"
        else:
            answers[item.id] = item.points
    return answers, notes


@pytest.fixture
def checklist(app):
    return versions.entry(services.checklist_key()).definition


@pytest.fixture
def std(world, make_user, db):
    """world + e_a1 (the officer's enterprise) needing a grade, and a second district regulator."""
    world["e_a1"].standardization_required = True
    db.session.commit()
    world["reviewer"] = make_user("district_regulator")
    return world


@pytest.fixture
def self_assess(std, checklist):
    """Submit a self-assessment of e_a1 by its officer: self_assess(earned={...}, na={...})."""
    def do(earned=None, na=(), enterprise=None, officer=None):
        enterprise = enterprise or std["e_a1"]
        officer = officer or std["officer"]
        run = runs.start_run(officer, services.checklist_key(), enterprise)
        answers, notes = answers_for(checklist, earned, na)
        return runs.submit_run(officer, run, answers, notes).run
    return do


@pytest.fixture
def application(std, self_assess, checklist):
    """An application of e_a1 submitted for review, with evidence for every applicable element."""
    def do(earned=None, na=(), **kwargs):
        self_assess(earned, na, **kwargs)
        officer = kwargs.get("officer") or std["officer"]
        enterprise = kwargs.get("enterprise") or std["e_a1"]
        assessment = services.start_application(officer, enterprise)
        for element in services.applicable_elements(assessment):
            services.save_evidence(officer, assessment, element, f"{element} 的制度文件和台账见档案柜A")
        return services.submit_application(officer, assessment)
    return do


@pytest.fixture
def reviewed(std, application, checklist):
    """An application reviewed by the second district regulator with its own deductions."""
    def do(self_earned=None, self_na=(), review_earned=None, review_na=(), agency=False):
        assessment = application(self_earned, self_na)
        district = std["district_regulator"]
        if agency:
            services.assign_reviewer(district, assessment, agency_id=std["agency"].id)
            reviewer = std["agency_staff"]
        else:
            services.assign_reviewer(district, assessment, user_id=std["reviewer"].id)
            reviewer = std["reviewer"]
        answers, notes = answers_for(checklist, review_earned, review_na)
        return services.submit_review(reviewer, assessment, answers, notes)
    return do
