"""The sources the agencies send: their columns, natural keys, categories and cross-field rules.

``FORMATS.md`` beside this file is the human version of this table. A source's natural key identifies
a record across batches; a row whose key is known with the same content is a duplicate, with other
content a correction (the next version). The VAT file carries the agency's own correction number
(``version``), so there the version is part of the key as sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bank_tax import clock
from bank_tax.sources import deadlines, models
from bank_tax.sources.fields import Field

Rule = Callable[[dict[str, np.ndarray]], tuple[np.ndarray, str, str]]


@dataclass(frozen=True)
class Source:
    """One kind of agency file."""

    name: str
    category: str
    title: str
    table: type
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    explicit_version: bool = False
    rules: tuple[Rule, ...] = ()
    period_field: str | None = None  # narrows the look-up of existing rows
    date_field: str = "period"  # the business date a consent's data window applies to
    # a date the law sets for every row (the filing deadline): a blank takes it, an earlier one is raised to it
    floors: tuple[tuple[str, Callable[[dict[str, np.ndarray]], np.ndarray]], ...] = ()

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]


def _le(a: str, b: str, field: str, zh: str) -> Rule:
    def rule(c):
        return c[a] > c[b], field, f"{zh} / {a} must not exceed {b}"

    return rule


def _after(a: str, b: str, field: str, zh: str) -> Rule:
    """``a`` (when present) is on or after ``b``."""

    def rule(c):
        return ~np.isnat(c[a]) & ~np.isnat(c[b]) & (c[a] < c[b]), field, f"{zh} / {a} must not be before {b}"

    return rule


def _monthly_deadline(c):
    """The monthly return's deadline by law: the 15th of the next month, moved for holidays."""
    return deadlines.monthly_due(c["period"])


def _annual_deadline(c):
    """The annual CIT return's deadline by law: 31 May of the next year, moved off a rest day."""
    return deadlines.annual_due(c["year"])


DUE_DOC = (
    "申报期限；可空，按法定期限（节假日顺延）/ the filing deadline; blank: the statutory one, moved for holidays, "
    "and a date before it is raised to it"
)


def _zero_means_zero(c):
    bad = c["is_zero"] & ((c["taxable_sales"] != 0) | (c["tax_payable"] != 0))
    return bad, "is_zero", "零申报的销售额和应纳税额应为0 / a zero declaration has zero sales and tax"


def _filed_after_period(c):
    period_end = (c["period"].astype("datetime64[M]") + 1).astype("datetime64[D]")
    return c["filed_on"] < period_end, "filed_on", "申报日期早于所属期结束 / filed before the period ended"


def _arrears_is_difference(due: str, paid: str):
    def rule(c):
        return c["arrears"] != c[due] - c[paid], "arrears", f"欠费应等于应缴减实缴 / arrears must equal {due} − {paid}"

    return rule


def _unit_matches(c):
    expected = np.select(
        [c["utility"] == "electricity", c["utility"] == "water", c["utility"] == "gas"], ["kWh", "t", "m3"], default=""
    )
    return c["unit"] != expected, "unit", "计量单位与类别不符（电kWh/水t/气m3）/ unit must be kWh, t or m3"


def _received_not_before(field: str):
    def rule(c):
        day = clock.business_dates(c["received_at"])  # the day it reached us, in China
        return (
            ~np.isnat(c[field]) & ~np.isnat(day) & (day < c[field]),
            "received_at",
            (f"接收时间早于业务日期 / received before {field}"),
        )

    return rule


USCC = Field("uscc", "uscc", doc="unified social credit code (GB 32100)")
RECEIVED = Field("received_at", "time", required=False, doc="when the agency's record reached us; default: now")

