"""Hand-computed totals and grades of the GB/T 33000 assessment, through the services that people
use: the officer's self-assessment (a checklist run) and the reviewer's independent scores.

Points per item (from safetylist/checklists/library/standardization-gbt33000.yaml), total 100:
goals 15 (goals-set 2, goals-monitored 2, safety-organisation 2, principal-duties 2, all-staff-responsibility 2,
safety-funds 2, insurance 1, safety-culture 1, safety-informatization 1) · institutions 10 (laws-identified 2,
rules-established 3, operating-procedures 3, documents-records 1, rules-reviewed 1) · training 10
(training-managed 3, …) · site 30 (three-simultaneities 2, equipment-maintained 3, maintenance-work-controlled 2, equipment-decommissioned 1,
hazardous-work-permits 4, …) · risk 15 (major-hazard-sources 2, …) · emergency 10 (emergency-drills 2, …)
· accidents 5 (accidents-reported 2, accidents-investigated 2, accident-records 1) · improvement 5.
Grades: level 1 ≥ 90, level 2 ≥ 80, level 3 ≥ 70, every applicable element ≥ 60 % of its points."""
from __future__ import annotations

import pytest

from tests.standardization.conftest import scored_items

CASES = [
    # (name, earned, not applicable, expected score, expected certificate grade)
    ("full marks", {}, (), 100, "1"),
    # 100 − 3 − 2 − 1 − 1.5 = 92.5
    ("partial deductions", {"hazardous-work-permits": 1, "safety-funds": 0, "emergency-drills": 1,
                            "training-managed": 1.5}, (), 92.5, "1"),
    # N/A takes 4 points out of both sides: (96 − 8) / 96 × 100 = 91.67 (88 if N/A counted as lost: level 2)
    ("not applicable items", {"hazardous-work-permits": 0, "equipment-maintained": 1, "rules-established": 1},
     ("major-hazard-sources", "three-simultaneities"), 88 / 96 * 100, "1"),
    # −12 on site (18/30 = exactly 60 %), −6 on goals (9/15 = 60 %), −2 on institutions: 80 → level 2
    ("exactly 80", {"hazardous-work-permits": 0, "equipment-maintained": 0, "maintenance-work-controlled": 0, "equipment-decommissioned": 0,
                    "three-simultaneities": 0, "goals-set": 0, "goals-monitored": 0, "safety-organisation": 0,
                    "laws-identified": 0}, (), 80, "2"),
    # the same and half a point more: 79.5 → level 3
    ("just below 80", {"hazardous-work-permits": 0, "equipment-maintained": 0, "maintenance-work-controlled": 0, "equipment-decommissioned": 0,
                       "three-simultaneities": 0, "goals-set": 0, "goals-monitored": 0, "safety-organisation": 0,
                       "laws-identified": 0, "training-managed": 2.5}, (), 79.5, "3"),
    # accidents element 2/5 = 40 % < 60 %: 97 points but no grade at all
    ("an element below its share", {"accidents-reported": 0, "accidents-investigated": 1}, (), 97, None),
    # every item of the improvement element not applicable: it drops out, 95/95 → 100
    ("a whole element not applicable", {}, ("performance-evaluated", "improvement-actions"), 100, "1"),
]


@pytest.mark.parametrize("name,earned,na,score,grade", CASES, ids=[c[0] for c in CASES])
def test_self_assessment_score_and_grade(self_assess, name, earned, na, score, grade):
    from safetylist.standardization.services import certificate_grade_of
    run = self_assess(earned, na)
    assert run.score == pytest.approx(score)
    assert certificate_grade_of(run) == grade


@pytest.mark.parametrize("name,earned,na,score,grade", CASES, ids=[c[0] for c in CASES])
def test_review_scores_independently(reviewed, name, earned, na, score, grade):
    """The reviewer's own scores decide the review grade, whatever the self-assessment said."""
    assessment = reviewed(self_earned={}, review_earned=earned, review_na=na)
    assert assessment.self_score == 100 and assessment.self_grade == "1"
    assert assessment.review_score == pytest.approx(score)
    assert assessment.review_grade == grade


def test_file_totals_100(checklist):
    assert sum(item.points for _s, item in scored_items(checklist)) == 100
    assert len(checklist.sections) == 8


def test_comparison_shows_both_sides_per_element(reviewed):
    from safetylist.standardization import services
    assessment = reviewed(self_earned={"safety-funds": 1}, review_earned={"safety-funds": 0, "goals-set": 1},
                          review_na=("insurance",))
    goals = next(block for block in services.comparison(assessment) if block.section.id == "goals-responsibilities")
    rows = {row.item.id: row for row in goals.items}
    assert (rows["safety-funds"].self_earned, rows["safety-funds"].review_earned) == (1, 0)
    assert rows["safety-funds"].differs and rows["goals-set"].differs and rows["insurance"].differs
    assert rows["insurance"].review_earned is None  # not applicable
    assert not rows["principal-duties"].differs
    assert rows["safety-funds"].review_note == "扣分：safety-funds"
    assert (goals.self_earned, goals.self_possible) == (14, 15)
    assert (goals.review_earned, goals.review_possible) == (11, 14)  # 15 − 1 N/A; 14 − 2 − 1
    assert {row.item.id for row in goals.deductions} == {"safety-funds", "goals-set"}
    assert all(row.element is not None for row in goals.items)  # second-level elements (二级要素)
