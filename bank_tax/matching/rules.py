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

from bank_tax import clock
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


GRADES = ("A", "B", "M", "C", "D", "")  # the last: unknown or not consented


@dataclass(frozen=True)
class Catalogue:
    """Products compiled into columns once (a product list changes far less often than it is read): each
    threshold as an array over products, prefix rules as prefix × product membership matrices."""

    products: list[dict]
    grades: np.ndarray  # (len(GRADES), products) bool: grade accepted
    min_months: np.ndarray
    min_tax: np.ndarray
    min_sales: np.ndarray
    max_pd: np.ndarray  # NaN: no limit
    amount_min: np.ndarray
    amount_max: np.ndarray
    spread_min: np.ndarray
    spread_max: np.ndarray
    excl_arrears: np.ndarray  # bool
    need: np.ndarray  # (products, categories) bool: consent the product needs
    region_prefixes: tuple[str, ...]
    region_in: np.ndarray  # (prefixes, products) bool
    has_regions: np.ndarray
    industry_prefixes: tuple[str, ...]
    industry_out: np.ndarray  # (prefixes, products) bool
    on_sales: np.ndarray  # limit basis: taxable sales (else tax paid)
    window: np.ndarray  # column of the window sums: months − 1
    multiple: np.ndarray
    risk_adjusted: np.ndarray

    def __len__(self) -> int:
        return len(self.products)


def compile_products(products: list[dict]) -> Catalogue:
    """The :class:`Catalogue` of validated product documents (dicts with ``rules``)."""
    rules = [p["rules"] for p in products]

    def col(key, default=0):
        """One rule across the products (``default`` when absent; None becomes NaN: no limit)."""
        values = [r.get(key) if r.get(key) is not None else default for r in rules]
        return np.array([np.nan if v is None else v for v in values], dtype=float)

    def prefixes(key):
        found = tuple(sorted({x for r in rules for x in r.get(key) or ()}))
        member = np.array([[x in (r.get(key) or ()) for r in rules] for x in found], dtype=bool)
        return found, member.reshape(len(found), len(rules))

    region_prefixes, region_in = prefixes("regions")
    industry_prefixes, industry_out = prefixes("excluded_industries")
    limits = [r["limit_rule"] for r in rules]
    return Catalogue(
        products=products,
        grades=np.array([[g in r["grades"] for r in rules] for g in GRADES], dtype=bool).reshape(len(GRADES), -1),
        min_months=col("min_months_operating"),
        min_tax=col("min_tax_12m"),
        min_sales=col("min_sales_12m"),
        max_pd=col("max_pd", None),
        amount_min=col("amount_min"),
        amount_max=col("amount_max"),
        spread_min=col("rate_spread_min"),
        spread_max=col("rate_spread_max"),
        excl_arrears=np.array([r.get("exclude_tax_arrears", True) for r in rules], dtype=bool),
        need=np.array([[c in r["consent_categories"] for c in CATEGORIES] for r in rules], dtype=bool).reshape(
            len(rules), len(CATEGORIES)
        ),
        region_prefixes=region_prefixes,
        region_in=region_in,
        has_regions=np.array([bool(r.get("regions")) for r in rules], dtype=bool),
        industry_prefixes=industry_prefixes,
        industry_out=industry_out,
        on_sales=np.array([lr.get("basis", "tax") != "tax" for lr in limits], dtype=bool),
        window=np.array([int(lr.get("window_months", 12)) - 1 for lr in limits], dtype=np.int64),
        multiple=np.array([float(lr["multiple"]) for lr in limits], dtype=float),
        risk_adjusted=np.array([bool(lr.get("risk_adjusted")) for lr in limits], dtype=bool),
    )


def _starts(values: np.ndarray, prefixes: tuple[str, ...], member: np.ndarray) -> np.ndarray:
    """(firms, products): some prefix of the product's set starts the firm's code."""
    if not prefixes:
        return np.zeros((values.shape[0], member.shape[1]), dtype=bool)
    hit = np.stack([np.char.startswith(values, p) for p in prefixes], axis=1)
    return (hit.astype(np.int32) @ member.astype(np.int32)) > 0


def evaluate(firms: Firms, products: list[dict] | Catalogue, *, on: dt.date | None = None) -> Evaluation:
    """Every rule for every firm × product (``products``: dicts with ``rules``, or their catalogue)."""
    cat = products if isinstance(products, Catalogue) else compile_products(products)
    n, m = firms.usccs.shape[0], len(cat)
    grade_row = np.full(n, len(GRADES) - 1)
    for k, g in enumerate(GRADES[:-1]):
        grade_row[firms.tax_grade == g] = k
    fails: dict[str, np.ndarray] = {"grade": ~cat.grades[grade_row]}
    with np.errstate(invalid="ignore"):
        fails["months_operating"] = ~(firms.months_operating[:, None] >= cat.min_months[None, :])
        fails["min_tax_12m"] = ~(np.nan_to_num(firms.tax_12m)[:, None] >= cat.min_tax[None, :])
        fails["min_sales_12m"] = ~(np.nan_to_num(firms.sales_12m)[:, None] >= cat.min_sales[None, :])
        fails["max_pd"] = ~np.isnan(cat.max_pd)[None, :] & ~(firms.pd[:, None] <= cat.max_pd[None, :])
    fails["region"] = cat.has_regions[None, :] & ~_starts(firms.region, cat.region_prefixes, cat.region_in)
    fails["industry"] = _starts(firms.industry, cat.industry_prefixes, cat.industry_out)
    fails["blacklisted"] = np.repeat(firms.blacklisted[:, None], m, axis=1)  # no product for them, ever
    fails["tax_arrears"] = (np.nan_to_num(firms.open_arrears) > 0)[:, None] & cat.excl_arrears[None, :]
    if firms.consented is not None:
        fails["consent"] = (cat.need[None, :, :] & ~firms.consented[:, None, :]).any(axis=2)

    # the offer
    pd = np.nan_to_num(firms.pd, nan=1.0)
    basis = np.where(cat.on_sales[None, :], firms.sales_window[:, cat.window], firms.tax_window[:, cat.window])
    factor = np.where(cat.risk_adjusted[None, :], np.clip(1 - 4 * (pd - 0.02), 0.5, 1.0)[:, None], 1.0)
    limit = np.floor(np.minimum(basis * cat.multiple[None, :] * factor, cat.amount_max[None, :]) / WAN) * WAN
    fails["limit"] = limit < cat.amount_min[None, :]
    lpr = lpr_on(on or clock.today())
    position = np.clip((pd - 0.005) / 0.145, 0, 1)[:, None]
    smin, smax = cat.spread_min, cat.spread_max
    rate = np.round(lpr + smin[None, :] + (smax - smin)[None, :] * position, 2)
    eligible = ~np.any(np.stack(list(fails.values())), axis=0) if m else np.zeros((n, 0), bool)
    p_approve = np.where(eligible, np.clip(1.1 - 5 * pd, 0.05, 0.95)[:, None], 0.0)
    return Evaluation(
        fails=fails, eligible=eligible, limit=limit, rate=rate, p_approve=p_approve, value=p_approve * limit
    )


def order(ev: Evaluation, i: int, codes: list[str]) -> list[int]:
    """The products in the documented ranking order for firm row ``i``."""
    n_fail = np.sum([f[i] for f in ev.fails.values()], axis=0)
    ok = ev.eligible[i]
    second = np.where(ok, -ev.value[i], n_fail)
    return np.lexsort((np.array(codes, dtype=str), ev.rate[i], second, ~ok)).tolist()


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
