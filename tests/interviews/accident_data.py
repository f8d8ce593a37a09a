"""Builders for accident tests: rows for bulk inserts, and import files in the accident columns."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import insert

from safetylist.interviews.accident_import import COLUMNS
from safetylist.timeutil import from_local
from tests.registry.spreadsheets import csv_bytes, xlsx_bytes  # noqa: F401  (re-exported for the tests)

HEADERS = [column.zh for column in COLUMNS]


def local(text: str) -> datetime:
    """A stored (naive UTC) time from a Beijing time 'YYYY-MM-DD HH:MM'."""
    return from_local(datetime.strptime(text, "%Y-%m-%d %H:%M"))


def place_row(street, when: str, **overrides) -> dict:
    """An accident at an unregistered place in `street`, for a bulk insert."""
    row = {"occurred_at": local(when), "place_name": "无证加工点", "address": "深圳市龙岗区某路1号",
           "street_id": street.id, "sector_id": None, "category": "machinery", "deaths": 0, "injuries": 0,
           "direct_loss": Decimal("0"), "summary": "测试事故"}
    row.update(overrides)
    return row


def bulk_insert(db, rows: list[dict]) -> None:
    from safetylist.interviews.models import Accident
    if rows:
        db.session.execute(insert(Accident), rows)
    db.session.commit()


def import_row(**values) -> dict:
    """A valid row for an unregistered place in 平湖街道, by Chinese header; override by header."""
    row = {"发生时间": "2021-03-04 14:30", "统一社会信用代码": "", "场所名称": "某某五金加工点",
           "地址": "深圳市龙岗区平湖街道某路1号", "街道": "平湖街道", "行业": "工贸", "事故类别": "机械伤害",
           "死亡人数": 0, "受伤人数": 1, "直接经济损失（元）": "5000", "事故简况": "员工右手被冲床压伤。", "信息来源": "企业报告"}
    row.update(values)
    return row
