"""Reason codes in words, Chinese and English: "近12个月逾期申报次数 3 次" / "late filings, last 12 months: 3".

The code of a reason is its feature's name; the words come from the catalogue's labels and units, so a
new feature explains itself without a new template.
"""

from __future__ import annotations

import math

from bank_tax.features.catalogue import CATALOGUE

_BY_NAME = {f.name: f for f in CATALOGUE}
_GRADE_OF_POINTS = {4.0: "A", 3.0: "B", 2.0: "M", 1.0: "C", 0.0: "D"}
_UNIT_ZH = {"count": "次", "months": "个月", "people": "人", "points": "分", "index": ""}
_UNIT_EN = {"count": "", "months": " months", "people": " people", "points": " points", "index": ""}


def _amount_zh(value: float) -> str:
    if abs(value) >= 10_000:
        return f"{value / 10_000:,.1f} 万元"
    return f"{value:,.0f} 元"


def value_text(name: str, value: float, lang: str) -> str:
    """A feature's value as its readers would write it (万元 for large amounts, percentages for ratios)."""
    f = _BY_NAME.get(name)
    unit = f.unit if f else ""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "无数据" if lang == "zh" else "no data"
    if name == "grade_score":
        return _GRADE_OF_POINTS.get(float(value), f"{value:g}")
    if unit == "元":
        return _amount_zh(value) if lang == "zh" else f"CNY {value:,.0f}"
    if unit == "ratio":
        return f"{value * 100:.1f}%"
    if unit == "flag":
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    if lang == "zh":
        suffix = _UNIT_ZH.get(unit, "")
        return f"{number} {suffix}".strip()
    return f"{number}{_UNIT_EN.get(unit, '')}"


def describe(name: str, value: float) -> dict[str, str]:
    """One reason in both languages."""
    f = _BY_NAME.get(name)
    zh_label, en_label = (f.zh, f.en) if f else (name, name)
    return {
        "code": name,
        "zh": f"{zh_label}：{value_text(name, value, 'zh')}",
        "en": f"{en_label}: {value_text(name, value, 'en')}",
    }


def label(name: str, lang: str) -> str:
    """A reason code's feature label alone (for lists that show the codes without values)."""
    f = _BY_NAME.get(name)
    if f is None:
        return name
    return f.zh if lang == "zh" else f.en
