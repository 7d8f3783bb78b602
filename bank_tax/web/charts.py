"""Charts drawn in the browser by Apache ECharts, from an option this module writes.

Why ECharts and not server-side SVG: it is what Chinese dashboards use and officials know (tooltips,
category axes that hide labels which would overlap, an ARIA description), it draws in the reader's
browser so a page costs the server nothing for its charts, and its Chinese text uses the reader's
fonts. It is served from our own static folder (``bank_tax.web.vendor``), so the CSP stays
``script-src 'self'``; ``static/charts.js`` only hands each option to ``echarts.init``.

Every chart is a :class:`Chart`: a ``<figure>`` with its title as the caption, the drawing, and the data
as a table beside it, which is what screen readers, printouts and a browser without script read. A chart
with nothing to show says so in words instead of drawing empty axes. Numbers are formatted here, in the
page's language: percentages as ``12.5%``, money in 万元 with thousands separators, never ``e+06``."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from html import escape

from markupsafe import Markup

from bank_tax.web.i18n import L

# how a value reads, in the table and on the axis: (table format, axis label formatter, scale to axis,
# decimals drawn)
KINDS = {
    "count": ("{:,.0f}", "{value}", 1.0, 0),
    "percent": ("{:.1%}", "{value}%", 100.0, 1),
    "wan": ("{:,.2f}", "{value}", 1.0, 2),  # already in 万元
    "ratio": ("{:.3f}", "{value}", 1.0, 3),
}


def fmt(value: float | None, kind: str) -> str:
    """One value as the table shows it ("—" for none)."""
    if value is None:
        return "—"
    return KINDS[kind][0].format(value)


@dataclass
class Chart:
    """One chart: its title, the ECharts option (None: no data) and the data table beside it."""

    title: str
    option: dict | None
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.option is None

    def __html__(self) -> str:
        head = f'<figure class="chart"><figcaption>{escape(self.title)}</figcaption>'
        if self.empty:
            return head + f'<p class="no-data">{escape(L("暂无数据", "No data yet"))}</p></figure>'
        option = escape(json.dumps(_finite(self.option), ensure_ascii=False, separators=(",", ":"), allow_nan=False))
        cells = "".join(f'<th scope="col">{escape(c)}</th>' for c in self.columns)
        body = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>" for row in self.rows)
        return Markup(
            head + f'<div class="echart" role="img" aria-label="{escape(self.title)}" data-option="{option}"></div>'
            f'<table class="chart-data"><caption>{escape(L("数据表", "Data"))}</caption>'
            f"<thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table></figure>"
        )

    def __str__(self) -> str:
        return self.__html__()


def _finite(value):
    """The option with every NaN or infinity as null (JSON has neither; ECharts leaves a gap)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _nice(top: float) -> float:
    """The smallest of 1, 2, 2.5 or 5 times a power of ten at or above ``top``: an axis end people read."""
    if top <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(top))
    return next(round(m * power, 10) for m in (1, 2, 2.5, 5, 10) if m * power >= top - 1e-12)


def _base(title: str, x_label: str, y_label: str, kind: str, *, y_max: float | None = None) -> dict:
    y_axis = {
        "type": "value",
        "name": y_label,
        "nameLocation": "middle",
        "nameGap": 52,
        "axisLabel": {"formatter": KINDS[kind][1]},
    }
    if y_max is not None:
        y_axis["max"] = _nice(y_max * KINDS[kind][2])
    return {
        "aria": {"enabled": True, "label": {"description": title}},
        "animation": False,
        "grid": {"left": 72, "right": 24, "top": 24, "bottom": 76},
        "tooltip": {"trigger": "axis", "renderMode": "richText"},  # drawn in the SVG: no inline styles (CSP)
        "yAxis": y_axis,
        "xAxis": {"name": x_label, "nameLocation": "middle", "nameGap": 52},
    }


