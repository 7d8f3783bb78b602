"""Computing the catalogue's features for many firms at once, as of a moment, columnar throughout.

Every monthly source becomes a dense panel (:mod:`bank_tax.features.panels`); windows are slices of the
last months; no Python loop runs per firm. Features of a category a bank may not use are NaN for that
bank (its consent mask), so one model scores any consent pattern.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax.categories import CATEGORIES
from bank_tax.consent.mask import Mask
from bank_tax.enterprises.models import Enterprise
from bank_tax.features.catalogue import CATALOGUE, NAMES, of_category
from bank_tax.features.panels import month_range, monthly
from bank_tax.sources.service import current_versions, open_disputes
from bank_tax.sources.specs import SOURCES

MONTHS = 36
GRADE_POINTS = {"A": 4.0, "B": 3.0, "M": 2.0, "C": 1.0, "D": 0.0}


@dataclass(frozen=True)
class FeatureFrame:
    """Firms (sorted) × features (catalogue order), float64 with NaN for missing."""

    usccs: np.ndarray
    names: tuple[str, ...]
    values: np.ndarray

    def column(self, name: str) -> np.ndarray:
        return self.values[:, self.names.index(name)]


def _window_sum(x: np.ndarray, months: int, offset: int = 0) -> np.ndarray:
    """Sum of the last ``months`` months (ending ``offset`` months before the end); NaN if no record."""
    end = x.shape[1] - offset
    part = x[:, end - months : end]
    seen = ~np.isnan(part)
    return np.where(seen.any(axis=1), np.where(seen, part, 0.0).sum(axis=1), np.nan)


def _count(flag: np.ndarray, months: int) -> np.ndarray:
    """How many of the last ``months`` months have ``flag`` (a boolean panel)."""
    return flag[:, -months:].sum(axis=1).astype(np.float64)


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((b > 0) & ~np.isnan(a), a / b, np.nan)


def _last_value(x: np.ndarray) -> np.ndarray:
    """Each firm's latest value in the panel (agencies deliver the last month late; NaN when none)."""
    seen = ~np.isnan(x)
    last = x.shape[1] - 1 - np.argmax(seen[:, ::-1], axis=1)
    return np.where(seen.any(axis=1), x[np.arange(x.shape[0]), last], np.nan)


def _first_value(x: np.ndarray) -> np.ndarray:
    """Each firm's earliest value in the panel (NaN when none)."""
    seen = ~np.isnan(x)
    return np.where(seen.any(axis=1), x[np.arange(x.shape[0]), np.argmax(seen, axis=1)], np.nan)


def _months_since(flag: np.ndarray, cap: float) -> np.ndarray:
    """Months from the last month with ``flag`` to the end of the panel (``cap`` when never)."""
    m = flag.shape[1]
    last = np.where(flag.any(axis=1), m - 1 - np.argmax(flag[:, ::-1], axis=1), -1)
    return np.where(last >= 0, (m - 1 - last).astype(np.float64), cap)


