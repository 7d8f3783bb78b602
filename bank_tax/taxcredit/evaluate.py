"""The tax-credit pre-evaluation: a firm's behaviour in an evaluation year, read from its own records as
known at a moment, scored and graded under the rules of that year (:mod:`.rules`).

What each indicator is read from:

* months declared, zero declarations, revenue: the monthly VAT declarations of the year (current
  versions; a correction keeps its original filing date);
* late filings: declarations filed more than the grace days after their due date;
* late financial statements, missing annual return: the annual CIT return of the previous year (due
  31 May of this year);
* new arrears, arrears still open at year end: tax arrears whose period is in the year, and when they
  were cleared;
* social-insurance arrears (2025 rules): the months of the year with contributions in arrears;
* direct D (absconded, 非正常户): for a closed year, declarations stop for good before its December; in
  any year, an abnormal-operation listing (经营异常名录) made in the year;
* new in the year, age: the registry's founding date; D last year: the published grade of last year.

A firm's records begin the month after it was founded, so a month before that is not "missing".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import clock
from bank_tax.enterprises.models import Enterprise
from bank_tax.sources import deadlines
from bank_tax.sources import service as sources
from bank_tax.sources.service import current_versions
from bank_tax.sources.specs import SOURCES
from bank_tax.taxcredit import rules as R


@dataclass
class Evaluation:
    """Per firm (sorted by code): the behaviour counts, the score, each deduction and the grade."""

    year: int
    rule_set: str
    usccs: np.ndarray
    x: dict[str, np.ndarray]
    start: np.ndarray
    deductions: dict[str, np.ndarray]
    score: np.ndarray
    grade: np.ndarray
    closed: bool  # the year has ended (else: the running score so far)


def rows_for_firms(session: Session, stmt: sa.Select, column, firms: np.ndarray) -> list:
    """Rows of ``stmt`` (firm code first) for ``firms`` only: narrowed in SQL to the list for a modest one,
    else to its range of codes and kept in Python (SQLite caps bound parameters); callers index rows by
    firm, so no other firm's row may come back."""
    if len(firms) <= sources.PUSHDOWN_FIRMS:
        return session.execute(stmt.where(column.in_(firms.tolist()))).all()
    keep = set(firms.tolist())
    return [r for r in session.execute(stmt.where(column.between(min(keep), max(keep)))) if r[0] in keep]


def _read(session: Session, source: str, columns: list[str], usccs: np.ndarray, as_of: dt.datetime, period=None):
    """Current versions of ``columns`` (plus uscc) for the firms, as known at ``as_of``."""
    sub = current_versions(SOURCES[source], as_of=as_of, usccs=usccs.tolist(), period=period).subquery()
    return rows_for_firms(session, sa.select(sub.c.uscc, *[sub.c[c] for c in columns]), sub.c.uscc, usccs)


