"""Fixed vocabularies of the enterprise register, free of database code so the engine can share them."""

RISK_LEVELS = ("red", "orange", "yellow", "blue")  # 红橙黄蓝: major, high, moderate, low
STATUSES = ("active", "suspended", "closed")
FLAGS = ("confined_space", "hazardous_chemicals", "gas_user", "key_enterprise", "standardization_required")
