"""SVG charts: well-formed, to scale, escaped, linked, described, readable at phone width, printable."""
from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from safetylist.dashboard.charts import Series, bar_chart, line_chart, nice_ticks

NS = "{http://www.w3.org/2000/svg}"
STREETS = ["新华街道", "长安街道办事处（原城关镇）", "东关街道", "西城街道", "南苑街道", "北苑街道",
           "湖滨街道", "高新技术产业开发区管理委员会", "经开区", "城南街道", "城北街道"]


def parse(svg) -> ET.Element:
    assert isinstance(svg, Markup)
    return ET.fromstring(str(svg))  # raises unless well-formed XML


def tip(el) -> str | None:
    title = el.find(f"{NS}title")
    return None if title is None else title.text


def bars(root) -> list[ET.Element]:
    """Data rects: the ones with a tooltip (legend swatches and tap areas have none)."""
    return [r for r in root.iter(f"{NS}rect") if tip(r)]


def num(el, name) -> float:
    return float(el.get(name))


def desc(root) -> str:
    return root.find(f"{NS}desc").text


def category_groups(root) -> list[ET.Element]:
    return [g for g in root if g.tag in (f"{NS}g", f"{NS}a") and bars(g)]


# --- scale --------------------------------------------------------------------------------------
def test_vertical_bar_heights_are_proportional_and_reach_their_tick():
    values = [10, 5, 2.5, 7, 0]
    root = parse(bar_chart(list("ABCDE"), [Series("隐患", values)], title="t"))
    rects = bars(root)
    assert len(rects) == 5
    k = num(rects[0], "height") / 10
    for rect, v in zip(rects, values):
        assert num(rect, "height") == pytest.approx(v * k, abs=0.011)
    bottoms = {round(num(r, "y") + num(r, "height"), 1) for r in rects}
    assert len(bottoms) == 1  # one baseline
    # the 10-bar's top is on the gridline labelled 10 (ticks 0, 2, … 10)
    labels = {t.text: num(t, "y") for t in root.iter(f"{NS}text")}
    gridline_10 = [ln for ln in root.iter(f"{NS}line") if abs(num(ln, "y1") - (labels["10"] - 4)) < 0.01]
    assert gridline_10 and num(rects[0], "y") == pytest.approx(num(gridline_10[0], "y1"), abs=0.011)
    assert labels["0"] - 4 == pytest.approx(bottoms.pop(), abs=0.1)


def test_horizontal_bars_one_row_per_street_with_its_label_on_the_left():
    values = [5, 3, 12, 8, 1, 2, 6, 4, 9, 7, 11]
    root = parse(bar_chart(STREETS, [Series("隐患", values)], title="各街道隐患", unit="项", horizontal=True))
    groups = category_groups(root)
    assert len(groups) == 11
    k = num(bars(root)[0], "width") / 5
    rows = []
    for group, v in zip(groups, values):
        (rect,) = bars(group)
        assert num(rect, "width") == pytest.approx(v * k, abs=0.011)
        label = next(group.iter(f"{NS}text"))
        assert label.get("text-anchor") == "end" and num(label, "x") < num(rect, "x")
        rows.append(num(rect, "y"))
        assert any(t.text == str(v) for t in group.iter(f"{NS}text"))  # value printed at the bar's end
    assert rows == sorted(rows) and len(set(rows)) == 11


def test_grouped_bars_sit_side_by_side_in_their_category():
    root = parse(bar_chart(["一月", "二月"], [Series("a", [3, 1]), Series("b", [1, 2])], title="t"))
    first, second = category_groups(root)
    a, b = bars(first)
    assert num(b, "x") == pytest.approx(num(a, "x") + num(a, "width"), abs=0.02)
    assert num(a, "height") == pytest.approx(3 * num(b, "height"), abs=0.03)
    assert max(num(r, "x") for r in bars(first)) < min(num(r, "x") for r in bars(second))


