"""A second, plain pandas implementation of the feature catalogue, written from the definitions on
long-format records (groupby per firm), to check the columnar pipeline against. Not used in production."""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from bank_tax.enterprises.models import Enterprise
from bank_tax.features.catalogue import NAMES
from bank_tax.sources.models import Dispute
from bank_tax.sources.specs import SOURCES

POINTS = {"A": 4.0, "B": 3.0, "M": 2.0, "C": 1.0, "D": 0.0}


def _frame(session, source, as_of, columns) -> pd.DataFrame:
    """The records of ``source`` as known at ``as_of``, written from the definitions rather than taken
    from the production queries: of every record (natural key) the highest version received by then,
    less the records under a dispute opened by then and not resolved by then."""
    src = SOURCES[source]
    t = src.table.__table__
    raw = pd.DataFrame(session.execute(sa.select(t)).mappings().all(), columns=[c.name for c in t.columns])
    raw = raw[pd.to_datetime(raw.received_at, utc=True) <= pd.Timestamp(as_of)]
    current = raw.sort_values("version").groupby(list(src.key), sort=False).tail(1)
    d = pd.DataFrame(
        session.execute(sa.select(Dispute.source, Dispute.record_id, Dispute.opened_at, Dispute.resolved_at)).all(),
        columns=["source", "record_id", "opened_at", "resolved_at"],
    )
    opened, resolved = pd.to_datetime(d.opened_at, utc=True), pd.to_datetime(d.resolved_at, utc=True)
    under = d[(d.source == source) & (opened <= as_of) & (resolved.isna() | (resolved > as_of))].record_id
    return current[~current.id.isin(under)][columns].reset_index(drop=True)


def business_day(as_of) -> pd.Timestamp:
    """The date in China at ``as_of`` (UTC+8 all year), as a timestamp at midnight."""
    return pd.Timestamp(as_of).tz_convert("Asia/Shanghai").tz_localize(None).normalize()


def _month_index(dates: pd.Series, last: pd.Period) -> pd.Series:
    """0 for the last full month, 1 for the one before, …"""
    periods = pd.PeriodIndex(pd.to_datetime(dates), freq="M")
    return pd.Series([last.ordinal - p.ordinal for p in periods], index=dates.index)


