"""Build import files (xlsx, csv in UTF-8 or GBK) for tests and benchmarks."""
from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from safetylist.registry.columns import COLUMNS

HEADERS = [column.zh for column in COLUMNS]


def row_for(**values) -> dict:
    """A valid row in 平湖街道 (the first street), by Chinese header key names below."""
    from tests.factories import new_credit_code
    row = {
        "企业名称": "深圳市测试五金有限公司", "统一社会信用代码": new_credit_code(), "行业": "工贸",
        "街道": "平湖街道", "社区": "", "网格": "", "地址": "深圳市龙岗区平湖街道测试路1号",
        "风险等级": "黄", "有限空间": "否", "危化品": "否", "燃气用户": "否", "重点企业": "否", "需标准化": "否",
        "从业人数": 25, "法定代表人": "张三", "安全联系人": "李四", "联系电话": "13800000000",
        "建档日期": "2021-05-01", "状态": "正常",
    }
    keys = {"name": "企业名称", "code": "统一社会信用代码", "sector": "行业", "street": "街道",
            "community": "社区", "grid": "网格", "risk": "风险等级", "phone": "联系电话", "filed_on": "建档日期",
            "headcount": "从业人数", "gas_user": "燃气用户"}
    for key, value in values.items():
        row[keys.get(key, key)] = value
    return row


def rows(n: int) -> list[dict]:
    return [row_for(name=f"深圳市测试{i:04d}有限公司") for i in range(n)]


def xlsx_bytes(data: list[dict], headers: list[str] = HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in data:
        sheet.append([row.get(h, "") for h in headers])
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def csv_bytes(data: list[dict], encoding: str = "utf-8", headers: list[str] = HEADERS) -> bytes:
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(headers)
    for row in data:
        writer.writerow([row.get(h, "") for h in headers])
    return stream.getvalue().encode(encoding)
