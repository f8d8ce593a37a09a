"""Server-side SVG charts for regulator dashboards and PDF reports.

The same string works inline in a page and in a WeasyPrint PDF: no script, no CSS, nothing to
fetch, only presentation attributes. The viewBox is 320 units wide and the svg scales to 100 % of
its container, so on a 360 px phone a unit is about a CSS pixel and 11–13-unit text stays
readable. Labels are user data (enterprise and street names): every string reaches the output
through _tag, which escapes it.
"""
from __future__ import annotations

import itertools
import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape

W, PAD, PLOT_H = 320, 8, 160         # viewBox width, margin, height of a vertical plot area
FS, SMALL, TITLE_FS = 12, 11, 13     # category labels, ticks and values, title
ROT_MAX = 72                         # longest rotated category label, in units
FONT = "SafetyList Hei, Noto Sans CJK SC, sans-serif"  # the PDF font first (print.css @font-face)
INK, GRID, MUTED = "#1b1f24", "#d0d4d9", "#5f6b76"
# Okabe–Ito, reordered so the first two (the usual opened/closed pair) contrast most on white.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
_ids = itertools.count(1)  # ids only need to be unique within one rendered page


@dataclass
class Series:
    name: str
    values: list[float | int | None]  # None: no data (no bar, a gap in the line)
    color: str | None = None          # None: the next palette colour


def nice_ticks(maximum: float, count: int = 5, *, integer: bool = False) -> list[float]:
    """0, then steps of 1, 2 or 5 × 10^k, up to the first tick ≥ maximum (at most count steps).
    integer=True keeps steps ≥ 1, for counts (no "0.5 hazards")."""
    if not maximum > 0:  # also catches NaN
        return [0]
    raw = maximum / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw * (1 - 1e-9))
    if integer:
        step = max(step, 1)
    digits = max(0, -math.floor(math.log10(step)))  # 0.1 * 3 must come out as 0.3
    return [round(i * step, digits) for i in range(math.ceil(maximum / step - 1e-9) + 1)]


def _fmt(v: float) -> str:
    """Integers without ".0"; others to four significant digits, trailing zeros dropped."""
    if float(v).is_integer():
        return str(int(v))
    decimals = max(0, 3 - math.floor(math.log10(abs(v))))
    return f"{v:.{decimals}f}".rstrip("0").rstrip(".")


def _num(v) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v)


def _tag(name: str, *children, **attrs) -> Markup:
    """<name attrs>children</name>; attribute values and str children are escaped, Markup kept.
    font_size= becomes font-size=, class_= becomes class=."""
    text = "".join(f' {k.rstrip("_").replace("_", "-")}="{escape(_num(v))}"'
                   for k, v in attrs.items() if v is not None)
    inner = "".join(escape(c) for c in children)
    return Markup(f"<{name}{text}>{inner}</{name}>" if inner else f"<{name}{text}/>")


def _width(text: str, size: float = FS) -> float:
    """Rough rendered width: CJK glyphs are a full em, the rest about 0.6 em."""
    return size * sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6 for c in text)


def _label(text: str, max_w: float, size: float = FS, **attrs) -> Markup:
    """A <text>, cut to max_w with an ellipsis; a cut label keeps its full text in a <title>."""
    shown = text
    while shown and _width(shown if shown == text else shown + "…", size) > max_w:
        shown = shown[:-1]
    if shown == text:
        return _tag("text", text, font_size=size, **attrs)
    return _tag("g", _tag("title", text), _tag("text", shown + "…", font_size=size, **attrs))


def _value(v, unit: str, no_data: str) -> str:
    return no_data if v is None else f"{_fmt(v)} {unit}".strip()


def _prepare(labels, series):
    """Checked copies of the series (floats, NaN as None) and their colours."""
    clean = []
    for s in series:
        if len(s.values) != len(labels):
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(labels)} labels")
        values = [None if v is None or math.isnan(v) else float(v) for v in s.values]
        if any(v is not None and v < 0 for v in values):
            raise ValueError("charts draw counts and rates: values must not be negative")
        clean.append(Series(s.name, values, s.color or PALETTE[len(clean) % len(PALETTE)]))
    return clean


def _desc(title, labels, series, unit, no_data) -> str:
    """Every number as plain text, for screen readers and text-only readers."""
    return f"{title}. " + ". ".join(
        f"{s.name}: " + "; ".join(f"{l} {_value(v, unit, no_data)}" for l, v in zip(labels, s.values))
        for s in series)


def _svg(title: str, desc: str, height: float, body) -> Markup:
    cid = f"slchart{next(_ids)}"
    return _tag("svg", _tag("title", title, id=f"{cid}-t"), _tag("desc", desc, id=f"{cid}-d"), *body,
                xmlns="http://www.w3.org/2000/svg", viewBox=f"0 0 {W} {_num(float(height))}",
                width="100%", role="img", aria_labelledby=f"{cid}-t", aria_describedby=f"{cid}-d",
                font_family=FONT, fill=INK)