def _index(usccs: np.ndarray, codes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Row index in ``usccs`` of each code, and whether it is one of them."""
    codes_arr = np.asarray(codes, dtype="U18")
    pos = np.searchsorted(usccs, codes_arr)
    pos = np.minimum(pos, max(len(usccs) - 1, 0))
    ok = (usccs[pos] == codes_arr) if len(usccs) else np.zeros(len(codes_arr), bool)
    return pos, ok


def due_date(year: int, month: int) -> dt.date:
    """When the monthly VAT return of ``year``-``month`` is due: the 15th of the next month, moved for
    holidays (:mod:`bank_tax.sources.deadlines`)."""
    return deadlines.monthly_return(year, month).due


def published_year(session: Session, *, as_of: dt.datetime) -> int | None:
    """The latest evaluation year whose grades the tax bureau has published, as known at ``as_of``
    (grades come out in April: before then it is the year before last)."""
    t = SOURCES["credit_grades"].table.__table__
    return session.scalar(
        sa.select(sa.func.max(t.c.year)).where(
            t.c.received_at <= as_of, t.c.evaluated_on <= clock.business_date(as_of)
        )
    )


def behaviour(session: Session, *, usccs, year: int, as_of: dt.datetime) -> tuple[np.ndarray, dict, bool]:
    """(firms, x, closed): the indicators of :data:`rules.BEHAVIOUR` for evaluation year ``year``."""
    firms = np.unique(np.asarray(usccs, dtype="U18"))
    n = len(firms)
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 1)
    today = clock.business_date(as_of)
    closed = today > dt.date(year, 12, 31)

    est = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    reg = rows_for_firms(session, sa.select(Enterprise.uscc, Enterprise.established_on), Enterprise.uscc, firms)
    pos, ok = _index(firms, [r[0] for r in reg])
    est[pos[ok]] = np.array([r[1] for r in reg], dtype="datetime64[D]")[ok]
    est_month = est.astype("datetime64[M]")
    month_index = np.arange(12)
    months = np.datetime64(f"{year}-01", "M") + month_index
    exists = est_month[:, None] < months[None, :]  # records from the month after founding
    # a month counts once its return is due (the 15th of the next month, moved for holidays): later ones
    # are not missing yet
    due_months = np.array([due_date(year, m + 1) < today for m in month_index])  # a closed year too (January)
    exists &= due_months[None, :]

    # monthly VAT declarations of the year
    declared = np.zeros((n, 12), dtype=bool)
    zero = np.zeros((n, 12), dtype=bool)
    sales = np.zeros(n)
    late = np.zeros(n, dtype=np.int64)
    _, r = R.rules_for(year)
    vat = _read(
        session,
        "vat_declarations",
        ["period", "is_zero", "taxable_sales", "due_date", "filed_on"],
        firms,
        as_of,
        (first, last),
    )
    if vat:
        pos, ok = _index(firms, [v[0] for v in vat])
        month = np.array([v[1].month - 1 for v in vat])
        pos, month = pos[ok], month[ok]
        rows = [v for v, k in zip(vat, ok, strict=True) if k]
        declared[pos, month] = True
        zero[pos, month] = np.array([bool(v[2]) for v in rows])
        np.add.at(sales, pos, np.array([v[3] for v in rows], dtype=float))
        days_late = np.array([(v[5] - v[4]).days for v in rows])
        np.add.at(late, pos, (days_late > r["late_filing_grace_days"]).astype(np.int64))
    months_missing = (exists & ~declared).sum(axis=1)
    run = np.zeros(n, dtype=np.int64)
    best = np.zeros(n, dtype=np.int64)
    for c in range(12):
        run = np.where(zero[:, c], run + 1, 0)
        best = np.maximum(best, run)

    # the previous year's annual return (due 31 May of this year)
    cit = _read(session, "cit_annual", ["year", "due_date", "filed_on"], firms, as_of)
    has_return = np.zeros(n, dtype=bool)
    late_statement = np.zeros(n, dtype=bool)
    for u, y, due, filed in cit:
        if y == year - 1:
            i = np.searchsorted(firms, u)
            has_return[i] = True
            late_statement[i] = filed > due
    statement_due = closed or today > deadlines.annual_return(year - 1).due
    existed_last_dec = est_month < np.datetime64(f"{year - 1}-12", "M")
    new_in_year = est >= np.datetime64(f"{year}-01-01")
    annual_return_missing = existed_last_dec & ~has_return & ~new_in_year & statement_due

    # tax arrears of the year
    new_arrears = np.zeros(n, dtype=np.int64)
    open_arrear = np.zeros(n, dtype=bool)
    year_end = dt.date(year, 12, 31)
    for u, period, cleared in _read(session, "tax_arrears", ["period", "cleared_on"], firms, as_of):
        if period.year == year:
            i = np.searchsorted(firms, u)
            new_arrears[i] += 1
            open_arrear[i] |= (cleared is None or cleared > year_end) and (closed or cleared is None)

    # social-insurance months in arrears
    si_months = np.zeros(n, dtype=np.int64)
    for u, _period, arrears in _read(session, "social_insurance", ["period", "arrears"], firms, as_of, (first, last)):
        if arrears and arrears > 0:
            si_months[np.searchsorted(firms, u)] += 1

    # direct D: declarations stopped for good before December (closed years), or an abnormal-operation listing
    direct_d = np.zeros(n, dtype=bool)
    for u, list_type, listed_on in _read(session, "public_credit", ["list_type", "listed_on"], firms, as_of):
        if list_type == "abnormal_operation" and listed_on.year == year:
            direct_d[np.searchsorted(firms, u)] = True
    if closed:
        t = SOURCES["vat_declarations"].table.__table__
        latest = session.execute(sa.select(sa.func.max(t.c.period)).where(t.c.received_at <= as_of)).scalar()
        if latest is not None and latest > last:
            stmt = sa.select(t.c.uscc, sa.func.max(t.c.period)).where(t.c.received_at <= as_of).group_by(t.c.uscc)
            last_filed = dict(rows_for_firms(session, stmt, t.c.uscc, firms))
            stopped = np.array([(last_filed.get(u) or dt.date.min) < last for u in firms.tolist()])
            direct_d |= stopped & declared.any(axis=1)  # declared in the year, then never again

    # D last year
    prev = dict((u, g) for u, y, g in _read(session, "credit_grades", ["year", "grade"], firms, as_of) if y == year - 1)
    prev_d = np.array([prev.get(u) == "D" for u in firms.tolist()])

    age_years = (np.datetime64(f"{year}-12-31") - est).astype("timedelta64[D]").astype(float) / 365.25
    x = {
        "months_missing": months_missing,
        "late_filings": late,
        "late_statement": late_statement,
        "annual_return_missing": annual_return_missing,
        "new_arrears": new_arrears,
        "open_arrear": open_arrear,
        "si_arrear_months": si_months,
        "zero_run": best,
        "zero_total": zero.sum(axis=1),
        "direct_d": direct_d,
        "new_in_year": new_in_year,
        "no_revenue": closed & (sales == 0),
        "age_years": np.nan_to_num(age_years, nan=0.0),
        "prev_d": prev_d,
    }
    return firms, x, closed


def pre_evaluate(session: Session, *, usccs, year: int, as_of: dt.datetime) -> Evaluation:
    """Score and grade the firms for evaluation year ``year`` from what is known at ``as_of``: the final
    grade for a closed year, the running score (so far) for the current one."""
    firms, x, closed = behaviour(session, usccs=usccs, year=year, as_of=as_of)
    name, r = R.rules_for(year)
    start = R.starting_score(r, x)
    cut = R.deductions(r, x)
    score = np.maximum(start - sum(cut.values()), 0.0)
    return Evaluation(
        year=year,
        rule_set=name,
        usccs=firms,
        x=x,
        start=start,
        deductions=cut,
        score=score,
        grade=R.letter(r, score, x),
        closed=closed,
    )
