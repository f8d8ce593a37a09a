"""Score items (得分) in a run: the form's full / deduct / na choices, a deduction's required reason,
what a submitted run stores, and how the fill and result pages show them."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from safetylist.checklists import answer_forms, runs
from safetylist.checklists.engine import evaluate
from safetylist.errors import ValidationFailed
from tests.checklists.test_runs import serving
from tests.factories import login

SCORES = Path(__file__).parent / "fixtures" / "scores"
REASON_NEEDED = "扣分须写明理由。"
BAD_SCORE = "expected na or a number from 0 to 3 in steps of 0.5"


@pytest.fixture
def score_library(app):
    """Serve the scored test checklist instead of the real library for the duration of a test."""
    with serving(app, SCORES) as served:
        yield served


def checklist(score_library):
    return score_library.definitions["scored-review"]


def start(client, world) -> int:
    response = client.post("/runs/start", data={"checklist": "scored-review", "enterprise_id": world["e_a1"].id})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return int(response.headers["Location"].rsplit("/", 1)[1])


# --- reading the form ----------------------------------------------------------------------------

@pytest.mark.parametrize("fields, expected", [
    ({"a:goals-set": "full"}, 3),
    ({"a:goals-set": "deduct", "a:goals-set:points": "2"}, 2),
    ({"a:goals-set": "deduct", "a:goals-set:points": "2,5"}, 2.5),
    ({"a:goals-set": "na", "a:goals-set:points": "1"}, "na"),  # a stale number is ignored
    ({"a:goals-set": "deduct", "a:goals-set:points": "two"}, "two"),  # left as text for the service to name
    ({"a:goals-set": "deduct", "a:goals-set:points": ""}, "deduct"),
])
def test_form_choices_become_score_answers(score_library, fields, expected):
    answers, _, _ = answer_forms.from_form(checklist(score_library), MultiDict(fields))
    assert answers == {"goals-set": expected}


def test_a_deduction_without_a_number_names_the_item(score_library):
    definition = checklist(score_library)
    answers, _, _ = answer_forms.from_form(definition, MultiDict({"a:goals-set": "deduct", "a:signs": "full"}))
    [problem] = evaluate(definition, answers).invalid
    assert (problem.item_id, problem.message) == ("goals-set", BAD_SCORE)


# --- the service ---------------------------------------------------------------------------------

def test_missing_reasons_lists_deductions_without_a_note(score_library):
    evaluation = evaluate(checklist(score_library), {"goals-set": 2, "signs": 1.5})
    assert runs.missing_reasons(evaluation, {"goals-set": "  ", "signs": "标志褪色"}) == {"goals-set": REASON_NEEDED}
    assert runs.missing_reasons(evaluation, {"goals-set": "目标未分解", "signs": "标志褪色"}) == {}
    full = evaluate(checklist(score_library), {"goals-set": 3, "signs": "na"})
    assert runs.missing_reasons(full, {}) == {}


def test_a_deduction_needs_its_reason_at_submit(world, score_library, db):
    officer = world["officer"]
    run = runs.start_run(officer, "scored-review", world["e_a1"])
    with pytest.raises(ValidationFailed) as refused:
        runs.submit_run(officer, run, {"goals-set": 2, "signs": 2})
    assert refused.value.errors == {"goals-set": REASON_NEEDED}
    db.session.refresh(run)
    assert run.status == "draft" and run.answers == {"goals-set": 2, "signs": 2}  # nothing lost


def test_submitted_run_stores_item_and_element_points(world, score_library, db):
    from safetylist.remediation.models import Hazard
    officer = world["officer"]
    run = runs.start_run(officer, "scored-review", world["e_a1"])
    runs.submit_run(officer, run, {"goals-set": 2.5, "signs": 1}, notes={"goals-set": "目标未分解到岗位",
                                                                        "signs": "仓库门口标志脱落"})
    assert run.submitted and run.score == 70 and run.grade == "level3"  # 3.5 of 5
    assert run.result["items"] == {"goals-set": [2.5, 3], "signs": [1, 2]}
    assert run.result["elements"] == [
        {"id": "e-goals", "section_id": "goals", "earned": 2.5, "possible": 3, "share": 2.5 / 3},
        {"id": "e-signs", "section_id": "goals", "earned": 1, "possible": 2, "share": 0.5}]
    assert run.result["failed"] == ["goals-set", "signs"]
    [hazard] = db.session.scalars(select(Hazard)).all()  # only signs has on_fail
    assert hazard.checklist_item == "signs" and hazard.description == "仓库门口标志脱落"


# --- the pages -----------------------------------------------------------------------------------

def test_fill_page_offers_full_deduct_and_na(world, client, score_library):
    login(client, world["officer"])
    run_id = start(client, world)
    page = client.get(f"/runs/{run_id}").get_data(as_text=True)
    block = re.search(r'<div class="q[^"]*" id="q-goals-set".*?data-error>', page, re.S).group(0)
    assert 'data-type="score"' in block and 'data-points="3"' in block
    assert [value for value in re.findall(r'name="a:goals-set" value="(\w+)"', block)] == ["full", "deduct", "na"]
    for label in ("满分 (3 分)", "扣分", "不适用", "得分（0–3）", "扣分理由"):
        assert label in block, label
    assert re.search(r'<input type="text" inputmode="decimal" id="pts-goals-set" name="a:goals-set:points"', block)
    assert '<label for="pts-goals-set">' in block and '<label for="n-goals-set">' in block
    assert re.search(r'<textarea id="n-goals-set" name="n:goals-set" rows="2" required>', block)
    assert "<h3 class=\"element-title\">目标</h3>" in page and "<h3 class=\"element-title\">警示标志</h3>" in page
    signs = re.search(r'id="q-signs".*?data-error>', page, re.S).group(0)
    # the item with on_fail explains the hazard, and keeps a single note field: the reason
    assert "一般隐患" in signs and signs.count('name="n:signs"') == 1


@pytest.mark.parametrize("fields, stored", [
    ({"a:goals-set": "full"}, 3),
    ({"a:goals-set": "deduct", "a:goals-set:points": "1.5", "n:goals-set": "目标未量化"}, 1.5),
    ({"a:goals-set": "na"}, "na"),
])
def test_form_submit_of_a_score(world, client, score_library, db, fields, stored):
    from safetylist.checklists.models import ChecklistRun
    login(client, world["officer"])
    run_id = start(client, world)
    response = client.post(f"/runs/{run_id}/submit", data={**fields, "a:signs": "full", "submission_key": "s"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    run = db.session.get(ChecklistRun, run_id)
    assert run.submitted and run.answers["goals-set"] == stored
    assert run.notes.get("goals-set", "") == fields.get("n:goals-set", "")


def refused_submit(client, world, points: str, reason: str) -> str:
    """The fill page answered to a form submission deducting `points` from goals-set for `reason`."""
    login(client, world["officer"])
    run_id = start(client, world)
    response = client.post(f"/runs/{run_id}/submit", data={
        "a:goals-set": "deduct", "a:goals-set:points": points, "n:goals-set": reason, "a:signs": "full",
        "submission_key": "refused"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'class="q has-error" id="q-goals-set"' in page
    return page


def test_form_submit_refuses_a_deduction_without_its_reason(world, client, score_library):
    page = refused_submit(client, world, "2", " ")
    assert re.search(r'id="err-goals-set" data-error>' + REASON_NEEDED, page)
    # the answer was kept as the draft and is shown again as a deduction of 2
    assert re.search(r'value="deduct"\s+checked', page)
    assert re.search(r'name="a:goals-set:points"\s+value="2"', page)


def test_form_submit_refuses_a_deduction_without_points(world, client, score_library):
    page = refused_submit(client, world, "", "目标未量化")
    assert re.search(r'id="err-goals-set" data-error>' + BAD_SCORE, page)


def test_autosave_keeps_a_score_and_its_reason(world, client, score_library):
    login(client, world["officer"])
    run_id = start(client, world)
    saved = client.post(f"/runs/{run_id}/answers", json={"answers": {"goals-set": 2.5},
                                                         "notes": {"goals-set": "目标未分解"}})
    assert saved.status_code == 200 and saved.json["answers"] == {"goals-set": 2.5}
    bad = client.post(f"/runs/{run_id}/answers", json={"answers": {"goals-set": 3.5}})
    assert bad.status_code == 400 and bad.json["errors"] == {"goals-set": BAD_SCORE}
    page = client.get(f"/runs/{run_id}").get_data(as_text=True)
    assert re.search(r'value="deduct"\s+checked', page) and re.search(r'name="a:goals-set:points"\s+value="2.5"', page)
    assert "目标未分解</textarea>" in page


@pytest.mark.parametrize("stored, chosen", [(3, "full"), (3.0, "full"), ("na", "na"), (0, "deduct")])
def test_fill_page_shows_a_stored_score_as_its_choice(world, client, score_library, stored, chosen):
    login(client, world["officer"])
    run_id = start(client, world)
    client.post(f"/runs/{run_id}/answers", json={"answers": {"goals-set": stored}})
    page = client.get(f"/runs/{run_id}").get_data(as_text=True)
    block = re.search(r'id="q-goals-set".*?data-error>', page, re.S).group(0)
    assert re.findall(r'value="(\w+)"\s+checked', block) == [chosen]
    points = re.search(r'name="a:goals-set:points"\s+value="([^"]*)"', block).group(1)
    assert points == ("0" if chosen == "deduct" else "")


def test_result_page_reads_points_of_points(world, client, score_library, db):
    officer = world["officer"]
    run = runs.start_run(officer, "scored-review", world["e_a1"])
    runs.submit_run(officer, run, {"goals-set": 2.5, "signs": "na"}, notes={"goals-set": "目标未分解到岗位"})
    login(client, officer)
    page = client.get(f"/runs/{run.id}").get_data(as_text=True)
    assert '<p class="score-answer">2.5 / 3 分</p>' in page and '<p class="score-answer">不适用</p>' in page
    assert "扣分理由：目标未分解到岗位" in page
    officer.locale = "en"
    db.session.commit()
    english = client.get(f"/runs/{run.id}").get_data(as_text=True)
    assert '<p class="score-answer">2.5 / 3 points</p>' in english and '<p class="score-answer">N/A</p>' in english