@pytest.mark.parametrize("horizontal", [False, True])
def test_stacked_bars_sum_to_the_total(horizontal):
    closed, open_ = [4, 2, 0, 5], [1, 3, 6, None]
    root = parse(bar_chart(list("ABCD"), [Series("已整改", closed), Series("未整改", open_)],
                           title="t", stacked=True, horizontal=horizontal))
    size = "width" if horizontal else "height"
    groups = category_groups(root)
    k = sum(num(r, size) for r in bars(groups[0])) / 5
    for group, c, o in zip(groups, closed, open_):
        segments = bars(group)
        total = c + (o or 0)
        assert sum(num(r, size) for r in segments) == pytest.approx(total * k, abs=0.03)
        assert len({num(r, "y" if horizontal else "x") for r in segments}) == 1  # one column / row
        if len(segments) == 2:  # the second segment starts where the first ends
            lower, upper = segments
            if horizontal:
                assert num(upper, "x") == pytest.approx(num(lower, "x") + num(lower, "width"), abs=0.02)
            else:
                assert num(upper, "y") + num(upper, "height") == pytest.approx(num(lower, "y"), abs=0.02)
    assert len(bars(groups[3])) == 1  # None: no segment


# --- missing data -------------------------------------------------------------------------------
def test_none_draws_no_bar():
    root = parse(bar_chart(["甲", "乙", "丙"], [Series("a", [1, None, 3]), Series("b", [None, 2, 0])], title="t"))
    tips = [tip(r) for r in bars(root)]
    assert tips == ["甲 · a: 1", "乙 · b: 2", "丙 · a: 3", "丙 · b: 0"]


def test_none_is_a_gap_in_the_line():
    months = [f"{m}月" for m in range(1, 13)]
    opened = [12, 15, 9, None, 20, 18, 25, 22, None, 14, 10, 8]
    root = parse(line_chart(months, [Series("新增", opened), Series("闭环", [3] * 12)], title="趋势", unit="项"))
    paths = list(root.iter(f"{NS}path"))
    assert len(paths) == 2
    d = paths[0].get("d")
    assert re.findall(r"[ML]", d) == list("MLLMLLLMLL")  # a new sub-path after each gap
    assert len(re.findall(r"[ML]", paths[1].get("d"))) == 12 and paths[1].get("d").count("M") == 1
    dots = [c for c in root.iter(f"{NS}circle") if tip(c).split(" · ")[1].startswith("新增")]
    assert len(dots) == 10
    assert tip(dots[0]) == "1月 · 新增: 12 项"


def test_line_points_scale_from_a_zero_baseline():
    values = [0, 5, 10, 2.5]
    root = parse(line_chart(list("ABCD"), [Series("x", values)], title="t"))
    texts = {t.text: num(t, "y") - 4 for t in root.iter(f"{NS}text")}
    base, ten = texts["0"], texts["10"]
    ys = [num(c, "cy") for c in root.iter(f"{NS}circle")]
    for y, v in zip(ys, values):
        assert base - y == pytest.approx(v / 10 * (base - ten), abs=0.02)
    xs = [num(c, "cx") for c in root.iter(f"{NS}circle")]
    assert xs == sorted(xs)


@pytest.mark.parametrize("chart", [
    lambda **kw: bar_chart(["A", "B"], [Series("x", [0, None])], title="空", **kw),
    lambda **kw: bar_chart([], [], title="空", **kw),
    lambda **kw: bar_chart(["A"], [Series("x", [0]), Series("y", [0])], title="空", stacked=True,
                           horizontal=True, **kw),
    lambda **kw: line_chart(["A", "B"], [Series("x", [None, 0])], title="空", **kw),
    lambda **kw: line_chart([], [], title="空", **kw),
])
def test_no_data_says_so_instead_of_dividing_by_zero(chart):
    root = parse(chart(no_data="暂无数据"))
    assert not bars(root) and not list(root.iter(f"{NS}path"))
    assert "暂无数据" in [t.text for t in root.iter(f"{NS}text")]
    assert "暂无数据" in desc(root)
    assert "—" in [t.text for t in parse(chart()).iter(f"{NS}text")]  # the default text


def test_values_must_match_labels_and_not_be_negative():
    with pytest.raises(ValueError):
        bar_chart(["A", "B"], [Series("x", [1])], title="t")
    with pytest.raises(ValueError):
        line_chart(["A"], [Series("x", [-1])], title="t")


