"""The feature catalogue: the one place every feature is named, explained and given its risk direction.

``direction`` is the expected sign of the feature's effect on the probability of default (+1: more is
riskier, -1: more is safer); the scoring model uses it as a monotonic constraint and the reason codes use
it to phrase the explanation. ``window`` is in months (0: a state at the as-of date).
"""

from __future__ import annotations

from dataclasses import dataclass

FEATURE_SET_VERSION = "fs-2026.11-1"


@dataclass(frozen=True)
class Feature:
    """One feature of the catalogue."""

    name: str
    category: str
    window: int
    zh: str
    en: str
    unit: str
    direction: int


CATALOGUE: tuple[Feature, ...] = (
    # tax (纳税)
    Feature("sales_12m", "tax", 12, "近12个月应税销售额", "taxable sales, last 12 months", "元", -1),
    Feature("sales_yoy", "tax", 24, "销售额同比增长率", "sales growth on the previous 12 months", "ratio", -1),
    Feature("sales_volatility", "tax", 12, "月销售额波动系数", "coefficient of variation of monthly sales", "ratio", 1),
    Feature("quarter_end_share", "tax", 12, "季末月份销售额占比", "share of sales in quarter-end months", "ratio", 1),
    Feature("zero_months_12m", "tax", 12, "近12个月零申报月数", "months of zero declaration, last 12", "months", 1),
    Feature("missing_months_12m", "tax", 12, "近12个月未申报月数", "months not declared, last 12", "months", 1),
    Feature("late_filings_12m", "tax", 12, "近12个月逾期申报次数", "late filings, last 12 months", "count", 1),
    Feature("late_filings_24m", "tax", 24, "近24个月逾期申报次数", "late filings, last 24 months", "count", 1),
    Feature(
        "months_since_late", "tax", 36, "距最近一次逾期申报月数", "months since the last late filing", "months", -1
    ),
    Feature("tax_paid_12m", "tax", 12, "近12个月实缴增值税", "VAT paid, last 12 months", "元", -1),
    Feature("tax_burden", "tax", 12, "增值税税负率", "VAT payable over taxable sales", "ratio", -1),
    Feature("payment_ratio_12m", "tax", 12, "近12个月税款缴纳比例", "tax paid over tax payable, last 12", "ratio", -1),
    Feature("open_arrears", "tax", 0, "当前欠税金额", "tax arrears open now", "元", 1),
    Feature("arrears_count_24m", "tax", 24, "近24个月欠税次数", "tax arrears arisen, last 24 months", "count", 1),
    Feature("grade_score", "tax", 0, "纳税信用等级（A=4…D=0）", "tax-credit grade (A=4 … D=0)", "points", -1),
    Feature("grade_change", "tax", 0, "纳税信用等级变化", "change of grade on the year before", "points", -1),
    Feature("corrections_12m", "tax", 12, "近12个月更正申报次数", "corrected declarations, last 12 months", "count", 1),
    Feature("months_operating", "tax", 0, "经营月数", "months since establishment", "months", -1),
    # social insurance (社保)
    Feature("headcount", "social_insurance", 0, "参保人数", "insured headcount", "people", -1),
    Feature(
        "headcount_trend", "social_insurance", 12, "参保人数12个月变化率", "12-month change of headcount", "ratio", -1
    ),
    Feature(
        "si_arrears_months_12m",
        "social_insurance",
        12,
        "近12个月社保欠费月数",
        "months with contribution arrears",
        "months",
        1,
    ),
    Feature(
        "si_payment_ratio_12m",
        "social_insurance",
        12,
        "近12个月社保缴费比例",
        "contributions paid over due",
        "ratio",
        -1,
    ),
    # housing fund (公积金)
    Feature("hf_depositors", "housing_fund", 0, "公积金缴存人数", "housing-fund depositors", "people", -1),
    Feature(
        "hf_arrears_months_12m",
        "housing_fund",
        12,
        "近12个月公积金欠缴月数",
        "months with deposit arrears",
        "months",
        1,
    ),
    # utilities (水电气, the 电E贷 style)
    Feature(
        "power_capacity", "utilities", 12, "用电容量指数", "power capacity: INT(mean kWh/1000)+1, ×10", "index", -1
    ),
    Feature("power_utilisation", "utilities", 12, "用电利用率", "last month kWh over the 12-month peak", "ratio", -1),
    Feature("power_growth", "utilities", 24, "用电量增长率", "kWh last 12 over previous 12 months", "ratio", -1),
    Feature(
        "utility_late_12m", "utilities", 12, "近12个月水电气逾期缴费次数", "late utility payments, last 12", "count", 1
    ),
    Feature("auto_debit", "utilities", 0, "电费代扣", "electricity paid by auto-debit", "flag", -1),
    Feature("sales_power_gap", "utilities", 12, "销售额与用电量增速差", "sales growth minus power growth", "ratio", 1),
    # public credit lists (公共信用)
    Feature("blacklisted", "public_credit", 0, "严重失信主体名单", "on the serious-dishonesty list", "flag", 1),
    Feature("watchlisted", "public_credit", 0, "重点关注名单", "on the key-watch list", "flag", 1),
    Feature("redlisted", "public_credit", 0, "守信红名单", "on the red list", "flag", -1),
    Feature(
        "penalties_24m", "public_credit", 24, "近24个月行政处罚次数", "administrative penalties, last 24", "count", 1
    ),
    Feature(
        "months_since_listing",
        "public_credit",
        60,
        "距最近一次失信或关注列入月数",
        "months since the last dishonesty or watch listing",
        "months",
        -1,
    ),
)

NAMES = tuple(f.name for f in CATALOGUE)


def of_category(category: str) -> tuple[str, ...]:
    """Names of the features of one data category (masked together)."""
    return tuple(f.name for f in CATALOGUE if f.category == category)
