"""Chart options for ECharts: one datum per item in the page's units, a title and a data table beside
the drawing, and "no data" in words instead of empty axes."""

import json
import re
from html import unescape

import pytest

from bank_tax.web import charts


@pytest.fixture(autouse=True)
def _chinese(app):
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        yield


def _option(chart) -> dict:
    (raw,) = re.findall(r'data-option="([^"]*)"', str(chart))
    return json.loads(unescape(raw))


def test_a_bar_chart_has_one_bar_per_item_in_percent_with_a_table():
    c = charts.bars(
        [("A", 0.8), ("B", 0.625), ("<M>", None)], title="按等级", x_label="等级", y_label="通过率", kind="percent"
    )
    opt = _option(c)
    assert opt["xAxis"]["data"] == ["A", "B"]  # the one without a value is not drawn as zero
    assert opt["series"][0]["data"] == [80.0, 62.5]
    assert opt["yAxis"]["axisLabel"]["formatter"] == "{value}%"
    html = str(c)
    assert "<figcaption>按等级</figcaption>" in html
    assert "<td>62.5%</td>" in html and "<td>—</td>" in html
    assert "&lt;M&gt;" in html and "<M>" not in html  # labels are escaped


def test_a_chart_with_nothing_to_show_says_so():
    for c in (
        charts.bars([("A", None)], title="t", x_label="x", y_label="y"),
        charts.trend([], [], title="t", x_label="x", y_label="y"),
        charts.curve([], [], title="t", x_label="x", y_label="y"),
    ):
        html = str(c)
        assert c.empty and "暂无数据" in html and "echart" not in html and "<figcaption>t</figcaption>" in html


def test_money_and_counts_read_with_separators_never_in_scientific_notation():
    c = charts.bars(
        [("工行", 17_650_000 / 10_000), ("农行", 9_260_000_000 / 10_000)],
        title="t",
        x_label="x",
        y_label="万元",
        kind="wan",
    )
    html = str(c)
    assert "<td>1,765.00</td>" in html and "<td>926,000.00</td>" in html
    assert not re.search(r"\d[eE][+-]\d", html)


def test_a_trend_of_one_run_is_a_point_and_its_marks_are_lines():
    opt = _option(charts.trend(["2026-06-30"], [0.0], title="PSI", x_label="x", y_label="PSI", marks=[("0.25", 0.25)]))
    assert opt["series"][0]["data"] == [0.0] and opt["series"][0]["showSymbol"]
    assert opt["xAxis"]["boundaryGap"] is True  # one category sits in the middle, not on the axis
    assert opt["series"][0]["markLine"]["data"][0]["yAxis"] == 0.25
    assert opt["yAxis"]["max"] >= 0.25


def test_a_calibration_chart_puts_points_on_equal_axes_with_the_reference_line():
    opt = _option(charts.curve([0.02, 0.1], [0.03, 0.1], title="cal", x_label="p", y_label="o", dots=True))
    dots, ref = opt["series"]
    assert dots["type"] == "scatter" and dots["data"] == [[2.0, 3.0], [10.0, 10.0]]
    assert opt["xAxis"]["max"] == opt["yAxis"]["max"] == ref["data"][1][0] == ref["data"][1][1]


def test_long_category_names_are_slanted_with_room_below_and_short_ones_kept_level():
    banks = ["中国建设银行浙江省分行", "杭州银行", "中国工商银行浙江省分行", "浙江农商联合银行"]
    slanted = _option(charts.bars([(b, 1.0) for b in banks], title="t", x_label="银行", y_label="万元", kind="wan"))
    assert slanted["xAxis"]["axisLabel"] == {"interval": 0, "rotate": 30}  # every name shown
    assert slanted["grid"]["bottom"] > 100 and slanted["xAxis"]["nameGap"] < slanted["grid"]["bottom"]
    level = _option(charts.bars([("A", 1.0), ("B", 2.0)], title="t", x_label="x", y_label="y"))
    assert "rotate" not in level["xAxis"]["axisLabel"] and level["xAxis"]["axisLabel"]["interval"] == 0


def test_a_value_that_is_not_a_number_leaves_a_gap_not_a_broken_page():
    c = charts.trend(["a", "b"], [0.1, float("nan")], title="t", x_label="x", y_label="y")
    assert _option(c)["series"][0]["data"] == [0.1, None]  # valid JSON for JSON.parse: no bare NaN
