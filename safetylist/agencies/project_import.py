"""All-or-nothing import of an agency's evaluation projects from .xlsx or .csv, and its template.

Every row is checked with the same checks as the project form (projects.project_errors) before
anything is written; one bad row rejects the file and the result names every bad row, column and
reason. Report numbers repeated inside the file are refused too.
"""
from __future__ import annotations

from flask_babel import gettext as _

from safetylist import spreadsheet
from safetylist.agencies.labels import CONCLUSION_WORDS, TYPE_WORDS
from safetylist.agencies.models import Agency, EvaluationProject
from safetylist.agencies.projects import project_errors
from safetylist.audit.services import record
from safetylist.auth.scope import Scope
from safetylist.errors import PermissionDenied
from safetylist.extensions import db
from safetylist.spreadsheet import Column, ImportResult, RowError, cell_text

MAX_ROWS = 5_000

# Column kinds: text | date | type | conclusion
COLUMNS: tuple[Column, ...] = (
    Column("report_no", "报告编号", "Report number", True, "text", ("评价报告编号", "报告号")),
    Column("enterprise", "统一社会信用代码", "Credit code", True, "text", ("企业信用代码", "信用代码", "委托单位信用代码")),
    Column("evaluation_type", "评价类型", "Type of evaluation", True, "type", ("评价种类", "项目类型")),
    Column("started_on", "开始日期", "Started on", True, "date", ("项目开始日期", "合同签订日期")),
    Column("report_on", "报告日期", "Report date", True, "date", ("报告出具日期", "出具日期")),
    Column("evaluators", "签字评价师", "Signing evaluators", True, "text", ("评价人员", "签字人员")),
    Column("conclusion", "评价结论", "Conclusion", True, "conclusion", ("结论",)),
    Column("conclusion_text", "结论说明", "Conclusion notes", False, "text", ("结论摘要", "备注")),
)

EXAMPLE = ["LGAP-2021-001", "", "现状评价", "2021-03-01", "2021-03-28", "张三、李四", "符合",
           "主要危险有害因素已辨识，安全设施基本符合要求。"]


def _convert(column: Column, raw):
    text = cell_text(raw)
    if column.kind == "text":
        return text
    if not text:
        return None
    if column.kind == "date":
        return spreadsheet.parse_date(raw)
    words = TYPE_WORDS if column.kind == "type" else CONCLUSION_WORDS
    value = words.get(text) or words.get(text.lower())
    if value is None:
        examples = "、".join(sorted({w for w in words if not w.isascii()}))
        raise ValueError(_("'%(value)s' is not one of: %(choices)s", value=text, choices=examples))
    return value


def parse_rows(actor, agency: Agency, table: list[list]) -> tuple[list[dict], list[RowError]]:
    mapping, body, errors = spreadsheet.split_table(table, COLUMNS, MAX_ROWS)
    if errors:
        return [], errors
    header_of = {column.key: cell_text(table[0][index]) for index, column in mapping.items()}
    numbers: set[str] = set()
    rows = []
    for number, cells in body:
        data: dict = {}
        row_errors: dict[str, str] = {}
        for index, column in mapping.items():
            raw = cells[index] if index < len(cells) else None
            try:
                data[column.key] = _convert(column, raw)
            except ValueError as exc:
                row_errors[column.key] = str(exc)
        clean, problems = project_errors(actor, agency, data, other_numbers=numbers)
        for name, reason in problems.items():
            row_errors.setdefault(name, reason)  # a cell that could not be read keeps its own reason
        numbers.add(clean["report_no"].upper())
        order = [c.key for c in COLUMNS]
        errors.extend(RowError(number, header_of.get(name) or _header(name), reason)
                      for name, reason in sorted(row_errors.items(),
                                                 key=lambda item: order.index(item[0]) if item[0] in order else 99))
        rows.append(clean)
    return rows, errors


def _header(name: str) -> str:
    return next((c.zh for c in COLUMNS if c.key == name), name)


def import_projects(actor, agency: Agency, filename: str, content: bytes) -> ImportResult:
    """Import every row or none; `errors` is empty on success."""
    if not Scope(actor).can_record_projects(agency):
        raise PermissionDenied(_("You may not record projects for this agency."))
    result, rows = spreadsheet.checked_rows(filename, content, lambda table: parse_rows(actor, agency, table))
    if not result.ok:
        return result
    created_by = getattr(actor, "id", None)
    db.session.add_all([EvaluationProject(agency_id=agency.id, created_by_id=created_by, **row) for row in rows])
    record(actor, "projects_imported", agency, filename=filename[:200], count=len(rows))
    db.session.commit()
    result.created = len(rows)
    return result


def template_workbook():
    return spreadsheet.template_workbook(COLUMNS, "评价项目", [EXAMPLE])
