"""Server-side SVG charts: well-formed, labelled for screen readers, escaped, one mark per datum."""

import xml.etree.ElementTree as ET

from bank_tax.web import charts

NS = {"svg": "http://www.w3.org/2000/svg"}


def _parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def test_a_bar_chart_has_one_bar_per_item_and_says_what_it_shows():
    svg = _parse(charts.bars([("R1", 10), ("R2", 30), ("<R3>", 0)], title="按等级", x_label="等级", y_label="企业数"))
    assert svg.find("svg:title", NS).text == "按等级"
    assert "R2: 30" in svg.find("svg:desc", NS).text and "<R3>: 0" in svg.find("svg:desc", NS).text
    bars = svg.findall("svg:rect", NS)
    assert len(bars) == 3
    heights = [float(b.get("height")) for b in bars]
    assert heights[1] > heights[0] > heights[2] == 0.0


def test_a_line_chart_draws_each_series_through_its_points():
    svg = _parse(
        charts.lines([("roc", [0, 0.5, 1], [0, 0.8, 1])], title="ROC", x_label="x", y_label="y", diagonal=True)
    )
    (line,) = svg.findall("svg:polyline", NS)
    assert len(line.get("points").split()) == 3
    assert svg.find("svg:line[@class='chance']", NS) is not None


def test_calibration_points_sit_on_the_diagonal_when_predictions_are_right():
    svg = _parse(charts.points([(0.02, 0.02), (0.1, 0.1)], title="cal", x_label="p", y_label="o"))
    for dot in svg.findall("svg:circle", NS):
        cx, cy = float(dot.get("cx")), float(dot.get("cy"))
        # equal scales: x offset from the left axis equals y offset from the bottom axis, in proportion
        assert (
            abs(
                (cx - charts.PAD) / (charts.W - 8 - charts.PAD)
                - (charts.H - charts.PAD - cy) / (charts.H - charts.PAD - 8)
            )
            < 1e-3
        )
