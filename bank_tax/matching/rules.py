"""Product rules over many firms and products at once: boolean firm × product matrices, no pair loop.

The firm facts are columns (:class:`Firms`), the products a list of validated rule documents; every rule
of :data:`RULES` yields a "fails" matrix, and the messages that explain a failure are built only for the
pairs someone looks at. Pricing and limits are documented here:

* **Limit**: the product's basis (tax paid or taxable sales over its window of months) × its multiple;
  for a risk-adjusted product, × ``clip(1 − 4·(PD − 2%), 50%, 100%)`` (full below a 2% PD, half from
  14.5%); at most the product's maximum, rounded down to whole 万元. Below the product's minimum the
  firm does not qualify.
* **Rate**: the one-year LPR on the day plus a spread placed within the product's range by risk,
  ``min + (max − min)·clip((PD − 0.5%) / 14.5%, 0, 1)``.
* **Probability of approval** (the prior until banks' own decisions are enough to fit one):
  ``clip(1.1 − 5·PD, 5%, 95%)`` for a qualifying firm, 0 otherwise.
* **Ranking**: qualifying products first, by expected credit (probability of approval × limit), then
  lower rate; then the others, fewest failed rules first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from bank_tax.categories import CATEGORIES, CATEGORY_NAMES
from bank_tax.products.lpr import lpr_on

GRADE_OF_POINTS = {4.0: "A", 3.0: "B", 2.0: "M", 1.0: "C", 0.0: "D"}
WAN = 10_000


@dataclass
class Firms:
    """Firm facts as columns (one row per firm, sorted by USCC); money in 元, NaN where not visible."""

    usccs: np.ndarray
    region: np.ndarray
    industry: np.ndarray
    tax_grade: np.ndarray  # 'A' … 'D', '' when unknown or not consented
    months_operating: np.ndarray
    tax_12m: np.ndarray
    sales_12m: np.ndarray
    blacklisted: np.ndarray  # bool
    redlisted: np.ndarray  # bool
    open_arrears: np.ndarray
    pd: np.ndarray
    tax_window: np.ndarray  # (firms, 36): tax paid over the last w+1 months in column w
    sales_window: np.ndarray
    consented: np.ndarray | None = None  # (firms, categories) for a bank; None for the firm's own view


@dataclass
class Evaluation:
    """Per rule a (firms × products) "fails" matrix, and the priced offer of each pair."""

    fails: dict[str, np.ndarray]
    eligible: np.ndarray
    limit: np.ndarray  # 元, whole 万元
    rate: np.ndarray  # percent a year
    p_approve: np.ndarray
    value: np.ndarray  # ranking key of qualifying pairs


def _fmt(x: float) -> str:
    return f"{x:,.0f}"


def evaluate(firms: Firms, products: list[dict], *, on: dt.date | None = None) -> Evaluation:
    """Every rule for every firm × product (``products``: dicts with ``rules``)."""
    n, m = firms.usccs.shape[0], len(products)
    rules = [p["rules"] for p in products]

    def col(key, default=0):
        """One rule across the products (``default`` when absent; None becomes NaN: no limit)."""
        values = [r.get(key) if r.get(key) is not None else default for r in rules]
        return np.array([np.nan if v is None else v for v in values], dtype=float)

    fails: dict[str, np.ndarray] = {}
    grade_ok = np.stack([np.isin(firms.tax_grade, r["grades"]) for r in rules], axis=1) if m else np.zeros((n, 0), bool)
    fails["grade"] = ~grade_ok
    with np.errstate(invalid="ignore"):
        fails["months_operating"] = ~(firms.months_operating[:, None] >= col("min_months_operating")[None, :])
        fails["min_tax_12m"] = ~(np.nan_to_num(firms.tax_12m)[:, None] >= col("min_tax_12m")[None, :])
        fails["min_sales_12m"] = ~(np.nan_to_num(firms.sales_12m)[:, None] >= col("min_sales_12m")[None, :])
        max_pd = col("max_pd", None)
        fails["max_pd"] = ~np.isnan(max_pd)[None, :] & ~(firms.pd[:, None] <= max_pd[None, :])
    fails["region"] = np.zeros((n, m), dtype=bool)
    fails["industry"] = np.zeros((n, m), dtype=bool)
    for j, r in enumerate(rules):
        if r.get("regions"):
            fails["region"][:, j] = ~np.any([np.char.startswith(firms.region, p) for p in r["regions"]], axis=0)
        if r.get("excluded_industries"):
            fails["industry"][:, j] = np.any(
                [np.char.startswith(firms.industry, p) for p in r["excluded_industries"]], axis=0
            )
    fails["blacklisted"] = np.repeat(firms.blacklisted[:, None], m, axis=1)  # no product for them, ever
    excl_arrears = np.array([r.get("exclude_tax_arrears", True) for r in rules], dtype=bool)
    fails["tax_arrears"] = (np.nan_to_num(firms.open_arrears) > 0)[:, None] & excl_arrears[None, :]
    if firms.consented is not None:
        need = np.array([[c in r["consent_categories"] for c in CATEGORIES] for r in rules], dtype=bool).reshape(m, -1)
        fails["consent"] = (need[None, :, :] & ~firms.consented[:, None, :]).any(axis=2)

    # the offer
    pd = np.nan_to_num(firms.pd, nan=1.0)
    limit = np.zeros((n, m))
    for j, r in enumerate(rules):
        lr = r["limit_rule"]
        basis = firms.tax_window if lr.get("basis", "tax") == "tax" else firms.sales_window
        raw = basis[:, int(lr.get("window_months", 12)) - 1] * float(lr["multiple"])
        if lr.get("risk_adjusted"):
            raw = raw * np.clip(1 - 4 * (pd - 0.02), 0.5, 1.0)
        limit[:, j] = np.floor(np.minimum(raw, r["amount_max"]) / WAN) * WAN
    fails["limit"] = limit < col("amount_min")[None, :]
    lpr = lpr_on(on or dt.date.today())
    position = np.clip((pd - 0.005) / 0.145, 0, 1)[:, None]
    smin, smax = col("rate_spread_min"), col("rate_spread_max")
    rate = np.round(lpr + smin[None, :] + (smax - smin)[None, :] * position, 2)
    eligible = ~np.any(np.stack(list(fails.values())), axis=0) if m else np.zeros((n, 0), bool)
    p_approve = np.where(eligible, np.clip(1.1 - 5 * pd, 0.05, 0.95)[:, None], 0.0)
    return Evaluation(
        fails=fails, eligible=eligible, limit=limit, rate=rate, p_approve=p_approve, value=p_approve * limit
    )


def order(ev: Evaluation, i: int, codes: list[str]) -> list[int]:
    """The products in the documented ranking order for firm row ``i``."""
    n_fail = sum(f[i].astype(int) for f in ev.fails.values())
    return sorted(
        range(len(codes)),
        key=lambda j: (
            not ev.eligible[i, j],
            -ev.value[i, j] if ev.eligible[i, j] else int(n_fail[j]),
            ev.rate[i, j],
            codes[j],
        ),
    )


def reasons(firms: Firms, ev: Evaluation, i: int, j: int, rules: dict) -> list[dict]:
    """Every rule firm ``i`` fails for product ``j``, in Chinese and English, with the gap."""
    out = []

    def add(rule, zh, en):
        out.append({"rule": rule, "zh": zh, "en": en})

    f = ev.fails
    if f["blacklisted"][i, j]:
        add(
            "blacklisted",
            "已列入严重失信主体名单，暂不能获得信用贷款",
            "on the serious-dishonesty list: no credit product can be offered",
        )
    if f["grade"][i, j]:
        g = firms.tax_grade[i] or "无"
        add(
            "grade",
            f"纳税信用等级 {g}，产品要求 {'/'.join(rules['grades'])} 级",
            f"tax-credit grade {firms.tax_grade[i] or 'unknown'}; the product requires {'/'.join(rules['grades'])}",
        )
    if f["months_operating"][i, j]:
        mo = firms.months_operating[i]
        need = rules.get("min_months_operating", 0)
        shown = "未知" if np.isnan(mo) else f"{mo:.0f} 个月"
        add(
            "months_operating",
            f"经营 {shown}，产品要求 ≥ {need} 个月",
            f"{'unknown' if np.isnan(mo) else f'{mo:.0f} months'} in operation; the product requires ≥ {need} months",
        )
    if f["min_tax_12m"][i, j]:
        have, need = np.nan_to_num(firms.tax_12m[i]), rules.get("min_tax_12m", 0)
        add(
            "min_tax_12m",
            f"近12个月纳税额 {_fmt(have)} 元，产品要求 ≥ {_fmt(need)} 元",
            f"tax paid in the last 12 months CNY {_fmt(have)}; the product requires ≥ CNY {_fmt(need)}",
        )
    if f["min_sales_12m"][i, j]:
        have, need = np.nan_to_num(firms.sales_12m[i]), rules.get("min_sales_12m", 0)
        add(
            "min_sales_12m",
            f"近12个月销售额 {_fmt(have)} 元，产品要求 ≥ {_fmt(need)} 元",
            f"sales in the last 12 months CNY {_fmt(have)}; the product requires ≥ CNY {_fmt(need)}",
        )
    if f["max_pd"][i, j]:
        add(
            "max_pd",
            f"违约概率 {firms.pd[i] * 100:.1f}%，产品要求 ≤ {rules['max_pd'] * 100:.1f}%",
            f"probability of default {firms.pd[i] * 100:.1f}%; the product requires ≤ {rules['max_pd'] * 100:.1f}%",
        )
    if f["region"][i, j]:
        add(
            "region",
            f"注册地 {firms.region[i]} 不在产品服务区域（{'、'.join(rules['regions'])}）",
            f"registered in {firms.region[i]}, outside the product's regions ({', '.join(rules['regions'])})",
        )
    if f["industry"][i, j]:
        add(
            "industry",
            f"所属行业 {firms.industry[i]} 为产品不支持的行业",
            f"industry {firms.industry[i]} is excluded by the product",
        )
    if f["tax_arrears"][i, j]:
        owed = _fmt(firms.open_arrears[i])
        add(
            "tax_arrears",
            f"当前欠税 {owed} 元，结清后方可申请",
            f"CNY {owed} of tax arrears open; clear them to apply",
        )
    if "consent" in f and f["consent"][i, j]:
        missing = [c for c in rules["consent_categories"] if not firms.consented[i, CATEGORIES.index(c)]]
        add(
            "consent",
            "未授权产品所需数据：" + "、".join(CATEGORY_NAMES[c][0] for c in missing),
            "no consent for the data the product needs: " + ", ".join(CATEGORY_NAMES[c][1] for c in missing),
        )
    if f["limit"][i, j]:
        have, need = ev.limit[i, j], rules["amount_min"]
        add(
            "limit",
            f"测算额度 {_fmt(have)} 元，低于产品最低额度 {_fmt(need)} 元",
            f"computed limit CNY {_fmt(have)} is below the product minimum CNY {_fmt(need)}",
        )
    return out
