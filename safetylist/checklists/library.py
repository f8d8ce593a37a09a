"""Loading the checklist library: YAML with line numbers → schema (format.py) → semantic checks.

Every problem becomes a ChecklistError naming the file, the line and the field. A file with
any error yields no definition, so a broken checklist is never served. A version's identity
is the sha256 of the file's bytes (content_hash); its canonical form is
`definition.model_dump(mode="json")`.
"""
from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping, Optional, Union

import yaml
from pydantic import BaseModel, ValidationError

from safetylist.checklists import format as fmt
from safetylist.checklists.format import ChecklistDefinition
from safetylist.checklists.rules import check_definition

LIBRARY_DIR = Path(__file__).resolve().parent / "library"

Path_ = tuple[Union[str, int], ...]


@dataclass(frozen=True)
class ChecklistError:
    file: str
    line: int  # 1-based; 0 when the problem is not inside the file (e.g. it does not exist)
    field: str  # e.g. sections[0].items[3].points; "" for the file as a whole
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass(frozen=True)
class LibraryEntry:
    path: Path
    content_hash: str
    definition: ChecklistDefinition


@dataclass(frozen=True)
class Library:
    entries: Mapping[str, LibraryEntry] = field(default_factory=dict)  # by checklist id
    errors: tuple[ChecklistError, ...] = ()

    @property
    def definitions(self) -> dict[str, ChecklistDefinition]:
        return {checklist_id: entry.definition for checklist_id, entry in self.entries.items()}

    @property
    def ok(self) -> bool:
        return not self.errors


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def field_name(path: Path_) -> str:
    """('sections', 0, 'items', 3, 'points') → 'sections[0].items[3].points'."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# --- YAML with line numbers -------------------------------------------------------------

# libyaml's parser (bundled with the PyYAML wheels) is ~7× faster than the pure-Python one,
# which stays as a fallback; both record the line of every node.
class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """YAML 1.1 reads yes/no/on/off as booleans; here only true/false are, so `fail_on: no`
    and `show_if: a == yes` stay text."""


_BOOL = "tag:yaml.org,2002:bool"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


class _YamlProblem(Exception):
    def __init__(self, line: int, message: str, field: str = ""):
        super().__init__(message)
        self.line, self.message, self.field = line, message, field


def parse_yaml(text: str) -> tuple[object, dict[Path_, int]]:
    """The document and the line of every key and list element, by path. Raises _YamlProblem."""
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark, context = exc.problem_mark or exc.context_mark, exc.context_mark
            line = mark.line + 1 if mark else 1
            message = f"invalid YAML: {exc.problem or exc}"
            if exc.context and context and context.line + 1 != line:
                message += f" ({exc.context} started on line {context.line + 1})"
            raise _YamlProblem(line, message + _hint(text, line, context.line + 1 if context else line)) from None
        if node is None:
            raise _YamlProblem(1, "the file is empty")
        lines: dict[Path_, int] = {(): node.start_mark.line + 1}
        return _build(loader, node, (), lines), lines
    finally:
        loader.dispose()


def _hint(text: str, *lines: int) -> str:
    sources = [text.splitlines()[n - 1] for n in lines if 0 < n <= len(text.splitlines())]
    if any("\t" in source[:len(source) - len(source.lstrip())] for source in sources):
        return "; indent with spaces, not tabs"
    if any("{" in source for source in sources):
        return "; check the {…}: it needs its closing }, and text with , or : inside must be quoted"
    return ""


def _build(loader: _Loader, node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> object:
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolve `<<` merge keys
        result: dict[str, object] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            key = key if isinstance(key, str) else str(key)
            if key in result:  # PyYAML would silently keep the last one
                raise _YamlProblem(key_node.start_mark.line + 1,
                                   f"duplicate key {key!r} (first on line {lines[path + (key,)]})",
                                   field_name(path + (key,)))
            lines[path + (key,)] = key_node.start_mark.line + 1
            result[key] = _build(loader, value_node, path + (key,), lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        values = []
        for index, child in enumerate(node.value):
            lines[path + (index,)] = child.start_mark.line + 1
            values.append(_build(loader, child, path + (index,), lines))
        return values
    return loader.construct_object(node, deep=True)


def line_of(lines: Mapping[Path_, int], path: Path_) -> int:
    """The line of `path`, or of its nearest ancestor when the key is missing."""
    while path not in lines:
        path = path[:-1]
    return lines[path]


# --- schema errors --------------------------------------------------------------------

_KNOWN_KEYS = sorted({name for model in vars(fmt).values()
                      if isinstance(model, type) and issubclass(model, BaseModel)
                      for name in model.model_fields})


def _data_path(loc: tuple, data: object) -> Path_:
    """Map a pydantic `loc` onto the document, dropping union tags such as 'points'."""
    path: list[Union[str, int]] = []
    for position, part in enumerate(loc):
        last = position == len(loc) - 1
        if isinstance(data, dict):
            if part in data:
                data = data[part]
            elif not last:
                continue  # a discriminated-union tag, not a key of the file
            path.append(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
            path.append(part)
        else:
            path.append(part)
    return tuple(path)


def _shown(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)


_EXPECTED = {
    "int_type": "an integer", "int_parsing": "an integer", "int_from_float": "an integer",
    "float_type": "a number", "float_parsing": "a number",
    "string_type": "text", "bool_type": "true or false", "bool_parsing": "true or false",
    "list_type": "a list", "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)", "model_attributes_type": "a mapping (key: value)",
}
_TEXT_KEYS = {"title", "description", "ask", "help"}
_BOUNDS = {"greater_than": ">", "greater_than_equal": "≥", "less_than": "<", "less_than_equal": "≤"}


def _schema_message(error: dict, path: Path_) -> str:
    kind, ctx, value = error["type"], error.get("ctx", {}), error.get("input")
    if kind == "missing":
        key = path[-1]
        if key in ("zh", "en"):
            return f"missing {'Chinese' if key == 'zh' else 'English'} text ({key}); both languages are required"
        return f"missing required key {key!r}"
    if kind == "extra_forbidden":
        if len(path) > 1 and path[-2] in _TEXT_KEYS and value is None:
            return (f"unknown key {path[-1]!r} (a comma inside {{…}} splits the text: quote it, "
                    "or write zh: and en: on their own lines)")
        close = difflib.get_close_matches(str(path[-1]), _KNOWN_KEYS, n=1)
        return f"unknown key {path[-1]!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_shown(value)}"
    if kind == "literal_error":
        return f"expected {ctx['expected']}, got {_shown(value)}"
    if kind in _BOUNDS:
        bound = next(v for k, v in ctx.items())
        return f"must be {_BOUNDS[kind]} {bound}, got {_shown(value)}"
    if kind in ("too_short", "string_too_short"):
        return "must not be empty" if ctx.get("min_length") == 1 else f"needs at least {ctx['min_length']} entries"
    if kind == "union_tag_invalid":
        expected = " or ".join(str(ctx["expected_tags"]).rsplit(", ", 1))
        return f"expected {expected}, got {_shown(ctx['tag'])}"
    if kind == "union_tag_not_found":
        return "missing required key 'method'"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return error["msg"]


def _schema_errors(exc: ValidationError, data: object) -> list[tuple[Path_, str]]:
    problems = []
    for error in exc.errors():
        path = _data_path(error["loc"], data)
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            path += ("method",)
        problems.append((path, _schema_message(error, path)))
    return problems


# --- loading --------------------------------------------------------------------------

def load_file(path: Union[str, Path]) -> tuple[Optional[ChecklistDefinition], list[ChecklistError]]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [ChecklistError(display_path(path), 0, "", f"cannot read: {exc.strerror}")]
    return load_bytes(data, display_path(path))


def load_bytes(data: bytes, file: str) -> tuple[Optional[ChecklistDefinition], list[ChecklistError]]:
    """Parse, validate and check one file's content; `file` is the name used in errors."""
    return load_document(data, file, ChecklistDefinition, check_definition,
                         "a checklist file is a mapping of keys (id, version, title, …)")


