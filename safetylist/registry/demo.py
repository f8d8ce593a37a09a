"""Demo enterprise register for Longgang District: a pure, deterministic generator (no database, no Flask).

Owns the demo word lists (names, trades, roads) and the rules that make the rows look like a real
register: sector mix, risk colours skewed by sector, checklist flags, valid unified social credit codes.
Same arguments, same seed -> identical output.
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from typing import NamedTuple

from safetylist.registry.credit_code import ALPHABET, complete

RISK_LEVELS = ("red", "orange", "yellow", "blue")  # 红橙黄蓝
HIGH_RISK_MIX = (10, 30, 40, 20)  # percent red/orange/yellow/blue where major hazards concentrate
RISK_MIX = (2, 10, 35, 53)  # everyone else, so the district lands near 3 / 12 / 35 / 50 %
HIGH_RISK_SECTORS = frozenset({"hazardous_chemicals", "gas_supply", "construction"})
KEY_ENTERPRISE_ODDS = {"red": 0.9, "orange": 0.6, "yellow": 0.12, "blue": 0.03}
MIN_PER_SECTOR = 5
FILING_START, FILING_END = date(2021, 1, 4), date(2021, 12, 31)


class Profile(NamedTuple):
    """How a sector looks in the register."""
    weight: int  # share of the mix
    headcount: tuple[int, int]
    shop_share: float  # share of individual businesses (个体工商户, credit code '92')
    trades: tuple[str, ...]  # company names: 深圳市 + brand + trade (+ 有限公司)
    shops: tuple[str, ...]  # individual business names: place + brand + shop
    confined_space: float  # odds of each flag
    hazardous_chemicals: float
    gas_user: float


def _p(weight, headcount, shop_share, trades, shops, odds) -> Profile:
    return Profile(weight, headcount, shop_share, tuple(trades.split()), tuple(shops.split()), *odds)


SECTOR_PROFILES: dict[str, Profile] = {
    "manufacturing": _p(24, (15, 600), 0.05, "五金制品 塑胶制品 电子科技 精密模具 包装制品 家具 印刷 服装 电线电缆 "
                        "光电科技 线路板 金属制品 纸品 机械设备 实业", "五金加工厂 模具加工店 服装加工厂", (0.25, 0.15, 0.15)),
    "hazardous_chemicals": _p(3, (8, 150), 0.0, "化工 化工原料 油墨涂料 工业气体 石油化工 溶剂化工 胶粘剂", "",
                              (0.3, 1.0, 0.1)),
    "construction": _p(5, (30, 500), 0.0, "建筑工程 建设工程 市政工程 建筑装饰工程 基础工程 土石方工程", "",
                       (0.2, 0.05, 0.05)),
    "small_works": _p(10, (3, 30), 0.3, "装饰设计工程 装修工程 水电安装工程 防水工程 钢结构工程 园林绿化工程",
                      "装修队 装饰工程部 水电安装部 防水补漏部", (0.05, 0.0, 0.0)),
    "gas_supply": _p(2, (6, 120), 0.2, "燃气 液化石油气 能源燃气 燃气配送", "液化气站 瓶装液化气供应点", (0.1, 1.0, 0.0)),
    "catering": _p(12, (3, 60), 0.7, "餐饮管理 饮食 酒楼 餐饮连锁", "餐厅 酒家 饭店 茶餐厅 火锅店 烧腊店 粥铺 大排档 "
                   "湘菜馆 潮汕牛肉店 快餐店 客家菜馆", (0.05, 0.0, 1.0)),
    "retail_markets": _p(12, (3, 200), 0.5, "商贸 百货 实业发展 超市 商业管理", "超市 便利店 农贸市场 百货商场 建材市场 粮油店",
                         (0.02, 0.05, 0.3)),
    "logistics": _p(5, (10, 300), 0.1, "物流 仓储 供应链 国际货运代理 速递", "物流部 货运站", (0.05, 0.1, 0.1)),
    "road_transport": _p(3, (15, 400), 0.05, "运输 汽车运输 客运 货运 渣土运输 出租汽车", "货运部", (0.02, 0.1, 0.05)),
    "urban_village_rental": _p(6, (1, 6), 0.6, "物业租赁 公寓管理 住房租赁", "公寓 人才公寓 出租屋 宿舍楼", (0.05, 0.0, 0.4)),
    "three_small_places": _p(7, (2, 20), 0.9, "美容美发 电子商行 娱乐", "五金店 小作坊 网吧 KTV 美容院 理发店 洗车店 棋牌室 "
                             "电动车维修店 小旅馆", (0.0, 0.0, 0.3)),
    "crowded_places": _p(3, (20, 300), 0.3, "酒店管理 影城 商业管理 体育文化", "酒店 宾馆 影城 KTV 游乐城", (0.1, 0.0, 0.5)),
    "education": _p(2, (15, 200), 0.0, "幼儿园 实验学校 外国语学校 教育科技 职业培训学校", "", (0.05, 0.1, 0.6)),
    "health_elderly": _p(2, (10, 300), 0.3, "医院 门诊部 养老院 颐养院 康复医疗", "诊所 口腔诊所 中医馆 药房", (0.05, 0.3, 0.5)),
    "special_equipment": _p(2, (10, 250), 0.0, "电梯工程 起重设备 锅炉 压力容器 叉车租赁 机电设备", "", (0.2, 0.1, 0.1)),
    "electric_power": _p(1, (15, 300), 0.0, "电力工程 供电服务 电力设备 新能源科技 充电科技", "", (0.4, 0.05, 0.0)),
    "water_utilities": _p(1, (15, 200), 0.0, "水务 水质净化 污水处理 供水 水处理环保", "", (0.8, 0.3, 0.0)),
    "property_sanitation": _p(3, (10, 300), 0.1, "物业管理 环境卫生服务 清洁服务 环境服务", "清洁队", (0.5, 0.0, 0.1)),
    "hazardous_waste": _p(1, (8, 120), 0.0, "环保科技 再生资源 危险废物处理 环境技术 固废处理", "", (0.4, 0.6, 0.0)),
    "other": _p(2, (3, 100), 0.3, "科技 文化传播 贸易 技术服务 实业", "工作室 商行 维修部", (0.03, 0.02, 0.1)),
}
DEFAULT_PROFILE = SECTOR_PROFILES["other"]._replace(weight=1)  # for sector codes added to the taxonomy later
INDUSTRIAL_SECTORS = frozenset({"manufacturing", "hazardous_chemicals", "logistics", "hazardous_waste",
                                "special_equipment"})
NO_COMPANY_SUFFIX = ("幼儿园", "学校", "医院", "门诊部", "养老院", "颐养院")  # institutions, not 有限公司

BRAND_CHARS = "鑫达华宏盛兴金永恒丰源泰嘉瑞隆昌新德万利富佳创康裕荣祥宝鹏信和安益星美联辉凯力顺发通广立健豪越"
SHOP_BRANDS = ("客家王", "老街坊", "阿婆", "潮味", "湘里人家", "好运来", "家家乐", "天天", "百姓", "万家福", "老地方",
               "福满楼", "顺心", "阿强", "小胖", "金满堂", "乐活", "悦来", "红运", "新世纪")
STREET_ROADS = {
    "pinghu": ("平湖大街", "富民路", "平新北路", "凤凰大道", "良白路", "新木大道", "华南大道"),
    "bantian": ("坂雪岗大道", "五和大道", "布龙路", "环城南路", "雪岗路", "岗头路", "杨美路"),
    "buji": ("布吉路", "龙岗大道", "吉华路", "景芬路", "德兴大道", "罗岗路", "大芬路"),
    "nanwan": ("丹竹头路", "沙湾路", "李朗大道", "南岭东路", "樟树布路", "吉厦路"),
    "henggang": ("龙岗大道", "深惠路", "松柏路", "六约路", "四联路", "红棉路"),
    "longcheng": ("龙翔大道", "龙城大道", "吉祥路", "愉园路", "爱联路", "嶂背路", "黄阁路"),
    "longgang": ("龙岗大道", "龙岗路", "南联路", "龙西路", "新生路", "五联路"),
    "pingdi": ("龙岗大道", "坪西路", "富坪路", "年丰路", "教育路", "高桥路"),
    "jihua": ("吉华路", "甘坑路", "水径路", "三联路", "丽湖路", "光华路"),
    "yuanshan": ("宝荷路", "大康路", "安良路", "保安路", "西坑路", "荷坳路"),
    "baolong": ("宝龙大道", "宝龙一路", "同乐路", "龙东路", "南约路", "龙新路"),
}
GENERIC_ROADS = ("龙岗大道", "深惠路", "建设路", "工业路", "人民路", "新村路")

# Surnames roughly in order of frequency in Guangdong; the earlier, the likelier.
SURNAMES = "陈李黄张林刘王吴杨梁何郑罗钟曾邓周谢徐赖叶朱许蔡彭丘胡郭苏温卢廖马江余潘冯方肖"
SURNAME_WEIGHTS = tuple(range(len(SURNAMES), 0, -1))
GIVEN_CHARS = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚辉鹏华红玲英建国文斌俊峰志海燕婷宇浩晓梅兰春秀金龙泽嘉欣思雨涵佳怡豪"
MOBILE_PREFIXES = ("130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                   "156", "157", "158", "159", "166", "176", "177", "180", "181", "182", "183", "185", "186", "187",
                   "188", "189", "199")
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code check


def grid_codes(community: dict) -> list[str]:
    """Grid codes of a community as the reference data names them: '<community code>-01', '-02', ..."""
    return [f"{community['code']}-{i:02d}" for i in range(1, community.get("grids", 1) + 1)]


def person_name(rng: random.Random) -> str:
    """A plausible Chinese personal name: a common surname and one or two given-name characters."""
    surname = rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
    return surname + "".join(rng.choice(GIVEN_CHARS) for _ in range(1 if rng.random() < 0.3 else 2))


def generate_enterprises(streets: list[dict], sectors: list[str], n: int = 865, seed: int = 2021) -> list[dict]:
    """`n` demo enterprises spread over every grid of `streets` and every sector code in `sectors`.

    `streets` is the parsed `streets` list of longgang.yaml; a community's grids are taken from its
    `grid_codes` key, or derived with grid_codes(). Rows come out in filing order.
    """
    if n <= 0:
        return []
    if not sectors:
        raise ValueError("at least one sector is needed")
    rng = random.Random(seed)
    places = [(street, community, grid) for street in streets for community in street["communities"]
              for grid in (community.get("grid_codes") or grid_codes(community))]
    if not places:
        raise ValueError("the streets have no grids")
    # Every grid once (if n allows), the rest uniformly over grids: streets with more grids get more.
    chosen = rng.sample(places, n) if n < len(places) else places + rng.choices(places, k=n - len(places))
    rng.shuffle(chosen)
    used_names: set[str] = set()
    used_codes: set[str] = set()
    rows = [_enterprise(rng, sector, *place, used_names, used_codes)
            for sector, place in zip(_sector_mix(rng, sectors, n), chosen)]
    rows.sort(key=lambda row: row["filed_on"])
    return rows


def _sector_mix(rng: random.Random, sectors: list[str], n: int) -> list[str]:
    """At least MIN_PER_SECTOR of each sector (when n allows), the rest by sector weight; shuffled."""
    floor = [s for _ in range(MIN_PER_SECTOR) for s in sectors][:n]
    weights = [SECTOR_PROFILES.get(s, DEFAULT_PROFILE).weight for s in sectors]
    mix = floor + rng.choices(sectors, weights=weights, k=n - len(floor))
    rng.shuffle(mix)
    return mix


def _enterprise(rng: random.Random, sector: str, street: dict, community: dict, grid: str,
                used_names: set[str], used_codes: set[str]) -> dict:
    profile = SECTOR_PROFILES.get(sector, DEFAULT_PROFILE)
    individual = bool(profile.shops) and rng.random() < profile.shop_share
    risk = rng.choices(RISK_LEVELS, weights=HIGH_RISK_MIX if sector in HIGH_RISK_SECTORS else RISK_MIX)[0]
    low, high = profile.headcount
    if individual:
        high = min(high, 30)
    headcount = int(rng.triangular(low, high, low + (high - low) * 0.15))
    chemicals = rng.random() < profile.hazardous_chemicals
    key_odds = KEY_ENTERPRISE_ODDS[risk] + (0.2 if chemicals else 0.0) + (0.2 if headcount >= 300 else 0.0)
    return {
        "name": _unique_name(rng, profile, individual, street, community, used_names),
        "credit_code": _credit_code(rng, individual, used_codes),
        "sector": sector,
        "street": street["code"],
        "community": community["code"],
        "grid": grid,
        "address": _address(rng, sector, street, community),
        "risk_level": risk,
        "confined_space": rng.random() < profile.confined_space,
        "hazardous_chemicals": chemicals,
        "gas_user": rng.random() < profile.gas_user,
        "key_enterprise": rng.random() < key_odds,
        "headcount": headcount,
        "legal_representative": person_name(rng),
        "contact_name": person_name(rng),
        "contact_phone": rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10 ** 8):08d}",
        "filed_on": FILING_START + timedelta(days=rng.randrange((FILING_END - FILING_START).days + 1)),
        "status": "active",
    }


def _short(name: str, suffix: str) -> str:
    return name[:-len(suffix)] if name.endswith(suffix) and len(name) > len(suffix) else name


def _unique_name(rng: random.Random, profile: Profile, individual: bool, street: dict, community: dict,
                 used: set[str]) -> str:
    street_short = _short(street["zh"], "街道")
    community_short = _short(community["zh"], "社区")
    places = [street_short] if community_short in ("中心", "中心城") else [street_short, community_short]
    for attempt in range(1000):
        size = 2 if attempt < 20 else 3  # widen the brand space if the register gets crowded
        brand = "".join(rng.sample(BRAND_CHARS, size))
        if individual:
            if rng.random() < 0.3:
                brand = rng.choice(SHOP_BRANDS)
            name = f"{rng.choice(places)}{brand}{rng.choice(profile.shops)}"
        else:
            trade = rng.choice(profile.trades)
            prefix = "深圳市" if rng.random() < 0.6 else f"深圳市龙岗区{street_short}"
            name = f"{prefix}{brand}{trade}" + ("" if trade.endswith(NO_COMPANY_SUFFIX) else "有限公司")
        if name not in used:
            used.add(name)
            return name
    raise RuntimeError("could not find an unused enterprise name")


def _credit_code(rng: random.Random, individual: bool, used: set[str]) -> str:
    """'91' company or '92' individual business, Shenzhen or Longgang region, organisation code, check."""
    while True:
        region = "440307" if rng.random() < 0.15 else "440300"
        code = complete(("92" if individual else "91") + region + _organisation_code(rng))
        if code not in used:
            used.add(code)
            return code


def _organisation_code(rng: random.Random) -> str:
    """9 characters: newer registrations 'MA5' + 5 code characters, older ones 8 digits; GB 11714 check last."""
    if rng.random() < 0.7:
        body = "MA5" + "".join(rng.choice(ALPHABET) for _ in range(5))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    check = 11 - sum(int(ch, 36) * w for ch, w in zip(body, ORG_CODE_WEIGHTS)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def _address(rng: random.Random, sector: str, street: dict, community: dict) -> str:
    road = rng.choice(STREET_ROADS.get(street["code"], GENERIC_ROADS))
    address = f"深圳市龙岗区{street['zh']}{community['zh']}{road}{rng.randint(1, 399)}号"
    if sector in INDUSTRIAL_SECTORS:
        return address + f"{_short(community['zh'], '社区')}工业区{rng.randint(1, 12)}栋"
    if rng.random() < 0.4:
        floor = rng.randint(1, 6)
        return address + f"{floor}楼{floor}{rng.randint(1, 20):02d}"
    return address
