"""Demo accident records: a pure, deterministic generator (no database, no Flask).

2019–2021 reproduce the totals of the bureau's report (1,581 accidents and 66 deaths in 2021;
+197.18 % and −19.51 % against 2019, +25.08 % and +17.86 % against 2020), with fire counted in
from 2020 on (the report notes the fire scope changed). From 1 January of last year to yesterday
the district keeps the same pace, mostly at places outside the register, with a few registered
enterprises that had two or more accidents in the last twelve months (what interviews are for).
Same arguments, same output.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple

from safetylist.timeutil import from_local

SEED_YEARS = {2019: (532, 82), 2020: (1264, 56), 2021: (1581, 66)}  # the report's accidents and deaths
FIRE_SHARE = {2019: 0.1, 2020: 0.55, 2021: 0.6}
ENTERPRISE_SHARE = 0.6          # 2019–2021: most at registered enterprises
RECENT_PER_YEAR = (1500, 60)    # accidents and deaths a year since
RECENT_FIRE_SHARE = 0.6
RECENT_ENTERPRISE_SHARE = 0.05  # the register holds 865 of the district's units; most accidents are elsewhere
REPEATS = (3, 2, 2, 2, 2, 2, 2, 2)  # accidents in the last 12 months of each repeat enterprise

# GB 6441-86 categories other than fire: (code, weight among accidents, weight among deaths)
CATEGORIES = (
    ("fall_from_height", 20, 6), ("struck_by_object", 14, 3), ("machinery", 16, 2), ("vehicle", 14, 4),
    ("lifting", 4, 3), ("electric_shock", 6, 4), ("collapse", 5, 5), ("poisoning_asphyxiation", 4, 5),
    ("burns", 4, 1), ("drowning", 2, 5), ("other_explosion", 1, 3), ("vessel_explosion", 1, 3), ("other", 9, 1),
)
FIRE_DEATH_WEIGHT = 1
SUMMARIES = {
    "fire": ("出租屋内电动自行车充电引发火灾，明火已扑灭。", "厨房油锅起火蔓延至排烟管道，已扑灭。",
             "仓库电气线路短路起火，过火面积约30平方米。", "废品堆放点起火，无人员被困。"),
    "fall_from_height": ("工人在外墙作业时未系安全带，从脚手架坠落。", "维修人员从梯子上坠落受伤。"),
    "struck_by_object": ("施工现场高处掉落的钢管砸伤下方工人。", "搬运货物时货架上的纸箱掉落砸伤员工。"),
    "machinery": ("员工操作冲床时手部被压伤。", "清理设备时未停机，手臂被卷入传动部位。"),
    "vehicle": ("厂区内叉车倒车撞伤员工。", "货车在装卸区溜车挤伤司机。"),
    "lifting": ("吊装作业时吊物坠落，砸伤指挥人员。",),
    "electric_shock": ("私拉电线漏电，维修人员触电。", "临时用电无漏电保护，工人触电受伤。"),
    "collapse": ("基坑边坡局部坍塌，掩埋一名工人。", "堆放的建材倒塌压伤工人。"),
    "poisoning_asphyxiation": ("工人进入化粪池作业未检测气体，中毒窒息。", "污水井清淤时有限空间缺氧窒息。"),
    "burns": ("热处理工序中员工被高温工件烫伤。",),
    "drowning": ("工人在蓄水池边作业时失足落水。",),
    "other_explosion": ("瓶装液化气泄漏遇明火发生爆燃。",),
    "vessel_explosion": ("空压机储气罐超压爆裂。",),
    "other": ("员工在楼梯间滑倒摔伤。", "搬运重物时扭伤腰部。"),
}
PLACES = (  # (what the unregistered place is, the sector it counts in)
    ("城中村出租屋", "urban_village_rental"), ("无证小作坊", "three_small_places"), ("临时建筑工地", "small_works"),
    ("路边餐饮摊档", "catering"), ("废品回收站", "other"), ("自建房装修现场", "small_works"),
    ("农贸市场摊档", "retail_markets"), ("私人仓库", "logistics"), ("住宅小区", None),
)
ROADS = ("龙岗大道", "深惠路", "布龙路", "龙平路", "环城路", "宝龙大道", "清平路", "丹平快速路", "坂雪岗大道", "吉华路")
SOURCES = ("快报", "企业报告", "120 转报", "网格员上报", "派出所通报")


class Site(NamedTuple):
    """Where an accident can happen: a registered enterprise, or a community of a street."""
    enterprise_id: int | None
    street_id: int
    sector_id: int | None
    street_name: str = ""
    community_name: str = ""


def generate(enterprises: list[Site], communities: list[Site], sectors: dict[str, int], today: date,
             featured: list[Site] = (), seed: int = 6441) -> list[dict]:
    """Rows for a bulk insert of Accident: the report's three years, then last year and this year to
    yesterday. `enterprises` are registered (enterprise_id set); `communities` name the places;
    `featured` enterprises are among those with repeated accidents (e.g. a demo login's own)."""
    rng = random.Random(seed)
    rows: list[dict] = []
    for year, (count, deaths) in SEED_YEARS.items():
        rows += _batch(rng, count, deaths, date(year, 1, 1), date(year + 1, 1, 1), FIRE_SHARE[year],
                       ENTERPRISE_SHARE, enterprises, communities, sectors)
    start = date(today.year - 1, 1, 1)
    days = (today - start).days
    accidents, deaths = (round(n * days / 365) for n in RECENT_PER_YEAR)
    rows += _batch(rng, accidents, deaths, start, today, RECENT_FIRE_SHARE, RECENT_ENTERPRISE_SHARE,
                   enterprises, communities, sectors)
    rows += _repeats(rng, enterprises, list(featured), today)
    return rows


def _batch(rng, count, deaths, start: date, end: date, fire_share, enterprise_share, enterprises, communities,
           sectors) -> list[dict]:
    codes = [code for code, _, _ in CATEGORIES]
    weights = [weight for _, weight, _ in CATEGORIES]
    rows = []
    for _ in range(count):
        category = "fire" if rng.random() < fire_share else rng.choices(codes, weights)[0]
        at_enterprise = rng.random() < enterprise_share
        site = rng.choice(enterprises if at_enterprise else communities)
        rows.append(_row(rng, category, site, _moment(rng, start, end), sectors))
    death_weight = {code: weight for code, _, weight in CATEGORIES} | {"fire": FIRE_DEATH_WEIGHT}
    for _ in range(deaths):  # some accidents take several lives
        row = rng.choices(rows, [death_weight[row["category"]] for row in rows])[0]
        row["deaths"] += 1
        row["direct_loss"] += Decimal(rng.randrange(800_000, 1_500_000))  # compensation, rescue, funeral
    return rows


def _repeats(rng, enterprises: list[Site], featured: list[Site], today: date) -> list[dict]:
    """A few enterprises with two or three accidents in the last 12 months; the first two fatal."""
    others = [site for site in enterprises if site not in featured]
    chosen = featured[:len(REPEATS)] + rng.sample(others, len(REPEATS) - len(featured[:len(REPEATS)]))
    rows = []
    for index, (site, count) in enumerate(zip(chosen, REPEATS)):
        for n in range(count):
            moment = _moment(rng, today - timedelta(days=350), today)
            row = _row(rng, rng.choice(("machinery", "fall_from_height", "struck_by_object", "fire")), site, moment, {})
            if index < 2 and n == 0:
                row["deaths"] = 1
            rows.append(row)
    return rows


def _moment(rng, start: date, end: date) -> datetime:
    """A Beijing time on a day in [start, end), mostly in working hours; stored as UTC."""
    day = start + timedelta(days=rng.randrange((end - start).days))
    hour = rng.choices(range(24), [1] * 6 + [3] * 14 + [2] * 4)[0]
    return from_local(datetime.combine(day, time(hour, rng.randrange(60))))


def _row(rng, category: str, site: Site, occurred_at: datetime, sectors: dict[str, int]) -> dict:
    place_name = address = None
    sector_id = site.sector_id
    if site.enterprise_id is None:
        kind, sector_code = PLACES[0] if category == "fire" and rng.random() < 0.6 else rng.choice(PLACES)
        place_name = f"{site.community_name}{kind}"
        address = f"深圳市龙岗区{site.street_name}{site.community_name}{rng.choice(ROADS)}{rng.randrange(1, 300)}号"
        sector_id = sectors.get(sector_code)
    injuries = rng.choices((0, 1, 2, 3, 5), (45 if category == "fire" else 15, 50, 20, 8, 3))[0]
    low, high = (500, 300_000) if category == "fire" else (2_000, 200_000)
    return {"occurred_at": occurred_at, "enterprise_id": site.enterprise_id, "place_name": place_name,
            "address": address, "street_id": site.street_id, "sector_id": sector_id, "category": category,
            "deaths": 0, "injuries": injuries, "direct_loss": Decimal(rng.randrange(low, high)),
            "summary": rng.choice(SUMMARIES[category]),
            "source": "119 接警" if category == "fire" else rng.choice(SOURCES)}
