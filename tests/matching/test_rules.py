"""The rules, limits, prices and ranking on hand-made firms and products (no database)."""

import datetime as dt

import numpy as np
import pytest

from bank_tax.matching import rules as R
from bank_tax.products.lpr import lpr_on
from tests.factories import RULES

DAY = dt.date(2026, 11, 1)


def firms(**over):
    """Two firms: a healthy one (row 0) and one to break (row 1, from ``over``: name → value)."""
    n = 2
    cols = {
        "usccs": np.array(["91330106MA0000001A", "91330106MA0000002A"]),
        "region": np.array(["330106", "330106"]),
        "industry": np.array(["C18", "C18"]),
        "tax_grade": np.array(["A", "A"]),
        "months_operating": np.full(n, 60.0),
        "tax_12m": np.full(n, 80_000.0),
        "sales_12m": np.full(n, 3_000_000.0),
        "blacklisted": np.zeros(n, bool),
        "redlisted": np.zeros(n, bool),
        "open_arrears": np.zeros(n),
        "pd": np.full(n, 0.01),
        "tax_window": np.tile(np.arange(1, 37) * 80_000.0 / 12, (n, 1)),
        "sales_window": np.tile(np.arange(1, 37) * 250_000.0, (n, 1)),
    }
    for k, v in over.items():
        cols[k][1] = v
    return R.Firms(**cols)


def product(**rules):
    return {
        "code": "P",
        "rules": {**RULES, **rules, "limit_rule": {**RULES["limit_rule"], **rules.get("limit_rule", {})}},
    }


@pytest.mark.parametrize(
    ("firm", "rules", "rule", "zh", "en"),
    [
        ({"tax_grade": "B"}, {"grades": ["A"]}, "grade", "纳税信用等级 B，产品要求 A 级", "tax-credit grade B"),
        ({"tax_grade": ""}, {}, "grade", "纳税信用等级 无，产品要求 A/B/M 级", "grade unknown"),
        (
            {"months_operating": 18},
            {},
            "months_operating",
            "经营 18 个月，产品要求 ≥ 24 个月",
            "18 months in operation; the product requires ≥ 24 months",
        ),
        (
            {"tax_12m": 3200},
            {},
            "min_tax_12m",
            "近12个月纳税额 3,200 元，产品要求 ≥ 5,000 元",
            "CNY 3,200; the product requires ≥ CNY 5,000",
        ),
        (
            {"sales_12m": 90_000},
            {"min_sales_12m": 100_000},
            "min_sales_12m",
            "近12个月销售额 90,000 元，产品要求 ≥ 100,000 元",
            "≥ CNY 100,000",
        ),
        (
            {"pd": 0.12},
            {"max_pd": 0.08},
            "max_pd",
            "违约概率 12.0%，产品要求 ≤ 8.0%",
            "12.0%; the product requires ≤ 8.0%",
        ),
        ({"region": "330203"}, {"regions": ["3301"]}, "region", "注册地 330203 不在产品服务区域（3301）", "outside"),
        (
            {"industry": "K70"},
            {"excluded_industries": ["K"]},
            "industry",
            "所属行业 K70 为产品不支持的行业",
            "excluded",
        ),
        ({"blacklisted": True}, {}, "blacklisted", "已列入严重失信主体名单，暂不能获得信用贷款", "serious-dishonesty"),
        ({"open_arrears": 1200}, {}, "tax_arrears", "当前欠税 1,200 元，结清后方可申请", "CNY 1,200 of tax arrears"),
    ],
)
def test_each_rule_fails_with_its_message_and_gap(firm, rules, rule, zh, en):
    f = firms(**firm)
    p = product(**rules)
    ev = R.evaluate(f, [p], on=DAY)
    assert ev.eligible[0, 0] and not ev.eligible[1, 0]
    assert ev.fails[rule][1, 0] and not ev.fails[rule][0, 0]
    msgs = {m["rule"]: m for m in R.reasons(f, ev, 1, 0, p["rules"])}
    assert rule in msgs
    assert msgs[rule]["zh"] == zh
    assert en in msgs[rule]["en"] or (rule == "grade" and "unknown" in msgs[rule]["en"])


def test_arrears_only_fail_products_that_exclude_them():
    f = firms(open_arrears=500)
    ev = R.evaluate(f, [product(exclude_tax_arrears=False), product()], on=DAY)
    assert ev.eligible[1, 0] and not ev.eligible[1, 1]


def test_consent_is_a_rule_only_for_a_bank_view():
    f = firms()
    f.consented = np.array([[True, True, False, False, False], [False, True, False, False, False]])
    p = product()
    ev = R.evaluate(f, [p], on=DAY)
    assert ev.eligible[0, 0] and ev.fails["consent"][1, 0]
    assert R.reasons(f, ev, 1, 0, p["rules"])[0]["zh"] == "未授权产品所需数据：纳税"


def test_limit_and_rate():
    f = firms(pd=0.08)
    # 8 × tax of 12 months = 640,000; the risky firm: × clip(1 − 4·(0.08 − 0.02)) = × 0.76 → 486,400 → 480,000
    p = product(limit_rule={"multiple": 8, "window_months": 12, "risk_adjusted": True})
    ev = R.evaluate(f, [p], on=DAY)
    assert ev.limit[0, 0] == 640_000 and ev.limit[1, 0] == 480_000
    lpr = lpr_on(DAY)
    assert ev.rate[0, 0] == pytest.approx(round(lpr + 0.15 + 2.35 * (0.005 / 0.145), 2))
    assert ev.rate[1, 0] == pytest.approx(round(lpr + 0.15 + 2.35 * (0.075 / 0.145), 2))
    assert ev.p_approve[0, 0] == pytest.approx(0.95) and ev.p_approve[1, 0] == pytest.approx(0.7)
    # window and basis; capped at the maximum; below the minimum the firm does not qualify
    sales = product(limit_rule={"basis": "sales", "multiple": 0.5, "window_months": 6}, amount_max=700_000)
    ev = R.evaluate(f, [sales], on=DAY)
    assert ev.limit[0, 0] == 700_000  # 0.5 × 1,500,000 = 750,000, capped
    small = firms(tax_window=np.arange(1, 37) * 100.0)
    ev = R.evaluate(small, [product(amount_min=10_000)], on=DAY)
    assert not ev.eligible[1, 0] and ev.fails["limit"][1, 0]


def test_ranking_puts_expected_credit_first_then_fewest_failures():
    f = firms()
    products = [
        product(amount_max=200_000),  # eligible, small
        product(grades=["B"]),  # one failure
        product(),  # eligible, 640,000
        product(grades=["B"], min_months_operating=120),  # two failures
    ]
    codes = ["small", "one", "big", "two"]
    ev = R.evaluate(f, products, on=DAY)
    assert [codes[j] for j in R.order(ev, 0, codes)] == ["big", "small", "one", "two"]