def load_path(path: Union[str, Path], model: type[BaseModel], check, what: str):
    """`load_document` of a file on disk; a file that cannot be read is one error naming it."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [ChecklistError(display_path(path), 0, "", f"cannot read: {exc.strerror}")]
    return load_document(data, display_path(path), model, check, what)


class DataFileError(RuntimeError):
    """A data file the app runs on (rules, not a checklist) has errors: it fails loudly."""


@lru_cache(maxsize=16)
def _loaded(path: str, loader) -> BaseModel:
    document, errors = loader(Path(path))
    if errors:
        raise DataFileError("\n".join(str(error) for error in errors))
    return document


def app_document(config_key: str, default: Path, loader) -> BaseModel:
    """The app's data file — the path in `config_key`, else `default` — loaded and validated once."""
    from flask import current_app, has_app_context
    configured = current_app.config.get(config_key) if has_app_context() else ""
    return _loaded(str(configured or default), loader)


def checked_document_or_exit(path: Optional[Path], config_key: str, default: Path, loader) -> BaseModel:
    """For `flask … check`: load `path` (else the app's configured file), print every error to
    stderr and exit 1 if there are any; a clean document is returned for the command to list."""
    import sys

    import click
    from flask import current_app
    path = path or Path(current_app.config.get(config_key) or default)
    document, errors = loader(path)
    for error in errors:
        click.echo(str(error), err=True)
    if errors:
        sys.exit(1)
    return document


