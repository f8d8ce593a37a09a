"""Reference data of the district (streets, communities, grids, sectors), loaded from data files."""
from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from sqlalchemy import select

from safetylist.extensions import db
from safetylist.grid.models import Grid, InspectionFrequency
from safetylist.registry.models import Community, District, Sector, Street

DATA = Path(__file__).parent / "data"


@cache
def district_data() -> dict:
    return yaml.safe_load((DATA / "longgang.yaml").read_text(encoding="utf-8"))


@cache
def sector_data() -> list[dict]:
    return yaml.safe_load((DATA / "sectors.yaml").read_text(encoding="utf-8"))


def grid_codes(community: dict) -> list[str]:
    return [f"{community['code']}-{i:02d}" for i in range(1, community.get("grids", 1) + 1)]


def ensure_reference_data() -> District:
    """Insert what is missing of the district map and the sectors; safe to run any number of times."""
    data = district_data()
    district = db.session.scalars(select(District).where(District.code == data["district"]["code"])).first()
    if district is None:
        district = District(code=data["district"]["code"], name_zh=data["district"]["zh"],
                            name_en=data["district"]["en"])
        db.session.add(district)
    streets = {s.code: s for s in db.session.scalars(select(Street))}
    communities = {c.code: c for c in db.session.scalars(select(Community))}
    grids = set(db.session.scalars(select(Grid.code)))
    for street_row in data["streets"]:
        street = streets.get(street_row["code"])
        if street is None:
            street = Street(code=street_row["code"], name_zh=street_row["zh"], name_en=street_row["en"],
                            district=district)
            db.session.add(street)
        for community_row in street_row["communities"]:
            community = communities.get(community_row["code"])
            if community is None:
                community = Community(code=community_row["code"], name_zh=community_row["zh"], street=street)
                db.session.add(community)
            for index, code in enumerate(grid_codes(community_row), start=1):
                if code not in grids:
                    db.session.add(Grid(code=code, name=f"{community_row['zh']}第{index}网格",
                                        community=community))
    db.session.flush()
    known = set(db.session.scalars(select(InspectionFrequency.risk_level)
                                   .where(InspectionFrequency.district_id == district.id)))
    for risk_level, months in data.get("inspection_months", {}).items():
        if risk_level not in known:
            db.session.add(InspectionFrequency(district_id=district.id, risk_level=risk_level, months=months))
    sectors = set(db.session.scalars(select(Sector.code)))
    for position, row in enumerate(sector_data()):
        if row["code"] not in sectors:
            db.session.add(Sector(code=row["code"], name_zh=row["zh"], name_en=row["en"], position=position))
    db.session.commit()
    return district
