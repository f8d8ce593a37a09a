"""The `show_if` condition language: tokenizer, recursive-descent parser, AST and evaluation.

A condition compares earlier answers with literals, e.g. `uses-lpg == yes and cylinders > 2`.
It is parsed into a few frozen dataclasses and evaluated by walking them — never by Python
`eval`. Grammar (lowest precedence first), documented in docs/checklist-format.md:

    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" expr ")" | comparison
    comparison := ITEM ("==" | "!=" | "<" | "<=" | ">" | ">=") value | ITEM "in" list
    list       := "[" value ("," value)* [","] "]"
    value      := NUMBER | 'string' | "string" | yes | no | pass | fail | na
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, Mapping, Union

WORDS = frozenset({"yes", "no", "pass", "fail", "na"})  # bare literal words (answers)
KEYWORDS = frozenset({"and", "or", "not", "in"})
RESERVED = WORDS | KEYWORDS  # cannot be item ids: they would be ambiguous in a condition
ORDERING = frozenset({"<", "<=", ">", ">="})
OPERATORS = frozenset({"==", "!="}) | ORDERING

# Item ids may contain hyphens; there is no arithmetic, so `a-1` is one name and a minus sign
# can only start a number literal.
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<op>==|!=|<=|>=|<|>)
  | (?P<punct>[()\[\],])
""", re.VERBOSE)

_HINTS = {"=": "use == to compare", "&": "use `and`", "|": "use `or`", "!": "use `not` or !="}


class ExpressionError(ValueError):
    """A condition that cannot be parsed; `column` is 1-based within the expression text."""

    def __init__(self, message: str, column: int):
        super().__init__(f"column {column}: {message}")
        self.message = message
        self.column = column


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # number | name | string | op | punct | end
    text: str
    column: int


@dataclass(frozen=True, slots=True)
class Literal:
    kind: str  # number | string | word
    value: Union[int, float, str]

    def __str__(self) -> str:
        return repr(self.value) if self.kind == "string" else str(self.value)


@dataclass(frozen=True, slots=True)
class Compare:
    item: str
    op: str  # ==, !=, <, <=, >, >=, in
    values: tuple[Literal, ...]  # one value, or the list for `in`
    column: int  # of the item name, for error messages

    def evaluate(self, answers: Mapping[str, object]) -> bool:
        answer = answers.get(self.item)
        if answer is None or answer == "" or answer == []:
            return False  # a missing answer makes every comparison false, `!=` included
        if isinstance(answer, (list, tuple)):  # multi_choice: == "is chosen", in "any chosen"
            chosen = set(answer)
            wanted = {v.value for v in self.values}
            if self.op == "==" or self.op == "in":
                return bool(chosen & wanted)
            if self.op == "!=":
                return not chosen & wanted
            return False
        if self.op == "in":
            return any(_equal(answer, v.value) for v in self.values)
        value = self.values[0].value
        if self.op == "==":
            return _equal(answer, value)
        if self.op == "!=":
            return not _equal(answer, value)
        if not (_is_number(answer) and _is_number(value)):
            return False
        return {"<": answer < value, "<=": answer <= value,
                ">": answer > value, ">=": answer >= value}[self.op]


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr

    def evaluate(self, answers: Mapping[str, object]) -> bool:
        return not self.operand.evaluate(answers)


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Expr, ...]

    def evaluate(self, answers: Mapping[str, object]) -> bool:
        return all(o.evaluate(answers) for o in self.operands)


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Expr, ...]

    def evaluate(self, answers: Mapping[str, object]) -> bool:
        return any(o.evaluate(answers) for o in self.operands)


Expr = Union[Compare, Not, And, Or]


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equal(answer: object, value: object) -> bool:
    if _is_number(answer) != _is_number(value):
        return False  # 1 == "1" is a type mismatch, not a match
    return answer == value


