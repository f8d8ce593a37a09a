"""data/grading.yaml is checked strictly: every mistake names the file, the line and the field."""
from __future__ import annotations

from pathlib import Path

from safetylist.standardization.grading import GRADING_FILE, load_grading

GOOD = GRADING_FILE.read_text(encoding="utf-8")


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "grading.yaml"
    path.write_text(text, encoding="utf-8")
    document, errors = load_grading(path)
    assert (document is None) == bool(errors)
    return [str(error) for error in errors]


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_the_bundled_file_is_valid(tmp_path):
    assert problems(tmp_path, GOOD) == []


def test_a_veto_missing_the_key_its_kind_needs(tmp_path):
    text = GOOD.replace("    deaths_at_least: 1\n", "")
    found = problems(tmp_path, text)
    assert len(found) == 1
    assert f"grading.yaml:{line_of(text, '    kind: accidents')}" in found[0]
    assert "kind" in found[0] and "needs deaths_at_least" in found[0]


def test_a_key_a_kind_ignores(tmp_path):
    text = GOOD.replace("    severity: major\n", "    severity: major\n    months: 12\n")
    found = problems(tmp_path, text)
    assert len(found) == 1 and "months has no meaning for a veto of kind open_hazards" in found[0]


def test_unknown_keys_placeholders_and_duplicates(tmp_path):
    text = GOOD.replace("validity_years: 3", "validity_years: 3\nvalidity_months: 2")
    assert any("validity_months" in p for p in problems(tmp_path, text))
    text = GOOD.replace("（{count}起）", "（{n}起）", 1)
    assert any("unknown placeholder(s) n" in p for p in problems(tmp_path, text))
    text = GOOD.replace("id: serious-accidents", "id: fatal-accident")
    assert any("duplicate veto id 'fatal-accident'" in p for p in problems(tmp_path, text))
    text = GOOD.replace('certificate_grade: "2"', 'certificate_grade: "1"')
    assert any("duplicate certificate grade '1'" in p for p in problems(tmp_path, text))
    text = GOOD.replace("{sequence:03d}", "{seq}")
    assert any("number" in p for p in problems(tmp_path, text))


def test_the_check_command_names_the_error_and_fails(app, tmp_path):
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["standardization", "check"])
    assert ok.exit_code == 0 and "veto fatal-accident" in ok.output
    bad = tmp_path / "grading.yaml"
    bad.write_text(GOOD.replace("validity_years: 3", "validity_years: 0"), encoding="utf-8")
    refused = runner.invoke(args=["standardization", "check", str(bad)])
    assert refused.exit_code == 1 and f"grading.yaml:{line_of(GOOD, 'validity_years: 3')}" in refused.output


def test_the_grades_name_the_checklists_grades_in_the_same_order(app):
    from safetylist.checklists import versions
    from safetylist.standardization.grading import rules
    checklist = versions.entry(rules().checklist).definition
    assert checklist.kind == "standardization"
    assert [g.checklist_grade for g in rules().grades] == [g.id for g in checklist.scoring.grades]