def _tax(session, usccs, as_of, established_month, span) -> dict[str, np.ndarray]:
    vat = monthly(
        session,
        source=SOURCES["vat_declarations"],
        usccs=usccs,
        as_of=as_of,
        months=MONTHS,
        columns=["taxable_sales", "tax_payable", "tax_paid", "is_zero", "filed_on", "due_date", "version"],
    )
    sales, payable, paid = vat["taxable_sales"] / 100, vat["tax_payable"] / 100, vat["tax_paid"] / 100
    filed = ~np.isnan(sales)
    late = filed & (vat["filed_on"] > vat["due_date"])
    out: dict[str, np.ndarray] = {}
    out["sales_12m"] = _window_sum(sales, 12)
    prev = _window_sum(sales, 12, offset=12)
    out["sales_yoy"] = _ratio(out["sales_12m"], prev) - 1
    last12 = sales[:, -12:]
    n12 = (~np.isnan(last12)).sum(axis=1)
    mean = np.where(n12 > 0, np.nansum(last12, axis=1) / np.maximum(n12, 1), np.nan)
    var = np.where(n12 > 0, np.nansum((last12 - mean[:, None]) ** 2, axis=1) / np.maximum(n12, 1), np.nan)
    out["sales_volatility"] = np.where((n12 >= 3) & (mean > 0), np.sqrt(var) / np.where(mean > 0, mean, 1), np.nan)
    quarter_end = np.isin(span.astype("datetime64[M]").astype(np.int64) % 12, [2, 5, 8, 11])[-12:]
    out["quarter_end_share"] = _ratio(
        np.where(np.isnan(last12), 0, last12)[:, quarter_end].sum(axis=1), out["sales_12m"]
    )
    out["zero_months_12m"] = _count(filed & (vat["is_zero"] == 1), 12)
    operating = span[None, :] > established_month[:, None]
    out["missing_months_12m"] = _count(operating & ~filed, 12)
    out["late_filings_12m"] = _count(late, 12)
    out["late_filings_24m"] = _count(late, 24)
    out["months_since_late"] = _months_since(late, float(MONTHS))
    out["tax_paid_12m"] = _window_sum(paid, 12)
    out["tax_burden"] = _ratio(_window_sum(payable, 12), out["sales_12m"])
    out["payment_ratio_12m"] = _ratio(out["tax_paid_12m"], _window_sum(payable, 12))
    out["corrections_12m"] = _count(filed & (vat["version"] > 1), 12)
    return out


def _arrears(session, usccs, as_of) -> dict[str, np.ndarray]:
    src = SOURCES["tax_arrears"]
    q = current_versions(src, as_of=as_of, usccs=usccs).subquery()
    rows = session.execute(
        sa.select(q.c.uscc, q.c.amount, q.c.arisen_on, q.c.cleared_on).where(
            q.c.id.not_in(open_disputes(src, as_of=as_of))
        )
    ).all()
    open_amount = np.zeros(usccs.shape[0])
    recent = np.zeros(usccs.shape[0])
    if rows:
        codes = np.array([r[0] for r in rows], dtype="U18")
        pos = np.minimum(np.searchsorted(usccs, codes), usccs.shape[0] - 1)
        hit = usccs[pos] == codes
        amount = np.array([r[1] for r in rows], dtype=np.float64) / 100
        arisen = np.array([r[2] for r in rows], dtype="datetime64[D]")
        cleared = np.array([r[3] for r in rows], dtype="datetime64[D]")
        day = np.datetime64(as_of.date(), "D")
        is_open = hit & (arisen <= day) & (np.isnat(cleared) | (cleared > day))
        np.add.at(open_amount, pos[is_open], amount[is_open])
        since = (np.datetime64(as_of.date(), "M") - 24).astype("datetime64[D]")
        is_recent = hit & (arisen >= since) & (arisen <= day)
        np.add.at(recent, pos[is_recent], 1)
    return {"open_arrears": open_amount, "arrears_count_24m": recent}


def _grades(session, usccs, as_of) -> dict[str, np.ndarray]:
    src = SOURCES["credit_grades"]
    q = current_versions(src, as_of=as_of, usccs=usccs).subquery()
    rows = session.execute(
        sa.select(q.c.uscc, q.c.year, q.c.grade).where(q.c.evaluated_on <= as_of.date()).order_by(q.c.year)
    ).all()
    latest = np.full(usccs.shape[0], np.nan)
    before = np.full(usccs.shape[0], np.nan)
    if rows:
        codes = np.array([r[0] for r in rows], dtype="U18")
        pos = np.minimum(np.searchsorted(usccs, codes), usccs.shape[0] - 1)
        hit = usccs[pos] == codes
        grade = np.array([r[2] for r in rows])
        points = np.select([grade == g for g in GRADE_POINTS], list(GRADE_POINTS.values()), np.nan)
        year = np.array([r[1] for r in rows], dtype=np.int64)
        order = np.lexsort((year, pos))[hit[np.lexsort((year, pos))]]  # by firm, then year; known firms only
        firm, pts = pos[order], points[order]
        last = np.r_[firm[1:] != firm[:-1], True]  # each firm's latest year
        latest[firm[last]] = pts[last]
        second = np.r_[last[1:], False] & np.r_[firm[:-1] == firm[1:], False]  # the year before it, same firm
        before[firm[second]] = pts[second]
    return {"grade_score": latest, "grade_change": latest - before}