def _no_data(title: str, no_data: str) -> Markup:
    return _svg(title, f"{title}. {no_data}", 80, [
        _label(title, W - 2 * PAD, TITLE_FS, x=PAD, y=16, font_weight="bold"),
        _tag("text", no_data, x=W / 2, y=54, font_size=FS, text_anchor="middle", fill=MUTED)])


def _header(title, unit, series):
    """Title, legend (flowing into rows) when there are several series, unit; → (items, plot top)."""
    out, y = [_label(title, W - 2 * PAD, TITLE_FS, x=PAD, y=16, font_weight="bold")], 24
    if len(series) > 1:
        x, y = PAD, y + 12
        for s in series:
            w = 14 + min(_width(s.name), W / 2 - 30) + 12
            if x > PAD and x + w > W - PAD:
                x, y = PAD, y + 18
            out += [_tag("rect", x=x, y=y - 9, width=10, height=10, fill=s.color),
                    _label(s.name, W / 2 - 30, x=x + 14, y=y)]
            x += w
        y += 6
    if unit:
        out.append(_label(unit, W - 2 * PAD, SMALL, x=PAD, y=y + 12, fill=MUTED))
        y += 16
    return out, y + 8


def _bar(x, y, w, h, color, tip) -> Markup:
    return _tag("rect", _tag("title", tip), x=x, y=y, width=w, height=h, fill=color)


def _linked(link, i, items, box) -> Markup:
    """One category's marks, in an <a> when there is a list behind them. A clear rect over the
    whole band makes small bars and their label easy to tap on a phone."""
    if link is None:
        return _tag("g", *items)
    x, y, w, h = box
    return _tag("a", _tag("rect", x=x, y=y, width=w, height=h, fill="#fff", fill_opacity=0), *items,
                href=link(i))


def _y_axis(ticks, top):
    """Gridlines and tick labels of a vertical plot; → (items, left edge, scale, baseline)."""
    left = PAD + max(_width(_fmt(t), SMALL) for t in ticks) + 4
    scale, base = PLOT_H / ticks[-1], top + PLOT_H
    out = []
    for t in ticks:
        y = base - t * scale
        out += [_tag("line", x1=left, x2=W - PAD, y1=y, y2=y, stroke=INK if t == 0 else GRID),
                _tag("text", _fmt(t), x=left - 4, y=y + 4, font_size=SMALL, text_anchor="end", fill=MUTED)]
    return out, left, scale, base


def _x_labels(labels, xs, spacing, y):
    """Category labels under a plot: flat when they fit; else rotated 45° and thinned, so that
    shown neighbours are ≥ 1.5 font sizes apart (0.71 × that across the slant, still > FS).
    → (one label or "" per category, height used)."""
    widest = max(_width(l) for l in labels)
    if widest <= spacing - 4:
        return [_label(l, spacing - 4, x=x, y=y + FS, text_anchor="middle")
                for l, x in zip(labels, xs)], FS + 6
    step, out = math.ceil(1.5 * FS / spacing), []
    for i, (l, x) in enumerate(zip(labels, xs)):
        ax, ay = x + 4, y + 8
        room = min(ROT_MAX, (ax - 8) / 0.71)  # the first labels must not run off the left edge
        out.append("" if i % step else
                   _label(l, room, x=ax, y=ay, text_anchor="end", transform=f"rotate(-45 {_num(ax)} {_num(ay)})"))
    return out, min(widest, ROT_MAX) * 0.71 + FS + 8


def bar_chart(categories: list[str], series: list[Series], *, title: str, unit: str = "",
              stacked: bool = False, horizontal: bool = False,
              link: Callable[[int], str] | None = None, no_data: str = "—") -> Markup:
    """Grouped (or stacked) bars per category; horizontal=True for long names such as streets.
    link(i) gives the URL of the list behind category i."""
    series = _prepare(categories, series)
    if not categories or not any(v for s in series for v in s.values):
        return _no_data(title, no_data)
    present = [[v for v in col if v is not None] for col in zip(*(s.values for s in series))]
    top_value = max(sum(c) if stacked else max(c, default=0) for c in present)
    integer = all(v.is_integer() for c in present for v in c)
    head, top = _header(title, unit, series)
    args = (categories, series, top_value, integer, top, stacked, link, unit, no_data)
    body, height = _hbars(*args) if horizontal else _vbars(*args)
    return _svg(title, _desc(title, categories, series, unit, no_data), height, head + body)


def _tip(cat, s, v, unit, no_data):
    return f"{cat} · {s.name}: {_value(v, unit, no_data)}"


