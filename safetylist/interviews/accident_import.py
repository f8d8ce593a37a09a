"""All-or-nothing import of accident records from .xlsx or .csv (UTF-8 or GBK), and its template.

Every row is checked before anything is written; one bad row rejects the file, and the result
lists every bad row with its row number, column and reason. Times in the file are Asia/Shanghai.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from safetylist import spreadsheet
from safetylist.audit.services import record
from safetylist.auth.scope import Scope
from safetylist.errors import PermissionDenied
from safetylist.extensions import db
from safetylist.interviews import accidents
from safetylist.interviews.models import ACCIDENT_CATEGORIES, CATEGORY_ZH, Accident
from safetylist.registry import credit_code
from safetylist.registry.importer import sector_names, sector_of, street_names, street_of
from safetylist.registry.services import credit_code_message
from safetylist.spreadsheet import Column, ImportResult, RowError, cell_text
from safetylist.timeutil import from_local, utcnow

MAX_ROWS = 20_000

# Column kinds: text | datetime | enterprise | street | sector | category | count | money
COLUMNS: tuple[Column, ...] = (
    Column("occurred_at", "发生时间", "Occurred at", True, "datetime", ("事故时间", "发生日期")),
    Column("credit_code", "统一社会信用代码", "Credit code", False, "enterprise", ("企业信用代码", "信用代码")),
    Column("place_name", "场所名称", "Place name", False, "text", ("单位名称", "事故单位")),
    Column("address", "地址", "Address", False, "text", ("事故地点", "发生地点")),
    Column("street_id", "街道", "Street", False, "street"),
    Column("sector_id", "行业", "Sector", False, "sector"),
    Column("category", "事故类别", "Category", True, "category", ("事故类型",)),
    Column("deaths", "死亡人数", "Deaths", False, "count", ("死亡",)),
    Column("injuries", "受伤人数", "Injuries", False, "count", ("受伤",)),
    Column("direct_loss", "直接经济损失（元）", "Direct loss (yuan)", False, "money",
           ("直接经济损失(元)", "直接经济损失", "direct loss")),
    Column("summary", "事故简况", "Summary", True, "text", ("事故经过", "简要经过")),
    Column("source", "信息来源", "Source", False, "text", ("来源",)),
)

# How files name a category: the code, the standard's Chinese term, the English name, and the
# usual variants (其他/其它).
CATEGORY_WORDS: dict[str, str] = {}
for _code in ACCIDENT_CATEGORIES:
    for _word in (_code, CATEGORY_ZH[_code], CATEGORY_ZH[_code].replace("其它", "其他"),
                  accidents.CATEGORY_EN[_code].lower()):
        CATEGORY_WORDS[_word] = _code
CATEGORY_WORDS.update({"中毒窒息": "poisoning_asphyxiation", "中毒": "poisoning_asphyxiation",
                       "窒息": "poisoning_asphyxiation", "火灾事故": "fire"})

EXAMPLE = ["2021-03-04 14:30", "", "龙岗区某某五金加工厂", "深圳市龙岗区平湖街道某某路1号", "平湖街道", "工贸",
           "机械伤害", 0, 1, 5000, "员工操作冲床时右手被压伤，送医治疗，无生命危险。", "企业报告"]


class _Lookup:
    """What the cells are checked against, loaded once per import."""

    def __init__(self, scope: Scope, codes):
        self.streets = street_names()
        self.sectors = sector_names()
        self.enterprises = accidents.enterprises_by_code(scope, codes)


def _convert(column: Column, raw, lookup: _Lookup):
    """The value for one cell, or ValueError with the reason."""
    text = cell_text(raw)
    if column.kind == "text":
        return text or None
    if not text:
        return {"count": 0, "money": Decimal("0")}.get(column.kind)
    if column.kind == "datetime":
        return from_local(spreadsheet.parse_datetime(raw))
    if column.kind == "enterprise":
        try:
            code = credit_code.validate(text)
        except credit_code.CreditCodeError as exc:
            raise ValueError(credit_code_message(exc))
        if code not in lookup.enterprises:
            raise ValueError(_("no registered enterprise in your area has the credit code %(code)s", code=code))
        return lookup.enterprises[code]
    if column.kind == "street":
        return street_of(text, lookup.streets)
    if column.kind == "sector":
        return sector_of(text, lookup.sectors)
    if column.kind == "category":
        category = CATEGORY_WORDS.get(text) or CATEGORY_WORDS.get(text.lower())
        if category is None:
            raise ValueError(_("unknown accident category '%(value)s' (use the GB 6441 names, e.g. 物体打击, 火灾)",
                               value=text))
        return category
    if column.kind == "count":
        try:
            number = float(text)
        except ValueError:
            raise ValueError(_("'%(value)s' is not a whole number", value=text))
        if not number.is_integer():
            raise ValueError(_("'%(value)s' is not a whole number", value=text))
        if number < 0:
            raise ValueError(_("cannot be negative (%(value)s)", value=text))
        return int(number)
    if column.kind == "money":
        try:
            amount = Decimal(text.replace(",", "").replace("，", "").removesuffix("元").strip())
        except InvalidOperation:
            raise ValueError(_("'%(value)s' is not an amount in yuan", value=text))
        if not amount.is_finite():
            raise ValueError(_("'%(value)s' is not an amount in yuan", value=text))
        return amount
    raise AssertionError(column.kind)


def parse_rows(actor, table: list[list]) -> tuple[list[dict], list[RowError]]:
    """Validate every row; returns the clean rows and every error found."""
    mapping, body, errors = spreadsheet.split_table(table, COLUMNS, MAX_ROWS)
    if errors:
        return [], errors
    scope = Scope(actor)
    code_cells = [index for index, column in mapping.items() if column.key == "credit_code"]
    codes = {credit_code.normalize(cell_text(cells[i])) for _, cells in body for i in code_cells if i < len(cells)}
    lookup = _Lookup(scope, codes - {""})
    places = accidents.Places.load(scope, lookup.enterprises.values())
    now = utcnow()
    header_of = {column.key: cell_text(table[0][index]) for index, column in mapping.items()}
    header_of["enterprise_id"] = header_of.get("credit_code", "")
    rows: list[dict] = []
    for number, cells in body:
        row: dict = {}
        row_errors: dict[str, str] = {}
        for index, column in sorted(mapping.items(), key=lambda item: COLUMNS.index(item[1])):
            raw = cells[index] if index < len(cells) else None
            key = "enterprise_id" if column.key == "credit_code" else column.key
            try:
                row[key] = _convert(column, raw, lookup)
            except ValueError as exc:
                row_errors[key] = str(exc)
        row.setdefault("deaths", 0)
        row.setdefault("injuries", 0)
        row.setdefault("direct_loss", Decimal("0"))
        # A cell that could not be read keeps its own reason; the place is not judged when the
        # enterprise's code was wrong (the row would be at an enterprise).
        for name, reason in accidents.check_accident(row, scope, places, now,
                                                     where="enterprise_id" not in row_errors).items():
            row_errors.setdefault(name, reason)
        errors.extend(RowError(number, header_of.get(name) or _header(name), reason)
                      for name, reason in _in_column_order(row_errors))
        row["_row"] = number
        rows.append(row)
    return rows, errors


def _header(name: str) -> str:
    """The Chinese header of a field's column (for problems in columns the file does not have)."""
    key = "credit_code" if name == "enterprise_id" else name
    return next((c.zh for c in COLUMNS if c.key == key), name)


def _in_column_order(row_errors: dict[str, str]):
    order = {("enterprise_id" if c.key == "credit_code" else c.key): i for i, c in enumerate(COLUMNS)}
    return sorted(row_errors.items(), key=lambda item: order.get(item[0], len(order)))


def import_accidents(actor, filename: str, content: bytes) -> ImportResult:
    """Import every row or none. Returns the result; `errors` is empty on success."""
    if not Scope(actor).can_record_accidents():
        raise PermissionDenied(_("You may not import accidents."))
    result, rows = spreadsheet.checked_rows(filename, content, lambda table: parse_rows(actor, table))
    if not result.ok:
        return result
    created_by = getattr(actor, "id", None)
    db.session.add_all([Accident(**{k: v for k, v in row.items() if k != "_row"}, created_by_id=created_by)
                        for row in rows])
    record(actor, "accidents_imported", None, filename=filename[:200], count=len(rows))
    db.session.flush()
    accidents.check_certificates({row.get("enterprise_id") for row in rows})
    db.session.commit()
    result.created = len(rows)
    return result


def template_workbook():
    """The import template: the headers (required ones in bold) and one example row."""
    return spreadsheet.template_workbook(COLUMNS, "事故", [EXAMPLE])