SOURCES: dict[str, Source] = {
    s.name: s
    for s in [
        Source(
            "vat_declarations",
            "tax",
            "增值税申报 / monthly VAT declarations",
            models.VatDeclaration,
            (
                USCC,
                Field("period", "period"),
                Field("version", "int", bounds=(1, 99)),
                Field("taxable_sales", "money"),
                Field("tax_payable", "money"),
                Field("tax_paid", "money"),
                Field("is_zero", "bool"),
                Field("due_date", "date", required=False, doc=DUE_DOC),
                Field("filed_on", "date"),
                RECEIVED,
            ),
            key=("uscc", "period"),
            explicit_version=True,
            period_field="period",
            floors=(("due_date", _monthly_deadline),),
            rules=(
                _le("tax_paid", "tax_payable", "tax_paid", "实缴税额不能超过应纳税额"),
                _le("tax_payable", "taxable_sales", "tax_payable", "应纳税额不能超过销售额"),
                _zero_means_zero,
                _filed_after_period,
                _received_not_before("filed_on"),
            ),
        ),
        Source(
            "cit_annual",
            "tax",
            "企业所得税年度申报 / annual corporate income tax returns",
            models.CitAnnual,
            (
                USCC,
                Field("year", "year", bounds=(1990, 2100)),
                Field("revenue", "money"),
                Field("profit_total", "signed_money"),
                Field("tax_payable", "money"),
                Field("tax_paid", "money"),
                Field("due_date", "date", required=False, doc=DUE_DOC),
                Field("filed_on", "date"),
                RECEIVED,
            ),
            key=("uscc", "year"),
            date_field="due_date",
            floors=(("due_date", _annual_deadline),),
            rules=(
                _le("tax_paid", "tax_payable", "tax_paid", "实缴税额不能超过应纳税额"),
                _received_not_before("filed_on"),
            ),
        ),
        Source(
            "credit_grades",
            "tax",
            "纳税信用等级 / annual tax-credit grades",
            models.CreditGrade,
            (
                USCC,
                Field("year", "year", bounds=(2014, 2100)),
                Field("grade", "code", choices=("A", "B", "M", "C", "D")),
                Field("score", "decimal", bounds=(0, 100)),
                Field("rule_set", "text", max_length=10),
                Field("evaluated_on", "date"),
                RECEIVED,
            ),
            key=("uscc", "year"),
            date_field="evaluated_on",
            rules=(_received_not_before("evaluated_on"),),
        ),
        Source(
            "tax_arrears",
            "tax",
            "欠税 / tax arrears",
            models.TaxArrear,
            (
                Field("arrear_id", "text", max_length=32),
                USCC,
                Field("tax_type", "text", max_length=16),
                Field("period", "period"),
                Field("amount", "money"),
                Field("arisen_on", "date"),
                Field("cleared_on", "date", required=False),
                RECEIVED,
            ),
            key=("arrear_id",),
            date_field="arisen_on",
            rules=(_after("cleared_on", "arisen_on", "cleared_on", "清缴日期不能早于发生日期"),),
        ),
        Source(
            "social_insurance",
            "social_insurance",
            "社保缴费 / monthly social insurance",
            models.SocialInsurance,
            (
                USCC,
                Field("period", "period"),
                Field("insured_headcount", "int", bounds=(0, 1_000_000)),
                Field("contribution_base", "money"),
                Field("contribution_due", "money"),
                Field("contribution_paid", "money"),
                Field("arrears", "money"),
                RECEIVED,
            ),
            key=("uscc", "period"),
            period_field="period",
            rules=(
                _le("contribution_paid", "contribution_due", "contribution_paid", "实缴不能超过应缴"),
                _arrears_is_difference("contribution_due", "contribution_paid"),
            ),
        ),
        Source(
            "housing_fund",
            "housing_fund",
            "住房公积金 / monthly housing fund",
            models.HousingFund,
            (
                USCC,
                Field("period", "period"),
                Field("depositors", "int", bounds=(0, 1_000_000)),
                Field("deposit_due", "money"),
                Field("deposit_paid", "money"),
                Field("arrears", "money"),
                RECEIVED,
            ),
            key=("uscc", "period"),
            period_field="period",
            rules=(
                _le("deposit_paid", "deposit_due", "deposit_paid", "实缴不能超过应缴"),
                _arrears_is_difference("deposit_due", "deposit_paid"),
            ),
        ),
        Source(
            "utilities",
            "utilities",
            "水电气 / monthly utility bills",
            models.UtilityBill,
            (
                USCC,
                Field("period", "period"),
                Field("utility", "code", choices=("electricity", "water", "gas")),
                Field("unit", "code", choices=("kWh", "t", "m3")),
                Field("consumption", "int"),
                Field("billed", "money"),
                Field("due_date", "date"),
                Field("paid_on", "date", required=False),
                Field("auto_debit", "bool"),
                RECEIVED,
            ),
            key=("uscc", "period", "utility"),
            period_field="period",
            rules=(_unit_matches,),
        ),
        Source(
            "public_credit",
            "public_credit",
            "公共信用名单 / public-credit list entries",
            models.PublicCreditEntry,
            (
                Field("entry_id", "text", max_length=32),
                USCC,
                Field(
                    "list_type",
                    "code",
                    choices=("serious_dishonesty", "key_watch", "red_list", "admin_penalty", "abnormal_operation"),
                ),
                Field("reason", "text", max_length=200),
                Field("authority", "text", max_length=100),
                Field("listed_on", "date"),
                Field("removed_on", "date", required=False),
                RECEIVED,
            ),
            key=("entry_id",),
            date_field="listed_on",
            rules=(_after("removed_on", "listed_on", "removed_on", "移出日期不能早于列入日期"),),
        ),
    ]
}


def get(name: str) -> Source:
    """The source called ``name`` (KeyError when there is none)."""
    return SOURCES[name]