def _payroll(session, usccs, as_of) -> dict[str, np.ndarray]:
    si = monthly(
        session,
        source=SOURCES["social_insurance"],
        usccs=usccs,
        as_of=as_of,
        months=13,
        columns=["insured_headcount", "contribution_due", "contribution_paid", "arrears"],
    )
    hf = monthly(
        session, source=SOURCES["housing_fund"], usccs=usccs, as_of=as_of, months=12, columns=["depositors", "arrears"]
    )
    heads = si["insured_headcount"]
    return {
        "headcount": _last_value(heads),
        "headcount_trend": _ratio(_last_value(heads), _first_value(heads)) - 1,
        "si_arrears_months_12m": np.where(np.isnan(heads[:, -12:]).all(axis=1), np.nan, _count(si["arrears"] > 0, 12)),
        "si_payment_ratio_12m": _ratio(
            _window_sum(si["contribution_paid"], 12), _window_sum(si["contribution_due"], 12)
        ),
        "hf_depositors": _last_value(hf["depositors"]),
        "hf_arrears_months_12m": np.where(
            np.isnan(hf["depositors"]).all(axis=1), np.nan, _count(hf["arrears"] > 0, 12)
        ),
    }


def _utilities(session, usccs, as_of, sales_yoy) -> dict[str, np.ndarray]:
    src = SOURCES["utilities"]
    power = monthly(
        session,
        source=src,
        usccs=usccs,
        as_of=as_of,
        months=24,
        columns=["consumption", "due_date", "paid_on", "auto_debit"],
        where=lambda q: q.c.utility == "electricity",
    )
    late = np.zeros(usccs.shape[0])
    for utility in ("electricity", "water", "gas"):
        p = (
            power
            if utility == "electricity"
            else monthly(
                session,
                source=src,
                usccs=usccs,
                as_of=as_of,
                months=12,
                columns=["due_date", "paid_on"],
                where=lambda q, u=utility: q.c.utility == u,
            )
        )
        late += _count(p["paid_on"] > p["due_date"], 12)
    kwh = power["consumption"]
    last12 = kwh[:, -12:]
    seen = ~np.isnan(last12)
    mean = np.where(seen.any(axis=1), np.nansum(last12, axis=1) / np.maximum(seen.sum(axis=1), 1), np.nan)
    peak = np.where(seen.any(axis=1), np.nanmax(np.where(seen, last12, -np.inf), axis=1), np.nan)
    growth = _ratio(_window_sum(kwh, 12), _window_sum(kwh, 12, offset=12)) - 1
    has_power = seen.any(axis=1)
    return {
        "power_capacity": np.where(has_power, (np.floor(mean / 1000) + 1) * 10, np.nan),
        "power_utilisation": _ratio(_last_value(last12), peak),
        "power_growth": growth,
        "utility_late_12m": np.where(has_power, late, np.nan),
        "auto_debit": _last_value(power["auto_debit"]),
        "sales_power_gap": sales_yoy - growth,
    }


