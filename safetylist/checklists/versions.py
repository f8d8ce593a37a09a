"""The library the app serves, and the immutable stored versions runs point at.

At start-up the library directory is loaded and validated (no database needed); a broken
file is reported in the log and its checklist is not served. A file's content becomes a
stored `ChecklistVersion` (keyed by content hash) the first time a run uses it, so
changing a file later never changes old runs.
"""
from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from safetylist.checklists.format import ChecklistDefinition
from safetylist.checklists.library import LIBRARY_DIR, Library, LibraryEntry, load_library
from safetylist.checklists.models import ChecklistVersion
from safetylist.extensions import db


def init_app(app: Flask) -> None:
    library = load_library(app.config.get("CHECKLIST_LIBRARY") or LIBRARY_DIR)
    for error in library.errors:
        app.logger.error("checklist library: %s (this checklist is not served)", error)
    app.extensions["checklist_library"] = library


def library() -> Library:
    return current_app.extensions["checklist_library"]


def entry(checklist_key: str) -> LibraryEntry | None:
    return library().entries.get(checklist_key)


def stored_version(item: LibraryEntry) -> ChecklistVersion:
    """The stored version for this file content, created on first use."""
    found = db.session.scalars(select(ChecklistVersion).where(
        ChecklistVersion.content_hash == item.content_hash)).first()
    if found is not None:
        return found
    definition = item.definition
    version = ChecklistVersion(
        checklist_key=definition.id, number=definition.version, content_hash=item.content_hash,
        title_zh=definition.title.zh, title_en=definition.title.en, kind=definition.kind,
        audience=definition.audience, frequency=definition.frequency,
        definition=definition.model_dump(mode="json"), source=item.path.name)
    try:
        with db.session.begin_nested():  # another process may store the same content at once
            db.session.add(version)
    except IntegrityError:
        return db.session.scalars(select(ChecklistVersion).where(
            ChecklistVersion.content_hash == item.content_hash)).one()
    return version


def definition_of(version: ChecklistVersion) -> ChecklistDefinition:
    return _parse(version.content_hash, version.definition)


_definitions: dict[str, ChecklistDefinition] = {}


def _parse(content_hash: str, data: dict) -> ChecklistDefinition:
    # Versions never change, so a parsed definition can be kept for the life of the process.
    definition = _definitions.get(content_hash)
    if definition is None:
        definition = ChecklistDefinition.model_validate(data, strict=False)
        _definitions[content_hash] = definition
    return definition