def _category_labels(labels: list[str]) -> dict:
    """Category labels that stay readable: every one, broken onto lines within its slot, for a few short
    ones; every one slanted for a few long ones (bank names); slanted, hiding those that would overlap,
    for many."""
    if len(labels) <= 8 and sum(len(label) for label in labels) <= 28:
        return {"interval": 0, "width": max(48, 480 // max(len(labels), 1) - 8), "overflow": "break"}
    if len(labels) <= 12:
        return {"interval": 0, "rotate": 30}
    return {"interval": "auto", "hideOverlap": True, "rotate": 30}


def _categories(option: dict, labels: list[str]) -> None:
    """A category x axis of ``labels``, with room below for slanted ones."""
    axis_label = _category_labels(labels)
    option["xAxis"].update(type="category", data=labels, axisLabel=axis_label)
    if axis_label.get("rotate"):
        longest = max(len(label) for label in labels)
        option["grid"]["bottom"] = 56 + min(longest, 14) * 7
        option["xAxis"]["nameGap"] = option["grid"]["bottom"] - 24


def bars(
    items: list[tuple[str, float | None]], *, title: str, x_label: str, y_label: str, kind: str = "count"
) -> Chart:
    """Bars of (label, value), e.g. firms per risk grade; items whose value is None are not drawn, and
    a chart of none says "no data"."""
    shown = [(label, v) for label, v in items if v is not None]
    rows = [[label, fmt(v, kind)] for label, v in items]
    if not shown:
        return Chart(title, None)
    scale = KINDS[kind][2]
    option = _base(title, x_label, y_label, kind)
    _categories(option, [label for label, _ in shown])
    option["series"] = [
        {
            "type": "bar",
            "name": y_label,
            "data": [round(v * scale, KINDS[kind][3]) for _, v in shown],
            "barMaxWidth": 48,
            "label": {"show": len(shown) <= 8, "position": "top", "formatter": KINDS[kind][1].replace("value", "c")},
        }
    ]
    return Chart(title, option, [x_label, y_label], rows)


def trend(
    labels: list[str],
    values: list[float],
    *,
    title: str,
    x_label: str,
    y_label: str,
    kind: str = "ratio",
    marks: list[tuple[str, float]] = (),
) -> Chart:
    """A line over ordered categories, e.g. the score's PSI run by run; ``marks`` are horizontal lines
    (name, value), e.g. the 0.1 and 0.25 PSI thresholds. One point is drawn as a point."""
    rows = [[label, fmt(v, kind)] for label, v in zip(labels, values, strict=True)]
    if not labels:
        return Chart(title, None)
    scale = KINDS[kind][2]
    option = _base(title, x_label, y_label, kind, y_max=max([*values, *(v for _, v in marks), 0]) * 1.05 or None)
    _categories(option, labels)
    option["xAxis"]["boundaryGap"] = len(labels) == 1
    series = {
        "type": "line",
        "name": y_label,
        "data": [round(v * scale, 6) for v in values],
        "showSymbol": True,
        "symbolSize": 8,
    }
    if marks:
        series["markLine"] = {
            "symbol": "none",
            "data": [
                {"name": n, "yAxis": round(v * scale, 6), "label": {"formatter": n, "position": "insideEndTop"}}
                for n, v in marks
            ],
        }
    option["series"] = [series]
    return Chart(title, option, [x_label, y_label], rows)


def curve(
    xs: list[float],
    ys: list[float],
    *,
    title: str,
    x_label: str,
    y_label: str,
    diagonal: bool = False,
    dots: bool = False,
    kind: str = "percent",
) -> Chart:
    """A curve or a scatter on value axes, both in ``kind``: a ROC curve (with the chance diagonal), or
    calibration dots (predicted against observed, with the y = x line: right predictions sit on it)."""
    rows = [[fmt(x, kind), fmt(y, kind)] for x, y in zip(xs, ys, strict=True)]
    if not xs:
        return Chart(title, None)
    scale = KINDS[kind][2]
    top = 1.0 if not dots else max([*xs, *ys, 0.01]) * 1.1
    option = _base(title, x_label, y_label, kind, y_max=top)
    option["tooltip"] = {"trigger": "item", "renderMode": "richText"}
    edge = option["yAxis"]["max"]  # equal axes: the reference line is y = x
    option["xAxis"].update(type="value", min=0, max=edge, axisLabel={"formatter": KINDS[kind][1]})
    option["yAxis"]["min"] = 0
    points = [[round(x * scale, 4), round(y * scale, 4)] for x, y in zip(xs, ys, strict=True)]
    series = [
        {"type": "scatter", "name": y_label, "data": points, "symbolSize": 9}
        if dots
        else {"type": "line", "name": y_label, "data": points, "showSymbol": False}
    ]
    if diagonal or dots:
        series.append(
            {
                "type": "line",
                "name": L("参考线", "Reference"),
                "data": [[0, 0], [edge, edge]],
                "showSymbol": False,
                "lineStyle": {"type": "dashed", "color": "#999"},
                "tooltip": {"show": False},
            }
        )
    option["series"] = series
    return Chart(title, option, [x_label, y_label], rows)
