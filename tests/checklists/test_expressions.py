"""The show_if language: parsing, precedence, errors with columns, evaluation over answers."""
from __future__ import annotations

import pytest

from safetylist.checklists.expressions import (And, Compare, ExpressionError, Literal, Not, Or, comparisons,
                                               parse)


def test_comparison_with_hyphenated_item_and_bare_word():
    assert parse("uses-lpg == yes") == Compare("uses-lpg", "==", (Literal("word", "yes"),), 1)


def test_and_binds_tighter_than_or_and_not_tighter_than_and():
    expr = parse("a == yes or not b == no and c > 1")
    assert isinstance(expr, Or)
    left, right = expr.operands
    assert isinstance(left, Compare) and isinstance(right, And)
    assert isinstance(right.operands[0], Not)


def test_parentheses_override_precedence():
    expr = parse("(a == yes or b == yes) and c == pass")
    assert isinstance(expr, And) and isinstance(expr.operands[0], Or)


def test_literals():
    expr = parse("n >= -2.5 and s == 'a b' and t == \"x\" and m in ['lpg', 'pipeline',]")
    values = [c.values for c in comparisons(expr)]
    assert values == [(Literal("number", -2.5),), (Literal("string", "a b"),), (Literal("string", "x"),),
                      (Literal("string", "lpg"), Literal("string", "pipeline"))]


def test_numbers_keep_their_type():
    assert parse("n == 3").values[0].value == 3 and isinstance(parse("n == 3").values[0].value, int)


@pytest.mark.parametrize("text, column, fragment", [
    ("a = yes", 3, "use == to compare"),
    ("a == yes && b == no", 10, "use `and`"),
    ("a == ", 6, "expected a value"),
    ("a == maybe", 6, "expected a value"),
    ("(a == yes", 10, "expected `)`"),
    ("a == yes b == no", 10, "expected `and`, `or`"),
    ("== yes", 1, "expected an item id"),
    ("yes == a", 1, "expected an item id"),
    ("a yes", 3, "expected a comparison"),
    ("a in []", 7, "expected a value"),
    ("a in 'x'", 6, "`[` starting a list"),
    ("a == 'open", 6, "unterminated string"),
    ("", 1, "empty condition"),
    ("__import__('os').system('x')", 17, "unexpected character '.'"),  # never Python
])
def test_errors_carry_the_column(text, column, fragment):
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert caught.value.column == column
    assert fragment in caught.value.message
    assert str(caught.value).startswith(f"column {column}: ")


@pytest.mark.parametrize("text, answers, expected", [
    ("a == yes", {"a": "yes"}, True),
    ("a == yes", {"a": "no"}, False),
    ("a != yes", {"a": "no"}, True),
    ("a != yes", {}, False),  # a missing answer makes every comparison false
    ("not a == yes", {}, True),
    ("n > 2", {"n": 3}, True),
    ("n > 2", {"n": 2}, False),
    ("n <= 2.5", {"n": 2.5}, True),
    ("n < 2", {"n": "1"}, False),  # wrong type never compares
    ("n == 1", {"n": True}, False),  # a boolean is not a number
    ("n in [1, 2]", {"n": 2}, True),
    ("f in ['lpg', 'both']", {"f": "pipeline"}, False),
    ("f == 'lpg'", {"f": "lpg"}, True),
    ("m == 'lpg'", {"m": ["lpg", "pipeline"]}, True),  # multi_choice: == means "is chosen"
    ("m != 'lpg'", {"m": ["pipeline"]}, True),
    ("m in ['x', 'lpg']", {"m": ["lpg"]}, True),
    ("m in ['x']", {"m": []}, False),
    ("a == yes and (b == fail or n >= 10)", {"a": "yes", "b": "pass", "n": 10}, True),
    ("a == yes and (b == fail or n >= 10)", {"a": "yes", "b": "pass", "n": 9}, False),
    ("a == ''", {"a": ""}, False),
])
def test_evaluation(text, answers, expected):
    assert parse(text).evaluate(answers) is expected


def test_comparisons_lists_every_reference_in_order():
    assert [c.item for c in comparisons(parse("not (a == yes or b == no) and c > 1"))] == ["a", "b", "c"]


def test_parse_is_cached_and_asts_are_immutable():
    assert parse("a == yes") is parse("a == yes")
    with pytest.raises(AttributeError):
        parse("a == yes").op = "!="