# --- text -------------------------------------------------------------------------------------
def test_labels_are_escaped():
    evil = "<script>alert(1)</script>"
    svg = bar_chart([evil, 'a"b'], [Series("A&B <i>", [1, 2])], title="<b>t</b>", unit="<u>",
                    link=lambda i: f"/x?a={i}&b=\"><script>", horizontal=True)
    svg2 = line_chart([evil], [Series("A&B <i>", [1]), Series("y", [2])], title="<b>t</b>")
    for s in (svg, svg2):
        assert "<script" not in s and "<b>" not in s and "<i>" not in s and "<u>" not in s
        root = parse(s)
        assert {el.tag for el in root.iter()} <= {NS + t for t in (
            "svg", "title", "desc", "g", "a", "rect", "line", "text", "path", "circle")}
        assert evil in desc(root) and "A&B <i>" in desc(root)
        assert root.find(f"{NS}title").text == "<b>t</b>"
    assert any(tip(r) == f"{evil} · A&B <i>: 1 <u>" for r in bars(parse(svg)))


def test_long_labels_are_cut_with_an_ellipsis_and_keep_their_full_text_in_a_title():
    name = STREETS[7]
    root = parse(bar_chart(STREETS, [Series("x", list(range(1, 12)))], title="t", horizontal=True))
    group = category_groups(root)[7]
    holder = next(g for g in group.iter(f"{NS}g") if tip(g))
    assert tip(holder) == name
    shown = holder.find(f"{NS}text").text
    assert shown.endswith("…") and name.startswith(shown[:-1]) and len(shown) < len(name)
    short = next(category_groups(root)[0].iter(f"{NS}text"))
    assert short.text == STREETS[0]  # short names are shown whole


def test_desc_lists_every_value_and_numbers_drop_trailing_zeros():
    cats = ["甲企业", "乙企业", "丙企业"]
    root = parse(bar_chart(cats, [Series("检查", [3.0, 12.5, None]), Series("隐患", [0.1 + 0.2, 1234, 7])],
                           title="检查情况", unit="次", no_data="无数据"))
    text = desc(root)
    assert text.startswith("检查情况")
    for part in ["检查: 甲企业 3 次; 乙企业 12.5 次; 丙企业 无数据", "隐患: 甲企业 0.3 次; 乙企业 1234 次; 丙企业 7 次"]:
        assert part in text
    assert "3.0" not in text and "0.30000" not in text


def test_phone_readable_sizes_and_scaling():
    for svg in (bar_chart(STREETS, [Series("a", [1] * 11), Series("b", [2] * 11)], title="t", horizontal=True),
                bar_chart([str(i) for i in range(30)], [Series("a", list(range(30)))], title="t", unit="家"),
                line_chart(["1月", "2月"], [Series("a", [1, 2])], title="t")):
        root = parse(svg)
        assert root.get("viewBox").split()[:3] == ["0", "0", "320"] and root.get("width") == "100%"
        assert root.get("height") is None  # height follows the viewBox's aspect ratio
        sizes = [float(t.get("font-size")) for t in root.iter(f"{NS}text")]
        assert sizes and min(sizes) >= 11
        assert "style" not in svg and "<script" not in svg and "http" not in str(svg).replace(NS[1:-1], "")


@pytest.mark.parametrize("chart", [bar_chart, line_chart])
def test_many_categories_do_not_overlap(chart):
    names = [f"第{i}家企业有限公司" for i in range(30)]
    root = parse(chart(names, [Series("x", [i % 7 + 1 for i in range(30)])], title="t"))
    labels = [t for t in root.iter(f"{NS}text")
              if t.text in names or t.text.endswith("…") and any(n.startswith(t.text[:-1]) for n in names)]
    assert 10 <= len(labels) <= 30
    xs = [num(t, "x") for t in labels]
    rotated = all((t.get("transform") or "").startswith("rotate(-45") for t in labels)
    gap = float(labels[0].get("font-size")) * (1.41 if rotated else 1)  # 45°: spacing across the slant
    assert all(b - a >= gap for a, b in itertools.pairwise(xs))
    tips = [tip(el) for el in root.iter() if tip(el) and " · " in tip(el)]
    assert len(tips) == 30 and tips[29].startswith(names[29])  # thinned labels still have their tooltip