def _lists(session, usccs, as_of) -> dict[str, np.ndarray]:
    src = SOURCES["public_credit"]
    q = current_versions(src, as_of=as_of, usccs=usccs).subquery()
    rows = session.execute(
        sa.select(q.c.uscc, q.c.list_type, q.c.listed_on, q.c.removed_on).where(
            q.c.id.not_in(open_disputes(src, as_of=as_of))
        )
    ).all()
    n = usccs.shape[0]
    out = {k: np.zeros(n) for k in ("blacklisted", "watchlisted", "redlisted", "penalties_24m")}
    last_listing = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    if rows:
        codes = np.array([r[0] for r in rows], dtype="U18")
        pos = np.minimum(np.searchsorted(usccs, codes), n - 1)
        hit = usccs[pos] == codes
        kind = np.array([r[1] for r in rows])
        listed = np.array([r[2] for r in rows], dtype="datetime64[D]")
        removed = np.array([r[3] for r in rows], dtype="datetime64[D]")
        day = np.datetime64(as_of.date(), "D")
        on = hit & (listed <= day) & (np.isnat(removed) | (removed > day))
        for name, list_type in (
            ("blacklisted", "serious_dishonesty"),
            ("watchlisted", "key_watch"),
            ("redlisted", "red_list"),
        ):
            sel = on & (kind == list_type)
            out[name][pos[sel]] = 1.0
        since = (np.datetime64(as_of.date(), "M") - 24).astype("datetime64[D]")
        pen = hit & (kind == "admin_penalty") & (listed >= since) & (listed <= day)
        np.add.at(out["penalties_24m"], pos[pen], 1)
        bad = hit & np.isin(kind, ["serious_dishonesty", "key_watch"]) & (listed <= day)
        order = np.argsort(listed[bad])
        last_listing[pos[bad][order]] = listed[bad][order]  # later listings overwrite earlier ones
    months = (np.datetime64(as_of.date(), "M") - last_listing.astype("datetime64[M]")).astype(np.float64)
    out["months_since_listing"] = np.where(np.isnat(last_listing), 60.0, np.minimum(months, 60.0))
    return out


def compute(session: Session, *, usccs, as_of: dt.datetime, mask: Mask | None = None) -> FeatureFrame:
    """Every catalogue feature for ``usccs`` as known at ``as_of``; with a bank's ``mask``, the features of
    categories it may not use for a firm are NaN."""
    usccs = np.unique(np.asarray(usccs, dtype="U18"))
    span = month_range(as_of, MONTHS)
    registry = session.execute(sa.select(Enterprise.uscc, Enterprise.established_on).order_by(Enterprise.uscc)).all()
    reg_codes = np.array([r[0] for r in registry], dtype="U18")
    reg_days = np.array([r[1] for r in registry], dtype="datetime64[D]")
    established = np.full(usccs.shape[0], np.datetime64("NaT"), dtype="datetime64[D]")
    if reg_codes.size:
        pos = np.minimum(np.searchsorted(reg_codes, usccs), reg_codes.size - 1)
        known = reg_codes[pos] == usccs
        established[known] = reg_days[pos[known]]
    established_month = established.astype("datetime64[M]")
    values = _tax(session, usccs, as_of, established_month, span)
    values["months_operating"] = np.where(
        np.isnat(established_month), np.nan, (np.datetime64(as_of.date(), "M") - established_month).astype(np.float64)
    )
    values |= _arrears(session, usccs, as_of) | _grades(session, usccs, as_of) | _payroll(session, usccs, as_of)
    values |= _utilities(session, usccs, as_of, values["sales_yoy"]) | _lists(session, usccs, as_of)
    matrix = np.column_stack([values[name] for name in NAMES]).astype(np.float64)
    if mask is not None:  # the mask's rows may come in any order: line them up with the sorted firms
        by_code = np.argsort(mask.usccs, kind="stable")
        at = by_code[np.minimum(np.searchsorted(mask.usccs[by_code], usccs), by_code.size - 1)]
        allowed = np.where((mask.usccs[at] == usccs)[:, None], mask.allowed[at], False)
        for j, category in enumerate(CATEGORIES):
            cols = [NAMES.index(n) for n in of_category(category)]
            matrix[np.ix_(~allowed[:, j], cols)] = np.nan
    assert len(CATALOGUE) == matrix.shape[1]
    return FeatureFrame(usccs=usccs, names=NAMES, values=matrix)
