"""Excel export of the enterprise register, in the same columns the importer reads."""
from __future__ import annotations

import io

from flask_babel import get_locale
from openpyxl import Workbook

from safetylist import spreadsheet
from safetylist.audit.services import record
from safetylist.extensions import db
from safetylist.registry import services
from safetylist.registry.columns import COLUMNS, RISK_ZH, STATUS_ZH

XLSX = spreadsheet.XLSX


def _headers(chinese: bool) -> list[str]:
    return [column.zh if chinese else column.en for column in COLUMNS]


def _cell(enterprise, key: str, chinese: bool):
    if key == "sector_id":
        return enterprise.sector.name_zh if chinese else enterprise.sector.name_en
    if key == "street_id":
        return enterprise.street.name_zh if chinese else enterprise.street.name_en
    if key == "community_id":
        return enterprise.community.name_zh if enterprise.community else ""
    if key == "grid_id":
        return enterprise.grid.code if enterprise.grid else ""
    value = getattr(enterprise, key)
    if key == "risk_level":
        return RISK_ZH[value] if chinese else value
    if key == "status":
        return STATUS_ZH[value] if chinese else value
    if isinstance(value, bool):
        return ("是" if value else "否") if chinese else ("yes" if value else "no")
    return value


def export_enterprises(actor, filters: services.EnterpriseFilters) -> io.BytesIO:
    """A workbook of every enterprise in the actor's scope matching the filters."""
    chinese = str(get_locale()).startswith("zh")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("企业" if chinese else "Enterprises")
    sheet.append(_headers(chinese))
    count = 0
    for enterprise in services.iter_enterprises(actor, filters):
        sheet.append([_cell(enterprise, column.key, chinese) for column in COLUMNS])
        count += 1
    record(actor, "enterprises_exported", None, count=count, filters=_describe(filters))
    db.session.commit()
    stream = io.BytesIO()
    workbook.save(stream)
    stream.seek(0)
    return stream


def _describe(filters: services.EnterpriseFilters) -> dict:
    return {k: v for k, v in vars(filters).items() if v not in (None, "", [], False)}


def template_workbook() -> io.BytesIO:
    """An empty import template with Chinese headers, required ones in bold."""
    return spreadsheet.template_workbook(COLUMNS, "企业")
