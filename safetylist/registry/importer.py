"""All-or-nothing import of the enterprise register from .xlsx or .csv (UTF-8 or GBK).

Every row is checked before anything is written; one bad row rejects the file, and
the result lists every bad row with its row number, column and reason.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from safetylist.audit.services import record
from safetylist.auth.scope import Scope
from safetylist.errors import PermissionDenied
from safetylist.extensions import db
from safetylist.grid.models import Grid
from safetylist.registry import services
from safetylist.registry.columns import (COLUMNS, FALSE_WORDS, RISK_WORDS, STATUS_WORDS, TRUE_WORDS,
                                         Column)
from safetylist.registry.models import Community, Enterprise

MAX_ROWS = 20_000


@dataclass(frozen=True)
class RowError:
    row: int        # as the spreadsheet numbers it: the header is row 1
    column: str     # the header as written in the file ('' for whole-file problems)
    reason: str

    def __str__(self) -> str:
        if self.column:
            return _("row %(row)d, %(column)s: %(reason)s", row=self.row, column=self.column, reason=self.reason)
        return _("row %(row)d: %(reason)s", row=self.row, reason=self.reason)


@dataclass
class ImportResult:
    filename: str
    created: int = 0
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class ImportRejected(Exception):
    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


# --- reading files -------------------------------------------------------------------------
def read_table(filename: str, content: bytes) -> list[list]:
    """Rows of cells (header first) from an .xlsx or a .csv file."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        return _read_xlsx(content)
    if name.endswith(".csv"):
        return _read_csv(content)
    raise ImportRejected([RowError(0, "", _("Only .xlsx and .csv files can be imported."))])


def _read_xlsx(content: bytes) -> list[list]:
    from openpyxl import load_workbook
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a damaged or fake file
        raise ImportRejected([RowError(0, "", _("The file is not a readable .xlsx workbook."))])
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _read_csv(content: bytes) -> list[list]:
    for encoding in ("utf-8-sig", "gb18030"):  # GB18030 is a superset of GBK
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportRejected([RowError(0, "", _("The file's text encoding is neither UTF-8 nor GBK."))])
    return [row for row in csv.reader(io.StringIO(text))]


# --- turning cells into values ----------------------------------------------------------------
class _Lookup:
    """Name → id maps for sectors, streets, communities and grids, loaded once per import."""

    def __init__(self):
        from safetylist.registry.models import Sector, Street
        self.sectors: dict[str, int] = {}
        for s in db.session.scalars(select(Sector)):
            for key in (s.code, s.name_zh, s.name_en.lower()):
                self.sectors[key] = s.id
        self.streets: dict[str, int] = {}
        for s in db.session.scalars(select(Street)):
            for key in (s.code, s.name_zh, s.name_zh.removesuffix("街道"), s.name_en.lower(),
                        s.name_en.lower().removesuffix(" subdistrict")):
                self.streets[key] = s.id
        self.communities: dict[tuple[int, str], int] = {}
        for c in db.session.scalars(select(Community)):
            for key in (c.code, c.name_zh, c.name_zh.removesuffix("社区")):
                self.communities[(c.street_id, key)] = c.id
        self.grids: dict[tuple[int, str], int] = {}
        for g in db.session.scalars(select(Grid)):
            for key in (g.code, g.name):
                self.grids[(g.community_id, key)] = g.id


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # phone numbers typed into Excel arrive as floats
    return str(value).strip()


def _parse_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    if "年" in text:
        try:
            return datetime.strptime(text.rstrip("日"), "%Y年%m月%d").date()
        except ValueError:
            pass
    raise ValueError(_("'%(value)s' is not a date (use YYYY-MM-DD).", value=text))


def _convert(column: Column, raw, row: dict, lookup: _Lookup):
    """The value for one cell, or ValueError with the reason."""
    text = _text(raw)
    if column.kind == "text":
        return text
    if not text:
        return False if column.kind == "flag" else ("active" if column.kind == "status" else None)
    if column.kind == "sector":
        if text in lookup.sectors or text.lower() in lookup.sectors:
            return lookup.sectors.get(text) or lookup.sectors[text.lower()]
        raise ValueError(_("unknown sector '%(value)s'", value=text))
    if column.kind == "street":
        street = lookup.streets.get(text) or lookup.streets.get(text.lower())
        if street is None:
            raise ValueError(_("unknown street '%(value)s'", value=text))
        return street
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
        return _parse_date(raw)
    raise AssertionError(column.kind)


def _map_header(header: list) -> tuple[dict[int, Column], list[RowError]]:
    by_name = {name: column for column in COLUMNS for name in column.headers()}
    mapping: dict[int, Column] = {}
    errors: list[RowError] = []
    for index, cell in enumerate(header):
        title = _text(cell)
        if not title:
            continue
        column = by_name.get(title) or by_name.get(title.lower())
        if column is None:
            errors.append(RowError(1, title, _("unknown column")))
        elif column in mapping.values():
            errors.append(RowError(1, title, _("column appears twice")))
        else:
            mapping[index] = column
    present = set(mapping.values())
    for column in COLUMNS:
        if column.required and column not in present:
            errors.append(RowError(1, column.zh, _("required column is missing")))
    return mapping, errors


# --- the import ------------------------------------------------------------------------------
def parse_rows(actor, table: list[list]) -> tuple[list[dict], list[RowError]]:
    """Validate every row; returns the clean rows and every error found."""
    if not table:
        return [], [RowError(0, "", _("The file is empty."))]
    mapping, errors = _map_header(table[0])
    if errors:
        return [], errors
    body = [(number, cells) for number, cells in enumerate(table[1:], start=2)
            if any(_text(cell) for cell in cells)]
    if not body:
        return [], [RowError(2, "", _("The file has a header but no rows."))]
    if len(body) > MAX_ROWS:
        return [], [RowError(0, "", _("At most %(max)d rows per file.", max=MAX_ROWS))]
    scope = Scope(actor)
    lookup = _Lookup()
    lookups = services.Lookups.load()
    header_of = {column.key: _text(table[0][index]) for index, column in mapping.items()}
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
    result = ImportResult(filename=filename)
    try:
        table = read_table(filename, content)
    except ImportRejected as exc:
        result.errors = exc.errors
        return result
    rows, errors = parse_rows(actor, table)
    result.rows = len(rows)
    if errors:
        result.errors = errors
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
