"""All-or-nothing import of the enterprise register from .xlsx or .csv (UTF-8 or GBK).

Every row is checked before anything is written; one bad row rejects the file, and
the result lists every bad row with its row number, column and reason.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from safetylist.audit.services import record
from safetylist.auth.scope import Scope
from safetylist.errors import PermissionDenied
from safetylist.extensions import db
from safetylist.grid.models import Grid
from safetylist.registry import services
from safetylist.registry.columns import COLUMNS, FALSE_WORDS, RISK_WORDS, STATUS_WORDS, TRUE_WORDS
from safetylist.registry.models import Community, Enterprise, Sector, Street
# read_table is re-exported: tests and bench read exported files the way the importer does.
from safetylist.spreadsheet import (Column, ImportResult, RowError, cell_text, checked_rows, parse_date,  # noqa: F401
                                    read_table, split_table)

MAX_ROWS = 20_000


# --- turning cells into values ----------------------------------------------------------------
def sector_names() -> dict[str, int]:
    """Every way a file names a sector (code, Chinese or English name) → its id."""
    names: dict[str, int] = {}
    for s in db.session.scalars(select(Sector)):
        for key in (s.code, s.name_zh, s.name_en.lower()):
            names[key] = s.id
    return names


def street_names() -> dict[str, int]:
    """Every way a file names a street (code, name with or without 街道 / Subdistrict) → its id."""
    names: dict[str, int] = {}
    for s in db.session.scalars(select(Street)):
        for key in (s.code, s.name_zh, s.name_zh.removesuffix("街道"), s.name_en.lower(),
                    s.name_en.lower().removesuffix(" subdistrict")):
            names[key] = s.id
    return names


def sector_of(text: str, names: dict[str, int]) -> int:
    """The sector a non-blank cell names, or ValueError with the reason."""
    sector = names.get(text) or names.get(text.lower())
    if sector is None:
        raise ValueError(_("unknown sector '%(value)s'", value=text))
    return sector


def street_of(text: str, names: dict[str, int]) -> int:
    """The street a non-blank cell names, or ValueError with the reason."""
    street = names.get(text) or names.get(text.lower())
    if street is None:
        raise ValueError(_("unknown street '%(value)s'", value=text))
    return street


class _Lookup:
    """Name → id maps for sectors, streets, communities and grids, loaded once per import."""

    def __init__(self):
        self.sectors = sector_names()
        self.streets = street_names()
        self.communities: dict[tuple[int, str], int] = {}
        for c in db.session.scalars(select(Community)):
            for key in (c.code, c.name_zh, c.name_zh.removesuffix("社区")):
                self.communities[(c.street_id, key)] = c.id
        self.grids: dict[tuple[int, str], int] = {}
        for g in db.session.scalars(select(Grid)):
            for key in (g.code, g.name):
                self.grids[(g.community_id, key)] = g.id


def _convert(column: Column, raw, row: dict, lookup: _Lookup):
    """The value for one cell, or ValueError with the reason."""
    text = cell_text(raw)
    if column.kind == "text":
        return text
    if not text:
        return False if column.kind == "flag" else ("active" if column.kind == "status" else None)
    if column.kind == "sector":
        return sector_of(text, lookup.sectors)
    if column.kind == "street":
        return street_of(text, lookup.streets)
    if column.kind == "community":
        if not row.get("street_id"):
            return None  # the street's own error is reported
        community = lookup.communities.get((row["street_id"], text))
        if community is None:
            raise ValueError(_("no community '%(value)s' in this street", value=text))
        return community
    if column.kind == "grid":
        if not row.get("community_id"):
            raise ValueError(_("a grid needs its community"))
        grid = lookup.grids.get((row["community_id"], text))
        if grid is None:
            raise ValueError(_("no grid '%(value)s' in this community", value=text))
        return grid
    if column.kind == "risk":
        if text.lower() not in RISK_WORDS:
            raise ValueError(_("risk level must be 红/橙/黄/蓝 (red/orange/yellow/blue), not '%(value)s'",
                               value=text))
        return RISK_WORDS[text.lower()]
    if column.kind == "status":
        if text.lower() not in STATUS_WORDS:
            raise ValueError(_("unknown status '%(value)s'", value=text))
        return STATUS_WORDS[text.lower()]
    if column.kind == "flag":
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in FALSE_WORDS:
            return False
        raise ValueError(_("write 是 or 否 (yes or no), not '%(value)s'", value=text))
    if column.kind == "int":
        try:
            number = float(text)
        except ValueError:
            raise ValueError(_("'%(value)s' is not a whole number", value=text))
        if not number.is_integer() or number < 0:
            raise ValueError(_("'%(value)s' is not a whole number", value=text))
        return int(number)
    if column.kind == "date":
        return parse_date(raw)
    raise AssertionError(column.kind)


# --- the import ------------------------------------------------------------------------------
def parse_rows(actor, table: list[list]) -> tuple[list[dict], list[RowError]]:
    """Validate every row; returns the clean rows and every error found."""
    mapping, body, errors = split_table(table, COLUMNS, MAX_ROWS)
    if errors:
        return [], errors
    scope = Scope(actor)
    lookup = _Lookup()
    lookups = services.Lookups.load()
    header_of = {column.key: cell_text(table[0][index]) for index, column in mapping.items()}
    ordered = sorted(mapping.items(), key=lambda item: COLUMNS.index(item[1]))  # street before community
    rows: list[dict] = []
    first_seen: dict[str, int] = {}
    for number, cells in body:
        row: dict = {}
        row_errors: dict[str, str] = {}
        for index, column in ordered:
            raw = cells[index] if index < len(cells) else None
            try:
                row[column.key] = _convert(column, raw, row, lookup)
            except ValueError as exc:
                row_errors[column.key] = str(exc)
        for name, reason in services.check_enterprise(row, scope, lookups).items():
            row_errors.setdefault(name, reason)
        code = row.get("credit_code")
        if code and "credit_code" not in row_errors:
            if code in first_seen:
                row_errors["credit_code"] = _("duplicate of row %(row)d in this file", row=first_seen[code])
            else:
                first_seen[code] = number
        errors.extend(RowError(number, header_of.get(name, name), reason) for name, reason in row_errors.items())
        row["_row"] = number
        rows.append(row)
    in_database = services.duplicate_codes(list(first_seen))
    for row in rows:
        if row.get("credit_code") in in_database and first_seen.get(row["credit_code"]) == row["_row"]:
            errors.append(RowError(row["_row"], header_of["credit_code"],
                                   _("an enterprise with this credit code is already registered")))
    errors.sort(key=lambda e: e.row)  # stable: within a row, errors keep column order
    return rows, errors


def import_enterprises(actor, filename: str, content: bytes) -> ImportResult:
    """Import every row or none. Returns the result; `errors` is empty on success."""
    if not Scope(actor).can_import():
        raise PermissionDenied(_("You may not import enterprises."))
    result, rows = checked_rows(filename, content, lambda table: parse_rows(actor, table))
    if not result.ok:
        return result
    try:
        enterprises = [Enterprise(**{k: v for k, v in row.items() if k != "_row"}) for row in rows]
        db.session.add_all(enterprises)
        db.session.flush()
        record(actor, "enterprises_imported", None, filename=filename[:200], count=len(enterprises))
        db.session.commit()
    except IntegrityError:
        # Someone registered one of these codes between our check and our write.
        db.session.rollback()
        result.errors = [RowError(0, "", _("Another user registered some of these enterprises meanwhile; "
                                           "nothing was imported. Please import the file again."))]
        return result
    result.created = len(enterprises)
    return result
