"""Test data builders shared by the suite (imported by conftest and tests alike)."""
from __future__ import annotations

import itertools
import uuid
from datetime import date

from sqlalchemy import select

PASSWORD = "secret123"
_codes = itertools.count(1)


def new_credit_code() -> str:
    from safetylist.registry.credit_code import complete
    return complete(f"91440307MA{next(_codes):07d}")


def reference():
    """Handy reference rows: two streets, their first communities and grids, and a sector."""
    from safetylist.extensions import db
    from safetylist.registry.models import Sector, Street
    streets = db.session.scalars(select(Street).order_by(Street.id)).all()
    a, b = streets[0], streets[1]
    return {
        "street_a": a, "street_b": b,
        "community_a": a.communities[0], "community_b": b.communities[0],
        "grid_a1": a.communities[0].grids[0], "grid_a2": a.communities[0].grids[1],
        "grid_b1": b.communities[0].grids[0],
        "sector": db.session.scalars(select(Sector).order_by(Sector.position)).first(),
    }


def enterprise_data(**overrides) -> dict:
    ref = reference()
    data = {
        "name": f"测试企业{uuid.uuid4().hex[:6]}有限公司", "credit_code": new_credit_code(),
        "sector_id": ref["sector"].id, "street_id": ref["street_a"].id,
        "community_id": ref["community_a"].id, "grid_id": ref["grid_a1"].id,
        "address": "深圳市龙岗区测试路1号", "risk_level": "yellow", "headcount": 20,
        "legal_representative": "张三", "contact_name": "李四", "contact_phone": "13800000000",
        "filed_on": date(2021, 6, 1), "status": "active",
    }
    data.update(overrides)
    return data



def login(client, user):
    """Log a user in through the real login form."""
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response
