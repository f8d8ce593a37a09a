"""Loading and validating checklist files: every broken fixture fails with its line and reason,
the real library is clean, and the `flask checklists validate` command reports both."""
from __future__ import annotations

import hashlib
from pathlib import Path

import flask
import pytest

from safetylist.checklists.cli import checklists_cli
from safetylist.checklists.format import ChecklistDefinition
from safetylist.checklists.library import (LIBRARY_DIR, ChecklistError, content_hash, load_file,
                                           load_library)

BROKEN = Path(__file__).parent / "fixtures" / "broken"

# file, line, field, fragment of the message
CASES = [
    ("unknown-key", 19, "sections[0].items[1].hepl", "unknown key 'hepl' (did you mean 'help'?)"),
    ("duplicate-item-id", 19, "sections[0].items[2].id", "duplicate item id 'alarm' (first on line 16)"),
    ("duplicate-section-id", 19, "sections[1].id", "duplicate section id 'gas' (first on line 10)"),
    ("show-if-unknown-item", 19, "sections[0].items[1].show_if", "unknown item 'uses-gas'"),
    ("show-if-later-item", 19, "sections[0].items[1].show_if", "'has-kitchen' comes later (line 20)"),
    ("show-if-self-cycle", 19, "sections[0].items[1].show_if", "cycle: item 'alarm' depends on its own answer"),
    ("bad-expression", 19, "sections[0].items[1].show_if", "column 10: bad expression: unexpected character '='"),
    ("show-if-type-mismatch", 19, "sections[0].items[1].show_if", "> needs a number item, but 'uses-lpg'"),
    ("option-not-in-options", 22, "sections[0].items[1].show_if", "'coal' is not an option of 'fuel'"),
    ("points-not-integer", 20, "sections[0].items[0].points", "expected an integer, got 'many'"),
    ("missing-zh-title", 4, "title.zh", "missing Chinese text (zh)"),
    ("bad-kind", 5, "kind", "got 'inspection'"),
    ("bad-sector", 10, "applies_to.sectors[1]", "unknown sector 'restaurants'"),
    ("bad-flag", 9, "applies_to.flags[0]", "got 'gas'"),
    ("number-min-above-max", 22, "sections[0].items[2].min", "min 5 is greater than max 2"),
    ("grades-not-descending", 13, "scoring.grades[1].min", "grades must go from highest to lowest"),
    ("tab-indent", 18, "", "indent with spaces, not tabs"),
    ("empty-sections", 9, "sections", "must not be empty"),
    ("on-fail-not-failable", 22, "sections[0].items[2].on_fail", "text answers are never judged"),
    ("on-fail-without-basis", 16, "sections[0].items[1].basis", "needs a basis"),
    ("points-with-percent", 19, "sections[0].items[1].points", "only with scoring method points"),
    ("duplicate-yaml-key", 19, "sections[0].items[1].answer", "duplicate key 'answer' (first on line 18)"),
    ("unclosed-brace", 12, "", "flow mapping started on line 11"),
    ("comma-in-braces", 17, "sections[0].items[1].ask.or not", "a comma inside {…} splits the text"),
    ("choice-without-options", 19, "sections[0].items[2].options", "single_choice items need options"),
    ("version-zero", 3, "version", "must be ≥ 1, got 0"),
    ("not-a-mapping", 1, "", "a checklist file is a mapping of keys"),
    # score items
    ("score-without-points", 21, "sections[0].items[1].points", "missing: a score item needs points"),
    ("score-with-percent", 15, "sections[0].items[0].answer", "score items need scoring method points"),
    ("score-in-deduction-section", 20, "sections[0].items[0].answer",
     "a score item cannot be in a section with points (a deduction section)"),
    ("score-with-deduction", 21, "sections[0].items[0].deduction", "a score item has no deduction"),
    ("score-with-fail-on", 21, "sections[0].items[0].fail_on", "only yes_no items have fail_on (this item is score)"),
    ("score-with-options", 21, "sections[0].items[0].options",
     "only single_choice and multi_choice items have options (this item is score)"),
    ("score-with-unit", 21, "sections[0].items[0].unit", "only number items have unit (this item is score)"),
    ("show-if-score-item", 25, "sections[0].items[1].show_if",
     "column 1: 'goals-set' is a score item; its answer cannot be compared"),
    # second-level elements
    ("bad-element-id", 17, "sections[0].elements[0].id", "'E5.1.1' is not a valid id"),
    ("duplicate-element-id", 27, "sections[1].elements[0].id", "duplicate element id 'e5-1-1' (first on line 17)"),
    ("item-without-element", 24, "sections[0].items[1].element",
     "missing: items of a section with elements name their element (one of e5-1-1)"),
    ("element-of-another-section", 38, "sections[1].items[1].element",
     "element 'e5-1-1' belongs to section 'goals', not 'rules'"),
    ("unknown-element", 28, "sections[0].items[1].element", "unknown element 'e5-1-9' (this section's: e5-1-1)"),
    ("element-without-elements", 21, "sections[0].items[0].element",
     "element on an item of section 'goals', which declares no elements"),
    ("unused-element", 18, "sections[0].elements[1].id", "element 'e5-1-2' has no items"),
]