def load_document(data: bytes, file: str, model: type[BaseModel], check, what: str):
    """Any YAML data file of the app: UTF-8 → YAML with lines → `model` → `check(document,
    line_of)`, which lists (path, message) problems. Every error names file, line and field."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [ChecklistError(file, data[:exc.start].count(b"\n") + 1, "",
                                     "the file is not UTF-8 text")]
    try:
        document, lines = parse_yaml(text)
    except _YamlProblem as problem:
        return None, [ChecklistError(file, problem.line, problem.field, problem.message)]
    if not isinstance(document, dict):
        return None, [ChecklistError(file, 1, "", f"{what}, got {_shown(document)}")]
    try:
        definition = model.model_validate(document)
    except ValidationError as exc:
        problems = _schema_errors(exc, document)
    else:
        problems = check(definition, lambda p: line_of(lines, p))
    errors = [ChecklistError(file, line_of(lines, path), field_name(path), message) for path, message in problems]
    errors.sort(key=lambda e: e.line)
    return (None if errors else definition), errors


def _files(paths: Iterable[Union[str, Path]]) -> list[Path]:
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()))
        else:
            found.append(path)
    return found


def load_library(paths: Union[str, Path, Iterable[Union[str, Path]], None] = None) -> Library:
    """Load every checklist file (a directory means its *.yaml files), default the library dir.

    Checklist ids are unique across the library: a second file with a taken id is refused
    (files are read in name order, so the result is deterministic).
    """
    if paths is None:
        paths = [LIBRARY_DIR]
    elif isinstance(paths, (str, Path)):
        paths = [paths]
    entries: dict[str, LibraryEntry] = {}
    errors: list[ChecklistError] = []
    for path in _files(paths):
        try:
            data = path.read_bytes()
        except OSError as exc:
            errors.append(ChecklistError(display_path(path), 0, "", f"cannot read: {exc.strerror}"))
            continue
        definition, file_errors = load_bytes(data, display_path(path))
        errors.extend(file_errors)
        if definition is None:
            continue
        if definition.id in entries:
            first = display_path(entries[definition.id].path)
            _, lines = parse_yaml(data.decode("utf-8"))
            errors.append(ChecklistError(display_path(path), line_of(lines, ("id",)), "id",
                                         f"duplicate checklist id {definition.id!r} (already defined in {first})"))
            continue
        entries[definition.id] = LibraryEntry(path, content_hash(data), definition)
    return Library(entries, tuple(errors))