def compute(session, usccs, as_of) -> pd.DataFrame:
    firms = pd.Index(sorted(set(usccs)), name="uscc")
    day = business_day(as_of)
    last = pd.Period(day, freq="M") - 1
    out = pd.DataFrame(index=firms, columns=list(NAMES), dtype=float)

    reg = pd.DataFrame(
        session.execute(sa.select(Enterprise.uscc, Enterprise.established_on)).all(), columns=["uscc", "est"]
    ).set_index("uscc")["est"]
    est_month = {u: pd.Period(reg[u], freq="M") for u in firms if u in reg.index}
    out["months_operating"] = [
        float((last + 1).ordinal - est_month[u].ordinal) if u in est_month else np.nan for u in firms
    ]

    vat = _frame(
        session,
        "vat_declarations",
        as_of,
        ["uscc", "period", "version", "taxable_sales", "tax_payable", "tax_paid", "is_zero", "due_date", "filed_on"],
    )
    vat = vat[vat.uscc.isin(firms)].copy()
    vat["k"] = _month_index(vat.period, last)
    vat = vat[(vat.k >= 0) & (vat.k < 36)]
    vat["sales"], vat["payable"], vat["paid"] = vat.taxable_sales / 100, vat.tax_payable / 100, vat.tax_paid / 100
    vat["late"] = pd.to_datetime(vat.filed_on) > pd.to_datetime(vat.due_date)
    vat["qend"] = [p.month in (3, 6, 9, 12) for p in pd.to_datetime(vat.period)]
    for u in firms:
        v = vat[vat.uscc == u]
        w12, w24, prev = v[v.k < 12], v[v.k < 24], v[(v.k >= 12) & (v.k < 24)]
        s12 = w12.sales.sum() if len(w12) else np.nan
        p12 = prev.sales.sum() if len(prev) else np.nan
        out.loc[u, "sales_12m"] = s12
        out.loc[u, "sales_yoy"] = s12 / p12 - 1 if (p12 > 0 and not np.isnan(s12)) else np.nan
        mean = w12.sales.mean() if len(w12) else np.nan
        out.loc[u, "sales_volatility"] = (w12.sales.std(ddof=0) / mean) if (len(w12) >= 3 and mean > 0) else np.nan
        out.loc[u, "quarter_end_share"] = (w12[w12.qend].sales.sum() / s12) if s12 > 0 else np.nan
        out.loc[u, "zero_months_12m"] = float(w12.is_zero.sum())
        present = set(w12.k)
        missing = [k for k in range(12) if k not in present and u in est_month and (last - k) > est_month[u]]
        out.loc[u, "missing_months_12m"] = float(len(missing))
        out.loc[u, "late_filings_12m"] = float(w12.late.sum())
        out.loc[u, "late_filings_24m"] = float(w24.late.sum())
        lates = v[v.late].k
        out.loc[u, "months_since_late"] = float(lates.min()) if len(lates) else 36.0
        paid12 = w12.paid.sum() if len(w12) else np.nan
        payable12 = w12.payable.sum() if len(w12) else np.nan
        out.loc[u, "tax_paid_12m"] = paid12
        out.loc[u, "tax_burden"] = payable12 / s12 if (s12 > 0 and not np.isnan(payable12)) else np.nan
        out.loc[u, "payment_ratio_12m"] = paid12 / payable12 if (payable12 > 0 and not np.isnan(paid12)) else np.nan
        out.loc[u, "corrections_12m"] = float((w12.version > 1).sum())

    arr = _frame(session, "tax_arrears", as_of, ["uscc", "amount", "arisen_on", "cleared_on"])
    arr["arisen_on"], arr["cleared_on"] = pd.to_datetime(arr.arisen_on), pd.to_datetime(arr.cleared_on)
    since24 = (pd.Period(day, freq="M") - 24).to_timestamp()
    for u in firms:
        a = arr[arr.uscc == u]
        is_open = (a.arisen_on <= day) & (a.cleared_on.isna() | (a.cleared_on > day))
        out.loc[u, "open_arrears"] = float(a[is_open].amount.sum() / 100)
        out.loc[u, "arrears_count_24m"] = float(((a.arisen_on >= since24) & (a.arisen_on <= day)).sum())

    grades = _frame(session, "credit_grades", as_of, ["uscc", "year", "grade", "evaluated_on"])
    grades = grades[pd.to_datetime(grades.evaluated_on) <= day].sort_values(["uscc", "year"])
    for u in firms:
        g = grades[grades.uscc == u]
        pts = [POINTS[x] for x in g.grade]
        out.loc[u, "grade_score"] = pts[-1] if pts else np.nan
        out.loc[u, "grade_change"] = pts[-1] - pts[-2] if len(pts) >= 2 else np.nan

    si = _frame(
        session,
        "social_insurance",
        as_of,
        ["uscc", "period", "insured_headcount", "contribution_due", "contribution_paid", "arrears"],
    )
    si["k"] = _month_index(si.period, last)
    si = si[(si.k >= 0) & (si.k < 13)]
    hf = _frame(session, "housing_fund", as_of, ["uscc", "period", "depositors", "arrears"])
    hf["k"] = _month_index(hf.period, last)
    hf = hf[(hf.k >= 0) & (hf.k < 12)]
    for u in firms:
        s = si[si.uscc == u].sort_values("k")
        s12 = s[s.k < 12]
        first, latest = (s.insured_headcount.iloc[-1], s.insured_headcount.iloc[0]) if len(s) else (np.nan, np.nan)
        out.loc[u, "headcount"] = latest
        out.loc[u, "headcount_trend"] = latest / first - 1 if first > 0 else np.nan
        out.loc[u, "si_arrears_months_12m"] = float((s12.arrears > 0).sum()) if len(s12) else np.nan
        due12 = s12.contribution_due.sum() if len(s12) else np.nan
        out.loc[u, "si_payment_ratio_12m"] = s12.contribution_paid.sum() / due12 if due12 > 0 else np.nan
        h = hf[hf.uscc == u].sort_values("k")
        out.loc[u, "hf_depositors"] = h.depositors.iloc[0] if len(h) else np.nan
        out.loc[u, "hf_arrears_months_12m"] = float((h.arrears > 0).sum()) if len(h) else np.nan

    ut = _frame(
        session, "utilities", as_of, ["uscc", "period", "utility", "consumption", "due_date", "paid_on", "auto_debit"]
    )
    ut["k"] = _month_index(ut.period, last)
    ut["late"] = pd.to_datetime(ut.paid_on) > pd.to_datetime(ut.due_date)
    for u in firms:
        e = ut[(ut.uscc == u) & (ut.utility == "electricity") & (ut.k >= 0) & (ut.k < 24)].sort_values("k")
        e12, eprev = e[e.k < 12], e[(e.k >= 12) & (e.k < 24)]
        if len(e12):
            mean, peak = e12.consumption.mean(), e12.consumption.max()
            out.loc[u, "power_capacity"] = (np.floor(mean / 1000) + 1) * 10
            out.loc[u, "power_utilisation"] = e12.consumption.iloc[0] / peak if peak > 0 else np.nan
            others = ut[(ut.uscc == u) & (ut.utility != "electricity") & (ut.k >= 0) & (ut.k < 12)]
            out.loc[u, "utility_late_12m"] = float(e12.late.sum() + others.late.sum())
        else:
            out.loc[u, ["power_capacity", "power_utilisation", "utility_late_12m"]] = np.nan
        s12, sp = (e12.consumption.sum() if len(e12) else np.nan), (eprev.consumption.sum() if len(eprev) else np.nan)
        out.loc[u, "power_growth"] = s12 / sp - 1 if (sp > 0 and not np.isnan(s12)) else np.nan
        out.loc[u, "auto_debit"] = float(e.auto_debit.iloc[0]) if len(e) else np.nan
    out["sales_power_gap"] = out.sales_yoy - out.power_growth

    pc = _frame(session, "public_credit", as_of, ["uscc", "list_type", "listed_on", "removed_on"])
    pc["listed_on"], pc["removed_on"] = pd.to_datetime(pc.listed_on), pd.to_datetime(pc.removed_on)
    for u in firms:
        p = pc[pc.uscc == u]
        on = (p.listed_on <= day) & (p.removed_on.isna() | (p.removed_on > day))
        for name, kind in (
            ("blacklisted", "serious_dishonesty"),
            ("watchlisted", "key_watch"),
            ("redlisted", "red_list"),
        ):
            out.loc[u, name] = float((on & (p.list_type == kind)).any())
        out.loc[u, "penalties_24m"] = float(
            ((p.list_type == "admin_penalty") & (p.listed_on >= since24) & (p.listed_on <= day)).sum()
        )
        bad = p[p.list_type.isin(["serious_dishonesty", "key_watch"]) & (p.listed_on <= day)]
        if len(bad):
            months = pd.Period(day, freq="M").ordinal - pd.Period(bad.listed_on.max(), freq="M").ordinal
            out.loc[u, "months_since_listing"] = float(min(months, 60))
        else:
            out.loc[u, "months_since_listing"] = 60.0
    return out.astype(float)
