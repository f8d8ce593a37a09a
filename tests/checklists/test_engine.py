"""engine.evaluate: visibility, completeness, percent and points scoring, grades, veto, findings —
unit tests on small checklists plus hypothesis properties over generated checklists and answers."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from safetylist.checklists.engine import ElementScore, ItemScore, evaluate, item_outcome
from safetylist.checklists.format import ChecklistDefinition
from safetylist.checklists.library import load_library
from safetylist.checklists.rules import check_definition

T = {"zh": "中", "en": "en"}


def item(id, answer="pass_fail_na", **keys):
    return {"id": id, "ask": T, "answer": answer, **keys}


def checklist(*sections, scoring=None):
    """sections: lists of items, or (section keys, items) pairs."""
    built = []
    for n, section in enumerate(sections):
        keys, items = section if isinstance(section, tuple) else ({}, section)
        built.append({"id": f"s{n}", "title": T, "items": items, **keys})
    definition = ChecklistDefinition.model_validate({
        "id": "t", "version": 1, "title": T, "kind": "self_check", "audience": "enterprise",
        "frequency": "daily", "scoring": scoring or {"method": "percent", "pass_mark": 80}, "sections": built})
    assert check_definition(definition, lambda path: 0) == []  # every test checklist is valid
    return definition


POINTS = {"method": "points", "total": 100, "grades": [
    {"id": "level1", "zh": "一级", "en": "Level 1", "min": 90, "min_section_share": 0.6},
    {"id": "level2", "zh": "二级", "en": "Level 2", "min": 80, "min_section_share": 0.5},
    {"id": "level3", "zh": "三级", "en": "Level 3", "min": 70}]}
ON_FAIL = {"hazard": "major", "fix_within_days": 2, "evidence": "photo", "notify": ["street_regulator"]}


# --- percent scoring ----------------------------------------------------------------

def test_percent_removes_not_applicable_items():
    d = checklist([item("a"), item("b"), item("c"), item("d")])
    result = evaluate(d, {"a": "pass", "b": "pass", "c": "fail", "d": "na"})
    assert (result.earned, result.possible) == (2, 3)
    assert round(result.score, 2) == 66.67 and not result.passed
    assert result.failed == ("c",) and result.findings == ()  # no on_fail, no finding


def test_pass_mark_is_reached_exactly():
    d = checklist([item(x) for x in "abcde"])
    result = evaluate(d, {"a": "pass", "b": "pass", "c": "pass", "d": "pass", "e": "fail"})
    assert result.score == 80 and result.passed


def test_nothing_applicable_has_no_score_and_passes():
    d = checklist([item("a"), item("note", "text")])
    result = evaluate(d, {"a": "na"})
    assert result.score is None and result.passed and result.sections[0].share is None


def test_missing_required_answers_and_defaults():
    d = checklist([item("a"), item("b", required=False), item("note", "text"), item("photo", "photo"),
                   item("sig", "signature", required=True)])
    result = evaluate(d, {})
    assert result.missing == ("a", "sig") and not result.complete


def test_invalid_answers_are_reported_and_not_scored():
    d = checklist([item("a"), item("n", "number"),
                   item("c", "single_choice", options=[{"id": "x", "zh": "x", "en": "x"},
                                                       {"id": "y", "zh": "y", "en": "y", "fails": True}]),
                   item("m", "multi_choice", required=False, options=[{"id": "x", "zh": "x", "en": "x"},
                                                                      {"id": "y", "zh": "y", "en": "y"}])])
    result = evaluate(d, {"a": "ok", "n": "3", "c": "z", "m": ["x", "x"]})
    assert [p.item_id for p in result.invalid] == ["a", "n", "c", "m"]
    assert result.possible == 0 and not result.complete and result.missing == ()


# --- visibility -----------------------------------------------------------------------

def test_hidden_items_are_not_required_and_their_answers_ignored():
    d = checklist([item("uses-lpg", "yes_no"), item("room", show_if="uses-lpg == yes"),
                   item("room-vent", show_if="room == pass")])
    no = evaluate(d, {"uses-lpg": "no", "room": "fail", "room-vent": "fail"})
    assert no.visible == ("uses-lpg",) and no.missing == () and no.failed == ()
    yes = evaluate(d, {"uses-lpg": "yes"})
    assert yes.visible == ("uses-lpg", "room") and yes.missing == ("room",)


def test_an_invalid_answer_does_not_open_dependent_items():
    d = checklist([item("n", "number"), item("big", show_if="n > 5")])
    assert evaluate(d, {"n": "9"}).visible == ("n",)
    assert evaluate(d, {"n": 9}).visible == ("n", "big")


# --- judging answers ------------------------------------------------------------------

def test_yes_no_fails_only_with_fail_on():
    d = checklist([item("info", "yes_no"), item("basement", "yes_no", fail_on="yes")])
    result = evaluate(d, {"info": "no", "basement": "yes"})
    assert result.failed == ("basement",) and result.possible == 1


def test_number_out_of_range_fails_or_warns():
    d = checklist([item("oxygen", "number", unit="%", min=19.5, max=23.5),
                   item("cylinders", "number", max=2, out_of_range="warn"), item("count", "number")])
    result = evaluate(d, {"oxygen": 18, "cylinders": 3, "count": 1000})
    assert result.out_of_range == ("oxygen", "cylinders")
    assert result.failed == ("oxygen",) and result.possible == 1
    assert evaluate(d, {"oxygen": 19.5, "cylinders": 2, "count": 0}).out_of_range == ()


def test_choice_fails_when_a_failing_option_is_chosen():
    opts = [{"id": "ok", "zh": "好", "en": "ok"}, {"id": "bad", "zh": "坏", "en": "bad", "fails": True}]
    d = checklist([item("c", "single_choice", options=opts), item("m", "multi_choice", options=opts)])
    assert evaluate(d, {"c": "ok", "m": ["ok", "bad"]}).failed == ("m",)
    assert item_outcome(d.sections[0].items[0], "bad") == "fail"


# --- veto and findings ----------------------------------------------------------------

def test_a_failed_veto_item_fails_whatever_the_score():
    d = checklist([item(f"i{n}") for n in range(9)] +
                  [item("basement", "yes_no", fail_on="yes", veto=True, basis="条例", on_fail=ON_FAIL)])
    answers = {f"i{n}": "pass" for n in range(9)} | {"basement": "yes"}
    result = evaluate(d, answers)
    assert result.score == 90 and result.vetoed and not result.passed
    assert result.veto_items == ("basement",)
    [finding] = result.findings
    assert (finding.item_id, finding.section_id, finding.severity, finding.fix_within_days) == ("basement", "s0",
                                                                                                "major", 2)
    assert (finding.evidence, finding.rectification_evidence, finding.notify) == ("photo", "none",
                                                                                  ("street_regulator",))
    assert finding.basis == "条例" and finding.veto and finding.answer == "yes" and finding.ask.zh == "中"


def test_veto_blocks_any_grade():
    d = checklist([item("a", points=10), item("v", veto=True)], scoring=POINTS)
    result = evaluate(d, {"a": "pass", "v": "fail"})
    assert result.score == 100 and result.vetoed and result.grade is None and not result.passed


def test_findings_only_for_visible_failed_items_with_on_fail():
    d = checklist([item("gate", "yes_no"), item("a", basis="x", on_fail=ON_FAIL, show_if="gate == yes"),
                   item("b", basis="x", on_fail=ON_FAIL), item("c")])
    result = evaluate(d, {"gate": "no", "a": "fail", "b": "fail", "c": "fail"})
    assert [f.item_id for f in result.findings] == ["b"]


# --- points scoring -------------------------------------------------------------------

def test_points_are_normalised_over_applicable_points():
    d = checklist([item("a", points=30), item("b", points=20)], [item("c", points=50)], scoring=POINTS)
    result = evaluate(d, {"a": "pass", "b": "fail", "c": "na"})
    assert (result.earned, result.possible, result.score) == (30, 50, 60)
    assert [(s.earned, s.possible) for s in result.sections] == [(30, 50), (0, 0)]


def test_grade_is_the_highest_whose_score_and_section_share_are_met():
    d = checklist([item("a", points=50)], [item("b", points=45), item("c", points=5)], scoring=POINTS)
    assert evaluate(d, {"a": "pass", "b": "pass", "c": "pass"}).grade == "level1"
    # 95 points overall, but section s1 only 45/50 = 0.9 share: still level 1
    assert evaluate(d, {"a": "pass", "b": "pass", "c": "fail"}).grade == "level1"


def test_a_weak_section_lowers_the_grade():
    d = checklist([item("a", points=90)], [item("b", points=6), item("c", points=4)], scoring=POINTS)
    # score 94, but s1 earned 4/10 = 0.4 < 0.6 and < 0.5 → level3 (no share required)
    result = evaluate(d, {"a": "pass", "b": "fail", "c": "pass"})
    assert result.score == 94 and result.grade == "level3" and result.passed


def test_below_every_grade_fails():
    d = checklist([item("a", points=60), item("b", points=40)], scoring=POINTS)
    result = evaluate(d, {"a": "pass", "b": "fail"})
    assert result.grade is None and not result.passed


def test_scores_are_exact_at_thresholds():
    scoring = dict(POINTS, grades=[{"id": "g", "zh": "g", "en": "g", "min": 57}])
    d = checklist([item("a", points=57), item("b", points=43)], scoring=scoring)
    assert evaluate(d, {"a": "pass", "b": "fail"}).grade == "g"  # 57/100 × 100 is exactly 57


def test_deduction_sections_start_full_and_never_go_below_zero():
    section = ({"points": 10}, [item("a", deduction=4), item("b", deduction=4), item("c", deduction=4),
                                item("v", veto=True)])
    d = checklist(section, [item("x", points=10)], scoring=POINTS)
    one = evaluate(d, {"a": "fail", "b": "pass", "c": "pass", "v": "pass", "x": "pass"})
    assert one.sections[0].earned == 6 and one.score == 80
    all_failed = evaluate(d, {"a": "fail", "b": "fail", "c": "fail", "v": "pass", "x": "pass"})
    assert all_failed.sections[0].earned == 0 and all_failed.score == 50
    not_applicable = evaluate(d, {"a": "na", "b": "na", "c": "na", "v": "na", "x": "pass"})
    assert not_applicable.sections[0].possible == 0 and not_applicable.score == 100


def test_worked_examples_of_the_format_documentation():
    # docs/checklist-format.md, "percent"
    d = checklist([item(f"i{n}") for n in range(10)])
    answers = {f"i{n}": "pass" for n in range(7)} | {"i7": "fail", "i8": "na", "i9": "na"}
    assert evaluate(d, answers).score == 87.5
    # docs/checklist-format.md, "points"
    d = checklist([item("a", points=30), item("b", points=20), item("c", points=10)],
                  ({"points": 40}, [item(f"d{n}", deduction=5) for n in range(4)]), scoring=POINTS)
    answers = {"a": "pass", "b": "fail", "c": "na", "d0": "fail", "d1": "fail", "d2": "pass", "d3": "pass"}
    result = evaluate(d, answers)
    assert [(s.earned, s.possible, s.share) for s in result.sections] == [(30, 50, 0.6), (30, 40, 0.75)]
    assert round(result.score, 1) == 66.7 and result.grade is None
    result = evaluate(d, answers | {"b": "pass"})
    assert round(result.score, 1) == 88.9 and result.grade == "level2"


def test_real_gas_checklist_scenario():
    d = load_library().definitions["gas-catering"]
    answers = {i.id: "pass" for _, i in d.all_items() if i.answer == "pass_fail_na"}
    answers |= {"uses-lpg": "no", "uses-piped-gas": "yes", "gas-smell-today": "no", "checker-signature": "sig",
                "cylinders-in-basement": "yes"}  # hidden: LPG is not used, so ignored
    result = evaluate(d, answers)
    assert "cylinders-in-basement" not in result.visible and not result.vetoed
    assert result.complete and result.passed and result.score == 100


# --- score items (得分) ------------------------------------------------------------------

def test_score_items_earn_partial_points():
    d = checklist([item("a", "score", points=3), item("b", "score", points=2), item("c", points=5)], scoring=POINTS)
    result = evaluate(d, {"a": 2.5, "b": 2, "c": "pass"})
    # 2.5 + 2 + 5 = 9.5 of 10 → 95
    assert (result.earned, result.possible, result.score) == (9.5, 10, 95)
    assert result.failed == ("a",) and result.grade == "level1" and result.complete
    assert result.needs_reason == ("a",)  # a is below its points; b earned them all


def test_not_applicable_score_does_not_lower_the_normalised_score():
    d = checklist([item("a", "score", points=3), item("b", "score", points=7)], scoring=POINTS)
    not_applicable = evaluate(d, {"a": "na", "b": 7})
    assert (not_applicable.earned, not_applicable.possible, not_applicable.score) == (7, 7, 100)
    assert not_applicable.failed == () and not_applicable.needs_reason == ()
    nothing_earned = evaluate(d, {"a": 0, "b": 7})
    assert (nothing_earned.earned, nothing_earned.possible, nothing_earned.score) == (7, 10, 70)
    assert nothing_earned.failed == ("a",)


def test_half_points_reach_a_threshold_exactly():
    d = checklist([item("a", "score", points=4), item("b", "score", points=4), item("c", "score", points=2)],
                  scoring=POINTS)
    result = evaluate(d, {"a": 3.5, "b": 3.5, "c": 2})  # 9 of 10 → exactly 90
    assert result.score == 90 and result.grade == "level1"
    assert evaluate(d, {"a": 3.5, "b": 3, "c": 2}).grade == "level2"  # 8.5 of 10 → 85


def test_a_score_answer_is_na_or_a_half_step_within_the_points():
    d = checklist([item("a", "score", points=3)], scoring=POINTS)
    expected = "expected na or a number from 0 to 3 in steps of 0.5"
    for bad in (3.5, -0.5, 1.25, True, "2", "pass", "deduct", float("nan"), [2]):
        [problem] = evaluate(d, {"a": bad}).invalid
        assert (problem.item_id, problem.message) == ("a", expected), bad
    assert evaluate(d, {"a": 0}).failed == ("a",)
    assert evaluate(d, {"a": 3.0}).failed == () and evaluate(d, {"a": 3.0}).score == 100
    assert evaluate(d, {}).missing == ("a",)  # judged, so required by default


def test_a_failing_score_item_opens_its_finding_and_veto():
    d = checklist([item("a", "score", points=4, veto=True, basis="b", on_fail=ON_FAIL),
                   item("b", "score", points=6)], scoring=POINTS)
    result = evaluate(d, {"a": 3.5, "b": 6})
    assert result.score == 95 and result.vetoed and result.grade is None and not result.passed
    [finding] = result.findings
    assert (finding.item_id, finding.answer, finding.severity) == ("a", 3.5, "major")
    assert evaluate(d, {"a": 4, "b": 0}).findings == ()


def test_item_scores_of_points_and_deduction_items():
    deduction = ({"points": 10}, [item("d1", deduction=4), item("d2", deduction=1.5), item("v", veto=True)])
    d = checklist([item("a", "score", points=3), item("b", points=2), item("c", points=5),
                   item("info", "yes_no"), item("hidden", "score", points=2, show_if="info == yes")],
                  deduction, scoring=POINTS)
    result = evaluate(d, {"a": 1.5, "b": "pass", "c": "na", "info": "no", "hidden": 1,
                          "d1": "fail", "d2": "pass", "v": "pass"})
    assert result.item_scores == (
        ItemScore("a", "s0", None, "fail", 1.5, 3, 1.5),
        ItemScore("b", "s0", None, "pass", 2, 2, 0),
        ItemScore("c", "s0", None, "na", 0, 0, 0),
        ItemScore("d1", "s1", None, "fail", 0, 0, 4),
        ItemScore("d2", "s1", None, "pass", 0, 0, 0),
    )  # no ItemScore for the informational, hidden and point-less veto items
    # the deduction section itself scores as before: 10 − 4
    assert [(s.earned, s.possible) for s in result.sections] == [(3.5, 5), (6, 10)]
    b_failed = evaluate(d, {"a": 3, "b": "fail", "c": "pass", "info": "no", "d1": "na", "d2": "na", "v": "na"})
    assert [(i.item_id, i.earned, i.possible, i.deducted) for i in b_failed.item_scores] == [
        ("a", 3, 3, 0), ("b", 0, 2, 2), ("c", 5, 5, 0), ("d1", 0, 0, 0), ("d2", 0, 0, 0)]
    assert b_failed.sections[1].possible == 0  # a deduction section with nothing judged still drops out


def test_item_scores_are_empty_for_percent_scoring():
    d = checklist([item("a"), item("b")])
    assert evaluate(d, {"a": "pass", "b": "fail"}).item_scores == ()


ELEMENTS = [{"id": "e1", "zh": "目标", "en": "Goals"}, {"id": "e2", "zh": "机构和职责", "en": "Organisation"}]


def test_elements_score_like_sections_with_points():
    d = checklist(({"elements": ELEMENTS}, [item("a", "score", points=3, element="e1"),
                                            item("b", points=2, element="e1"),
                                            item("c", "score", points=5, element="e2")]),
                  [item("x", points=10)], scoring=POINTS)
    result = evaluate(d, {"a": 1.5, "b": "pass", "c": "na", "x": "pass"})
    assert result.elements == (ElementScore("e1", "s0", 3.5, 5, 0.7), ElementScore("e2", "s0", 0, 0, None))
    assert [i.element_id for i in result.item_scores] == ["e1", "e1", "e2", None]
    # 3.5 + 10 of 15 applicable points
    assert result.sections[0].earned == 3.5 and result.score == 90


def test_elements_score_like_sections_with_percent():
    d = checklist(({"elements": ELEMENTS}, [item("a", element="e1"), item("b", element="e1"),
                                            item("c", element="e2"), item("note", "text", element="e2")]))
    result = evaluate(d, {"a": "pass", "b": "fail", "c": "na", "note": "ok"})
    assert result.elements == (ElementScore("e1", "s0", 1, 2, 0.5), ElementScore("e2", "s0", 0, 0, None))
    assert evaluate(checklist([item("a")]), {"a": "pass"}).elements == ()  # no elements declared


def test_real_standardization_file_scores_out_of_100():
    d = load_library().definitions["standardization-gbt33000"]
    assert d.version == 2
    scores = [i for _, i in d.all_items()]
    assert {i.answer for i in scores} == {"score"} and sum(i.points for i in scores) == 100
    assert [sum(i.points for i in s.items) for s in d.sections] == [15, 10, 10, 30, 15, 10, 5, 5]
    assert not {"major-hazard-unrectified", "fatal-accident-in-year", "serious-accident-in-year"} & {
        i.id for i in scores}
    for section in d.sections:  # each item sits in the second-level element its basis cites
        for i in section.items:
            assert i.basis.startswith(f"GB/T 33000-2016 {i.element[1:].replace('-', '.')}"), i.id
    full = {i.id: i.points for i in scores}
    result = evaluate(d, full)
    assert result.complete and result.score == 100 and result.grade == "level1" and not result.vetoed
    assert len(result.elements) == 28 and all(e.share == 1 for e in result.elements)
    # a deduction on paperwork opens no hazard; one on a site item does
    goals = evaluate(d, full | {"goals-set": 1.5, "warning-signs": 1})
    assert goals.needs_reason == ("goals-set", "warning-signs")
    assert [f.item_id for f in goals.findings] == ["warning-signs"] and goals.score == 98.5  # 100 − 0.5 − 1


# --- properties -----------------------------------------------------------------------

OPTIONS = [{"id": "o1", "zh": "一", "en": "one"}, {"id": "o2", "zh": "二", "en": "two", "fails": True},
           {"id": "o3", "zh": "三", "en": "three"}]
KINDS = ["pass_fail_na", "yes_no", "yes_no_judged", "number", "number_warn", "single_choice", "multi_choice",
         "text", "photo", "score"]


@st.composite
def definitions(draw):
    method = draw(st.sampled_from(["percent", "points"]))
    sections, earlier, n = [], [], 0
    for s in range(draw(st.integers(1, 3))):
        deduct = method == "points" and draw(st.booleans())
        items = []
        for _ in range(draw(st.integers(1, 5))):
            kind = draw(st.sampled_from(KINDS))
            if kind == "score" and (method != "points" or deduct):
                kind = "pass_fail_na"  # score items live in points scoring outside deduction sections
            keys = {"required": draw(st.sampled_from([None, True, False]))}
            answer = {"yes_no_judged": "yes_no", "number_warn": "number"}.get(kind, kind)
            if kind == "yes_no_judged":
                keys["fail_on"] = draw(st.sampled_from(["yes", "no"]))
            if answer == "number":
                keys |= {"min": 0, "max": 10, "out_of_range": "warn" if kind == "number_warn" else "fail"}
            if answer in ("single_choice", "multi_choice"):
                keys["options"] = OPTIONS
            can_fail = kind in ("pass_fail_na", "yes_no_judged", "number", "single_choice", "multi_choice", "score")
            if can_fail:
                keys["veto"] = draw(st.integers(0, 9)) == 0
                if draw(st.booleans()):
                    keys |= {"basis": "b", "on_fail": ON_FAIL}
                if method == "points":
                    keys["deduction" if deduct else "points"] = draw(st.integers(1, 20))
            gates = [g for g in earlier if g[1] in ("yes_no", "pass_fail_na", "number")]
            if gates and draw(st.booleans()):
                gate, gate_type = draw(st.sampled_from(gates))
                value = {"yes_no": "yes", "pass_fail_na": "pass", "number": "5"}[gate_type]
                op = ">" if gate_type == "number" else draw(st.sampled_from(["==", "!="]))
                keys["show_if"] = f"{gate} {op} {value}"
            n += 1
            items.append(item(f"i{n}", answer, **{k: v for k, v in keys.items() if v is not None}))
            earlier.append((f"i{n}", answer))
        sections.append(({"points": draw(st.integers(1, 30))}, items) if deduct else items)
    scoring = POINTS if method == "points" else {"method": "percent", "pass_mark": draw(st.integers(0, 100))}
    if method == "points" and not any(isinstance(s, tuple) for s in sections) and \
            not any("points" in i for s in sections for i in (s[1] if isinstance(s, tuple) else s)):
        sections.append([item("extra", points=1)])
    return checklist(*sections, scoring=scoring)


def answer_values(kind: str):
    junk = st.sampled_from([None, "", "maybe", 7, ["o9"], True])
    valid = {
        "pass_fail_na": st.sampled_from(["pass", "fail", "na"]),
        "yes_no": st.sampled_from(["yes", "no"]),
        "number": st.one_of(st.integers(-5, 15), st.floats(-5, 15, allow_nan=False)),
        "single_choice": st.sampled_from(["o1", "o2", "o3"]),
        "multi_choice": st.lists(st.sampled_from(["o1", "o2", "o3"]), unique=True, max_size=3),
        "text": st.text(max_size=5), "photo": st.just("photo.jpg"), "signature": st.just("sig"),
        "score": st.one_of(st.just("na"), st.integers(0, 40).map(lambda n: n / 2)),  # some above the points
    }[kind]
    return st.one_of(valid, valid, junk)


@st.composite
def cases(draw):
    d = draw(definitions())
    answers = {}
    for _, i in d.all_items():
        if draw(st.integers(0, 5)):  # sometimes leave unanswered
            answers[i.id] = draw(answer_values(i.answer))
    return d, answers


@settings(max_examples=300, deadline=None)
@given(cases())
def test_scores_stay_within_bounds(case):
    d, answers = case
    result = evaluate(d, answers)
    scale = 100 if d.scoring.method == "percent" else d.scoring.total
    assert result.score is None or 0 <= result.score <= scale
    assert 0 <= result.earned <= result.possible
    for section in result.sections:
        assert 0 <= section.earned <= section.possible
        assert section.share is None or 0 <= section.share <= 1


@settings(max_examples=300, deadline=None)
@given(cases())
def test_hidden_items_are_never_required_or_judged(case):
    d, answers = case
    result = evaluate(d, answers)
    visible = set(result.visible)
    assert set(result.missing) <= visible and set(result.failed) <= visible
    assert {f.item_id for f in result.findings} <= set(result.failed)
    assert {p.item_id for p in result.invalid} <= visible


@settings(max_examples=300, deadline=None)
@given(cases(), st.data())
def test_answers_to_hidden_items_are_ignored(case, data):
    d, answers = case
    result = evaluate(d, answers)
    changed = dict(answers)
    for _, i in d.all_items():
        if i.id not in result.visible:
            changed[i.id] = data.draw(answer_values(i.answer))
    assert evaluate(d, changed) == result


@settings(max_examples=200, deadline=None)
@given(cases())
def test_evaluation_is_deterministic(case):
    d, answers = case
    reordered = dict(reversed(list(answers.items())))
    assert evaluate(d, answers) == evaluate(d, reordered) == evaluate(d, dict(answers))


@settings(max_examples=300, deadline=None)
@given(cases())
def test_veto_means_failed_and_no_grade(case):
    d, answers = case
    result = evaluate(d, answers)
    if result.vetoed:
        assert not result.passed and result.grade is None
    if d.scoring.method == "percent":
        assert result.grade is None