# --- structure ----------------------------------------------------------------------------------
def test_legend_only_with_several_series_and_colours_differ():
    one = parse(bar_chart(["A"], [Series("单独", [1])], title="t"))
    assert "单独" not in [t.text for t in one.iter(f"{NS}text")]
    three = parse(bar_chart(["A"], [Series("甲", [1]), Series("乙", [2]), Series("丙", [3], color="#123456")],
                            title="t"))
    assert {"甲", "乙", "丙"} <= {t.text for t in three.iter(f"{NS}text")}
    fills = [r.get("fill") for r in bars(three)]
    assert len(set(fills)) == 3 and fills[2] == "#123456"


@pytest.mark.parametrize("horizontal", [False, True])
def test_link_wraps_each_categorys_bars(horizontal):
    url = lambda i: f"/remediation/hazards?street={i}&status=open"
    svg = bar_chart(STREETS[:4], [Series("a", [1, 2, None, 4]), Series("b", [2, 1, 3, 0])], title="t",
                    stacked=True, horizontal=horizontal, link=url)
    assert "&amp;status=open" in svg
    root = parse(svg)
    links = [a for a in root if a.tag == f"{NS}a"]
    assert [a.get("href") for a in links] == [url(i) for i in range(4)]
    assert sum(len(bars(a)) for a in links) == len(bars(root)) == 7
    assert all(STREETS[i] in tip(r) for i, a in enumerate(links) for r in bars(a))
    assert not [a for a in parse(bar_chart(["A"], [Series("a", [1])], title="t")).iter(f"{NS}a")]


def test_accessible_root_and_distinct_ids():
    make = lambda: bar_chart(["A"], [Series("a", [1])], title="隐患总数")
    first, second = parse(make()), parse(make())
    ids = []
    for root in (first, second):
        assert root.get("role") == "img"
        title = root.find(f"{NS}title")
        assert title.text == "隐患总数" and root.get("aria-labelledby") == title.get("id")
        assert root.get("aria-describedby") == root.find(f"{NS}desc").get("id")
        ids += [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids)) == 4


@pytest.mark.parametrize("maximum, expected", [
    (0, [0]), (-3, [0]), (float("nan"), [0]), (7, [0, 2, 4, 6, 8]), (95, [0, 20, 40, 60, 80, 100]),
    (0.3, [0, 0.1, 0.2, 0.3]), (10, [0, 2, 4, 6, 8, 10]), (1, [0, 0.2, 0.4, 0.6, 0.8, 1]),
    (0.07, [0, 0.02, 0.04, 0.06, 0.08]), (1234, [0, 500, 1000, 1500]), (100, [0, 20, 40, 60, 80, 100]),
])
def test_nice_ticks(maximum, expected):
    assert nice_ticks(maximum) == expected


def test_nice_ticks_count_and_integer_steps():
    assert nice_ticks(7, 2) == [0, 5, 10]
    assert nice_ticks(2) == [0, 0.5, 1, 1.5, 2]
    assert nice_ticks(2, integer=True) == [0, 1, 2]  # for counts: no half hazards
    assert nice_ticks(1, integer=True) == [0, 1]


# --- print --------------------------------------------------------------------------------------
def test_renders_in_weasyprint():
    import weasyprint
    charts = [
        bar_chart(STREETS, [Series("已整改", [5, 3, None, 8, 0, 2, 1, 4, 6, 7, 2]),
                            Series("未整改", [1, 2, 3, None, 0, 1, 0, 2, 1, 0, 5])],
                  title="各街道隐患", unit="项", stacked=True, horizontal=True, link=lambda i: f"/h?s={i}"),
        bar_chart([f"企业{i}" for i in range(30)], [Series("检查", list(range(30)))], title="检查"),
        line_chart([f"{m}月" for m in range(1, 13)], [Series("新增", [1, None] * 6), Series("闭环", [2] * 12)],
                   title="趋势"),
        bar_chart(["<script>x</script>"], [Series("x", [0])], title="空"),
    ]
    pdf = weasyprint.HTML(string=f"<html><body>{''.join(charts)}</body></html>").write_pdf()
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