def tokenize(text: str) -> list[Token]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            char = text[position]
            hint = _HINTS.get(char, "")
            if char in "'\"":
                raise ExpressionError("unterminated string", position + 1)
            raise ExpressionError(f"unexpected character {char!r}" + (f" ({hint})" if hint else ""),
                                  position + 1)
        if match.lastgroup != "space":
            tokens.append(Token(match.lastgroup, match.group(), position + 1))
        position = match.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, text: str) -> bool:
        return self.current.kind in ("name", "op", "punct") and self.current.text == text

    def expect(self, text: str, what: str) -> Token:
        if not self.at(text):
            raise self.error(f"expected {what}")
        return self.advance()

    def error(self, expected: str) -> ExpressionError:
        token = self.current
        found = "end of expression" if token.kind == "end" else repr(token.text)
        return ExpressionError(f"{expected}, found {found}", token.column)

    def parse(self) -> Expr:
        if self.current.kind == "end":
            raise ExpressionError("empty condition", 1)
        expr = self.or_expr()
        if self.current.kind != "end":
            raise self.error("expected `and`, `or` or the end of the condition")
        return expr

    def or_expr(self) -> Expr:
        operands = [self.and_expr()]
        while self.at("or"):
            self.advance()
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_expr(self) -> Expr:
        operands = [self.not_expr()]
        while self.at("and"):
            self.advance()
            operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def not_expr(self) -> Expr:
        if self.at("not"):
            self.advance()
            return Not(self.not_expr())
        if self.at("("):
            self.advance()
            expr = self.or_expr()
            self.expect(")", "`)`")
            return expr
        return self.comparison()

    def comparison(self) -> Compare:
        token = self.current
        if token.kind != "name" or token.text in RESERVED:
            raise self.error("expected an item id")
        self.advance()
        if self.at("in"):
            self.advance()
            return Compare(token.text, "in", self.value_list(), token.column)
        if self.current.kind != "op":
            raise self.error(f"expected a comparison (== != < <= > >= in) after {token.text!r}")
        op = self.advance().text
        return Compare(token.text, op, (self.value(),), token.column)

    def value_list(self) -> tuple[Literal, ...]:
        self.expect("[", "`[` starting a list")
        values = [self.value()]
        while self.at(","):
            self.advance()
            if self.at("]"):
                break  # trailing comma
            values.append(self.value())
        self.expect("]", "`,` or `]`")
        return tuple(values)

    def value(self) -> Literal:
        token = self.current
        if token.kind == "number":
            self.advance()
            number = float(token.text) if "." in token.text else int(token.text)
            return Literal("number", number)
        if token.kind == "string":
            self.advance()
            return Literal("string", token.text[1:-1])
        if token.kind == "name" and token.text in WORDS:
            self.advance()
            return Literal("word", token.text)
        raise self.error("expected a value (a number, a 'quoted' option id, yes, no, pass, fail or na)")


@lru_cache(maxsize=4096)
def parse(text: str) -> Expr:
    """Parse a condition; raises ExpressionError. Cached: the same text always gives the same AST."""
    return _Parser(text).parse()


def comparisons(expr: Expr) -> Iterator[Compare]:
    """Every comparison in the condition, left to right (for reference and type checks)."""
    if isinstance(expr, Compare):
        yield expr
    elif isinstance(expr, Not):
        yield from comparisons(expr.operand)
    else:
        for operand in expr.operands:
            yield from comparisons(operand)


def as_json(expr: Expr) -> dict:
    """The condition as plain JSON for the fill page's script (static/js/conditions.js).

    The browser evaluates exactly this tree, so pages and server share one parse of every
    condition; the server still re-evaluates everything on submit.
    """
    if isinstance(expr, Compare):
        return {"cmp": expr.op, "item": expr.item, "values": [v.value for v in expr.values]}
    if isinstance(expr, Not):
        return {"not": as_json(expr.operand)}
    return {"and" if isinstance(expr, And) else "or": [as_json(o) for o in expr.operands]}
