"""Spreadsheet plumbing shared by the all-or-nothing imports (enterprise register, accident records):
reading .xlsx/.csv uploads, matching headers to columns, reading cells, naming problems by row
and column, and the downloadable templates."""
from __future__ import annotations

import csv
import io
import re
import sys
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    key: str          # field name in the service's data
    zh: str           # header as written in Chinese spreadsheets
    en: str           # header in English spreadsheets
    required: bool = False
    kind: str = "text"  # what the importer makes of a cell (each importer has its own kinds)
    aliases: tuple[str, ...] = ()  # other headers people write for it

    def headers(self) -> set[str]:
        return {self.zh, self.en.lower(), self.key, *self.aliases}


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


def checked_rows(filename: str, content: bytes, parse) -> tuple[ImportResult, list[dict]]:
    """Read an upload and check every row with `parse(table) -> (rows, errors)`; nothing is written.
    The result carries every problem found; its `ok` says whether the rows may be saved."""
    result = ImportResult(filename=filename)
    try:
        table = read_table(filename, content)
    except ImportRejected as exc:
        result.errors = exc.errors
        return result, []
    rows, result.errors = parse(table)
    result.rows = len(rows)
    return result, rows


def map_header(header: list, columns: tuple[Column, ...]) -> tuple[dict[int, Column], list[RowError]]:
    """Which column each header cell names; unknown, repeated and missing required columns are errors."""
    by_name = {name: column for column in columns for name in column.headers()}
    mapping: dict[int, Column] = {}
    errors: list[RowError] = []
    for index, cell in enumerate(header):
        title = cell_text(cell)
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
    for column in columns:
        if column.required and column not in present:
            errors.append(RowError(1, column.zh, _("required column is missing")))
    return mapping, errors


def split_table(table: list[list], columns: tuple[Column, ...], max_rows: int) \
        -> tuple[dict[int, Column], list[tuple[int, list]], list[RowError]]:
    """The header's columns by cell index and the non-blank rows under it with their spreadsheet
    row numbers; or the errors that stop the import before any row is read."""
    if not table:
        return {}, [], [RowError(0, "", _("The file is empty."))]
    mapping, errors = map_header(table[0], columns)
    if errors:
        return mapping, [], errors
    body = [(number, cells) for number, cells in enumerate(table[1:], start=2)
            if any(cell_text(cell) for cell in cells)]
    if not body:
        return mapping, [], [RowError(2, "", _("The file has a header but no rows."))]
    if len(body) > max_rows:
        return mapping, [], [RowError(0, "", _("At most %(max)d rows per file.", max=max_rows))]
    return mapping, body, []


# --- turning cells into values ----------------------------------------------------------------
def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # phone numbers typed into Excel arrive as floats
    return str(value).strip()


def parse_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value).replace("/", "-").replace(".", "-")
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


_CHINESE_DATE_TIME = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?\s*(?:(\d{1,2})[时:点](?:(\d{1,2})分?)?)?$")


def parse_datetime(value) -> datetime:
    """A date and time as written (no time zone); a date alone is midnight."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time())
    text = " ".join(cell_text(value).replace("T", " ").split())
    match = _CHINESE_DATE_TIME.match(text)
    if match:
        year, month, day, hour, minute = (int(part) if part else 0 for part in match.groups())
        try:
            return datetime(year, month, day, hour, minute)
        except ValueError:
            pass
    else:
        dashed = text.replace("/", "-").replace(".", "-")
        for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%Y%m%d %H:%M", "%Y%m%d"):
            try:
                return datetime.strptime(dashed, fmt)
            except ValueError:
                continue
    raise ValueError(_("'%(value)s' is not a date and time (use YYYY-MM-DD HH:MM).", value=text))


# --- templates and the command line ----------------------------------------------------------------
def template_workbook(columns: tuple[Column, ...], title: str, examples: list[list] = ()) -> io.BytesIO:
    """An import template: Chinese headers (required ones in bold), then any example rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append([column.zh for column in columns])
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=column.required)
        sheet.column_dimensions[cell.column_letter].width = max(12, len(column.zh) * 2 + 4)
    for row in examples:
        sheet.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    stream.seek(0)
    return stream


def report_import(path, result: ImportResult, done: str) -> None:
    """For `flask … import`: every error on stderr and exit status 1, or the `done` line."""
    import click
    if result.errors:
        for error in result.errors:
            click.echo(f"{path}: {error}", err=True)
        click.echo(f"{path}: {len(result.errors)} error(s); nothing was imported.", err=True)
        sys.exit(1)
    click.echo(f"{path}: {done}")


def workbook_stream(title: str, headers: list[str], rows) -> tuple[io.BytesIO, int]:
    """A write-only workbook of one sheet (headers, then `rows` as they come) and the number of rows:
    memory stays flat however long the list."""
    from openpyxl import Workbook
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.append(headers)
    count = 0
    for row in rows:
        sheet.append(row)
        count += 1
    stream = io.BytesIO()
    workbook.save(stream)
    stream.seek(0)
    return stream, count