def _vbars(cats, series, top_value, integer, top, stacked, link, unit, no_data):
    ticks = nice_ticks(top_value, integer=integer)
    out, left, scale, base = _y_axis(ticks, top)
    band = (W - PAD - left) / len(cats)
    labels, label_h = _x_labels(cats, [left + (i + 0.5) * band for i in range(len(cats))], band, base + 2)
    width = band * 0.8 if stacked else band * 0.8 / len(series)
    for i, cat in enumerate(cats):
        x, y, items = left + band * 0.1 + i * band, base, []
        for j, s in enumerate(series):
            v = s.values[i]
            if v is None:
                continue
            h = v * scale
            y = y - h if stacked else base - h
            items.append(_bar(x if stacked else x + j * width, y, width, h, s.color, _tip(cat, s, v, unit, no_data)))
        out.append(_linked(link, i, items + [labels[i]], (left + i * band, top, band, PLOT_H + label_h)))
    return out, base + label_h + 4


def _hbars(cats, series, top_value, integer, top, stacked, link, unit, no_data):
    """One row per category, its label on the left and each bar's value (stacked: the total) at
    its end, since a phone has no hover for the tooltips."""
    n = 1 if stacked else len(series)
    thick = 16 if n == 1 else 12  # ≥ SMALL, so value labels of neighbouring bars do not overlap
    row = n * thick + 8
    label_w = min(max(_width(c) for c in cats), 112)
    x0 = PAD + label_w + 6
    values = [sum(v for v in col if v is not None) for col in zip(*(s.values for s in series))] if stacked \
        else [v for s in series for v in s.values if v is not None]
    plot_w = W - PAD - max(_width(_fmt(v), SMALL) for v in values) - 4 - x0
    for count in (5, 4, 3, 2, 1):  # fewer ticks until their labels fit side by side
        ticks = nice_ticks(top_value, count, integer=integer)
        if plot_w / len(ticks) >= max(_width(_fmt(t), SMALL) for t in ticks) + 6:
            break
    scale, base = plot_w / ticks[-1], top + len(cats) * row
    out = []
    for t in ticks:
        x = x0 + t * scale
        out += [_tag("line", x1=x, x2=x, y1=top, y2=base, stroke=INK if t == 0 else GRID),
                _tag("text", _fmt(t), x=x, y=base + 14, font_size=SMALL, text_anchor="middle", fill=MUTED)]
    for i, cat in enumerate(cats):
        y = top + i * row
        items, x = [_label(cat, label_w, x=PAD + label_w, y=y + row / 2 + 4, text_anchor="end")], x0
        for j, s in enumerate(series):
            v = s.values[i]
            if v is None:
                continue
            by = y + 4 if stacked else y + 4 + j * thick
            items.append(_bar(x, by, v * scale, thick, s.color, _tip(cat, s, v, unit, no_data)))
            if stacked:
                x += v * scale
            else:
                items.append(_tag("text", _fmt(v), x=x0 + v * scale + 3, y=by + thick / 2 + 4, font_size=SMALL))
        if stacked and any(s.values[i] is not None for s in series):
            items.append(_tag("text", _fmt(values[i]), x=x + 3, y=y + 4 + thick / 2 + 4, font_size=SMALL))
        out.append(_linked(link, i, items, (0, y, W, row)))
    return out, base + 22


def line_chart(labels: list[str], series: list[Series], *, title: str, unit: str = "",
               no_data: str = "—") -> Markup:
    """Lines with a dot at each point over a zero-based axis; None leaves a gap."""
    series = _prepare(labels, series)
    if not labels or not any(v for s in series for v in s.values):
        return _no_data(title, no_data)
    present = [v for s in series for v in s.values if v is not None]
    head, top = _header(title, unit, series)
    ticks = nice_ticks(max(present), integer=all(v.is_integer() for v in present))
    out, left, scale, base = _y_axis(ticks, top)
    band = (W - PAD - left) / len(labels)
    xs = [left + (i + 0.5) * band for i in range(len(labels))]
    texts, label_h = _x_labels(labels, xs, band, base + 2)
    out += [t for t in texts if t]
    for s in series:
        d, dots, pen_down = [], [], False
        for label, x, v in zip(labels, xs, s.values):
            if v is None:
                pen_down = False
                continue
            y = base - v * scale
            d.append(f"{'L' if pen_down else 'M'}{_num(x)} {_num(y)}")
            dots.append(_tag("circle", _tag("title", _tip(label, s, v, unit, no_data)),
                             cx=x, cy=y, r=3, fill=s.color))
            pen_down = True
        out += [_tag("path", d=" ".join(d), fill="none", stroke=s.color, stroke_width=2,
                     stroke_linejoin="round"), *dots]
    return _svg(title, _desc(title, labels, series, unit, no_data), base + label_h + 4, head + out)
