"""The spreadsheet columns of the enterprise register, shared by import, export and the template."""
from __future__ import annotations

from safetylist.spreadsheet import Column

# Column kinds read by the importer: text | sector | street | community | grid | risk | flag | int | date | status

COLUMNS: tuple[Column, ...] = (
    Column("name", "企业名称", "Name", True),
    Column("credit_code", "统一社会信用代码", "Credit code", True),
    Column("sector_id", "行业", "Sector", True, "sector"),
    Column("street_id", "街道", "Street", True, "street"),
    Column("community_id", "社区", "Community", False, "community"),
    Column("grid_id", "网格", "Grid", False, "grid"),
    Column("address", "地址", "Address", True),
    Column("risk_level", "风险等级", "Risk level", True, "risk"),
    Column("confined_space", "有限空间", "Confined spaces", False, "flag"),
    Column("hazardous_chemicals", "危化品", "Hazardous chemicals", False, "flag"),
    Column("gas_user", "燃气用户", "Gas user", False, "flag"),
    Column("key_enterprise", "重点企业", "Key enterprise", False, "flag"),
    Column("standardization_required", "需标准化", "Standardization required", False, "flag"),
    Column("headcount", "从业人数", "Headcount", False, "int"),
    Column("legal_representative", "法定代表人", "Legal representative", True),
    Column("contact_name", "安全联系人", "Safety contact", True),
    Column("contact_phone", "联系电话", "Contact phone", True),
    Column("filed_on", "建档日期", "Filing date", True, "date"),
    Column("status", "状态", "Status", False, "status"),
)

RISK_WORDS = {"red": "red", "红": "red", "红色": "red", "重大风险": "red",
              "orange": "orange", "橙": "orange", "橙色": "orange", "较大风险": "orange",
              "yellow": "yellow", "黄": "yellow", "黄色": "yellow", "一般风险": "yellow",
              "blue": "blue", "蓝": "blue", "蓝色": "blue", "低风险": "blue"}
RISK_ZH = {"red": "红", "orange": "橙", "yellow": "黄", "blue": "蓝"}
STATUS_WORDS = {"active": "active", "正常": "active", "在营": "active", "营业": "active",
                "suspended": "suspended", "停产": "suspended", "停业": "suspended", "停产停业": "suspended",
                "closed": "closed", "关闭": "closed", "注销": "closed"}
STATUS_ZH = {"active": "正常", "suspended": "停产停业", "closed": "关闭"}
TRUE_WORDS = {"是", "有", "y", "yes", "true", "1", "√", "✓"}
FALSE_WORDS = {"否", "无", "n", "no", "false", "0", ""}