@pytest.mark.parametrize("name, line, field, fragment", CASES, ids=[case[0] for case in CASES])
def test_broken_file_fails_with_line_field_and_reason(name, line, field, fragment):
    definition, errors = load_file(BROKEN / f"{name}.yaml")
    assert definition is None
    assert len(errors) == 1, errors
    error = errors[0]
    assert (error.line, error.field) == (line, field)
    assert fragment in error.message
    assert str(error).startswith(f"tests/checklists/fixtures/broken/{name}.yaml:{line}: ") \
        or str(error).startswith(f"{BROKEN / name}.yaml:{line}: ")


def test_every_broken_fixture_is_in_the_table():
    assert {p.stem for p in BROKEN.glob("*.yaml")} == {case[0] for case in CASES}


def test_the_real_library_validates_cleanly():
    library = load_library()
    assert library.errors == (), "\n".join(map(str, library.errors))
    assert {"general-daily", "gas-catering"} <= set(library.entries)


def test_every_library_item_cites_its_basis():
    for definition in load_library().definitions.values():
        for _, item in definition.all_items():
            assert item.basis, f"{definition.id}: {item.id} has no basis"


def test_error_renders_as_file_line_field_message():
    error = ChecklistError("library/x.yaml", 12, "sections[0].items[3].points", "expected an integer, got 'many'")
    assert str(error) == "library/x.yaml:12: sections[0].items[3].points: expected an integer, got 'many'"
    assert str(ChecklistError("x.yaml", 3, "", "invalid YAML")) == "x.yaml:3: invalid YAML"


def test_missing_file_is_an_error_not_a_crash(tmp_path):
    definition, errors = load_file(tmp_path / "nope.yaml")
    assert definition is None and "cannot read" in errors[0].message


def test_yes_and_no_stay_text_not_booleans(tmp_path):
    source = (LIBRARY_DIR / "gas-catering.yaml").read_text(encoding="utf-8")
    definition, errors = load_file(LIBRARY_DIR / "gas-catering.yaml")
    assert errors == [] and "fail_on: yes" in source
    item = next(item for _, item in definition.all_items() if item.id == "cylinders-in-basement")
    assert item.fail_on == "yes"


def test_duplicate_checklist_id_refuses_the_later_file(tmp_path):
    data = (LIBRARY_DIR / "general-daily.yaml").read_bytes()
    (tmp_path / "a.yaml").write_bytes(data)
    (tmp_path / "b.yaml").write_bytes(data.replace(b"version: 1", b"version: 2"))
    library = load_library(tmp_path)
    assert library.entries["general-daily"].path.name == "a.yaml"
    [error] = library.errors
    assert error.file.endswith("b.yaml") and error.field == "id"
    assert "duplicate checklist id 'general-daily'" in error.message and "a.yaml" in error.message


def test_a_broken_file_does_not_stop_the_others(tmp_path):
    (tmp_path / "good.yaml").write_bytes((LIBRARY_DIR / "gas-catering.yaml").read_bytes())
    (tmp_path / "bad.yaml").write_bytes((BROKEN / "bad-kind.yaml").read_bytes())
    library = load_library(tmp_path)
    assert list(library.entries) == ["gas-catering"] and not library.ok


def test_content_hash_is_the_sha256_of_the_bytes():
    data = (LIBRARY_DIR / "gas-catering.yaml").read_bytes()
    entry = load_library().entries["gas-catering"]
    assert entry.content_hash == content_hash(data) == hashlib.sha256(data).hexdigest()
    assert content_hash(data + b"\n") != entry.content_hash


def test_canonical_json_round_trips():
    for definition in load_library().definitions.values():
        stored = definition.model_dump(mode="json")
        assert ChecklistDefinition.model_validate(stored) == definition


def _cli():
    app = flask.Flask("checklists-test")
    app.cli.add_command(checklists_cli)
    return app.test_cli_runner()


def test_cli_validates_the_library_by_default():
    result = _cli().invoke(args=["checklists", "validate"])
    assert result.exit_code == 0, result.output
    assert "0 error(s)" in result.output


def test_cli_reports_every_broken_file_and_exits_1():
    result = _cli().invoke(args=["checklists", "validate", str(BROKEN)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == len(CASES) + 1
    assert any(line.endswith("points-not-integer.yaml:20: sections[0].items[0].points: expected an integer, "
                             "got 'many'") for line in lines)
    assert lines[-1].startswith(f"0 checklist(s) valid, {len(CASES)} error(s) in {len(CASES)} file(s)")
