"""Early warnings for one firm in the running evaluation year: each deduction that happened or is about
to, with its severity, the points at stake, the deadline and the repair path with its own deadline; the
projected grade if the firm does nothing and if it repairs everything it still can.

The running score and the deductions so far come from :func:`evaluate.pre_evaluate`; the warnings about
what is coming read the firm's own records (its declarations, annual return and arrears)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import clock
from bank_tax.enterprises.models import Enterprise
from bank_tax.sources import deadlines
from bank_tax.sources import service as sources
from bank_tax.sources.specs import SOURCES
from bank_tax.taxcredit import rules as R
from bank_tax.taxcredit.evaluate import Evaluation, pre_evaluate

SEVERITY = ("high", "medium", "low")


def _warning(
    code, severity, status, points, deadline, zh, en, repair_zh, repair_en, repair_deadline=None, statutory=None
):
    return {
        "code": code,
        "severity": severity,
        "status": status,  # happened | upcoming
        "points": float(points),
        "deadline": deadline,
        "statutory_deadline": statutory,  # set when a holiday moved the deadline off this day
        "zh": zh,
        "en": en,
        "repair": {"zh": repair_zh, "en": repair_en, "deadline": repair_deadline},
    }


def _months_to_watch(year: int, today: dt.date, established: dt.date | None) -> list[dt.date]:
    """The months whose VAT return a warning may be about: every month of ``year`` before this one (from
    the month after founding, when records begin), and in January last December's, due this month."""
    first = dt.date(year, 1, 1)
    if established is not None:
        first = max(first, clock.add_months(established, 1))
    this_month = clock.month_of(today)
    months = []
    month = first
    while month < this_month:
        months.append(month)
        month = clock.add_months(month, 1)
    previous = clock.add_months(this_month, -1)
    if previous.year < year and (established is None or previous >= clock.add_months(established, 1)):
        months.insert(0, previous)
    return months


def firm_warnings(session: Session, *, uscc: str, now: dt.datetime) -> dict:
    """The firm's running evaluation, its warnings and its two projections."""
    today = clock.business_date(now)
    year = today.year
    ev: Evaluation = pre_evaluate(session, usccs=[uscc], year=year, as_of=now)
    name, r = R.rules_for(year)
    grace = r["late_filing_grace_days"]
    x = {k: v[0] for k, v in ev.x.items()}
    out: list[dict] = []
    pending = 0.0  # points lost if the firm does nothing more
    restorable = 0.0  # points a repair can still win back

    # the monthly VAT returns: the one now due, and any month of the year not declared
    vat = sources.records(session, source=SOURCES["vat_declarations"], uscc=uscc, as_of=now, limit=500)
    declared = {row["data"]["period"] for row in vat}
    for row in vat:
        period, due, filed = row["data"]["period"], row["data"]["due_date"], row["data"]["filed_on"]
        if period.year == year and (filed - due).days > grace:
            days, cut = (filed - due).days, r["late_filing"]
            share = R.restored_share(r, (today - filed).days)
            restorable += r["late_filing"] * share
            out.append(
                _warning(
                    "late_filing",
                    "medium",
                    "happened",
                    -r["late_filing"],
                    due,
                    f"{period:%Y年%m月}增值税申报逾期 {days} 天，已扣 {cut:g} 分",
                    f"the {period:%Y-%m} VAT return was {days} days late: {cut:g} points off",
                    f"申请纳税信用修复可恢复 {share:.0%}（{cut * share:g} 分）",
                    f"a credit repair restores {share:.0%} ({cut * share:g} points)",
                )
            )
    est = session.scalar(sa.select(Enterprise.established_on).where(Enterprise.uscc == uscc))
    for month in _months_to_watch(year, today, est):
        deadline = deadlines.monthly_return(month.year, month.month)
        due = deadline.due
        moved_zh = f"（{deadline.note_zh()}）" if deadline.moved else ""
        moved_en = f" ({deadline.note_en()})" if deadline.moved else ""
        this_year = month.year == year  # last December's return counts in last year's evaluation
        if month not in declared:
            days_left = (due - today).days
            if days_left >= 0:
                out.append(
                    _warning(
                        "filing_due",
                        "medium" if days_left > 5 else "high",
                        "upcoming",
                        -r["late_filing"],
                        due,
                        f"{month:%Y年%m月}增值税申报将于 {due:%Y-%m-%d} 到期（还有 {days_left} 天）{moved_zh}",
                        f"the {month:%Y-%m} VAT return is due on {due:%Y-%m-%d} ({days_left} days left){moved_en}",
                        "按期申报不扣分；逾期3日内补报可全额恢复",
                        "file on time and nothing is deducted; filed within 3 days late it is restored in full",
                        due + dt.timedelta(days=grace),
                        statutory=deadline.statutory if deadline.moved else None,
                    )
                )
                pending += r["late_filing"] * this_year
            elif (today - due).days <= grace:
                last_day = due + dt.timedelta(days=grace)
                out.append(
                    _warning(
                        "filing_overdue",
                        "high",
                        "upcoming",
                        -r["late_filing"],
                        last_day,
                        f"{month:%Y年%m月}增值税申报已逾期 {(today - due).days} 天（期限 {due:%Y-%m-%d}{moved_zh}）",
                        f"the {month:%Y-%m} VAT return is {(today - due).days} days overdue (due {due:%Y-%m-%d}"
                        f"{moved_en})",
                        f"在 {last_day:%Y-%m-%d} 前补报可全额恢复分数（在3日内补正可全额恢复分数）",
                        f"file by {last_day:%Y-%m-%d} and the points are restored in full",
                        last_day,
                        statutory=deadline.statutory if deadline.moved else None,
                    )
                )
                pending += r["late_filing"] * this_year
            else:
                out.append(
                    _warning(
                        "month_missing",
                        "high",
                        "happened",
                        -(r["start_complete"] - r["start_partial"]),
                        due,
                        f"{month:%Y年%m月}增值税未申报",
                        f"no VAT return for {month:%Y-%m}",
                        "立即补报，并申请纳税信用修复",
                        "file it now and apply for a credit repair",
                        None,
                    )
                )

    # the annual return of last year (financial statements), due 31 May (moved off a rest day)
    statement = deadlines.annual_return(year - 1)
    statement_due = statement.due
    cit = sources.records(session, source=SOURCES["cit_annual"], uscc=uscc, as_of=now, limit=50)
    has_return = any(row["data"]["year"] == year - 1 for row in cit)
    if not has_return and not x["new_in_year"]:
        if today <= statement_due:
            out.append(
                _warning(
                    "statement_due",
                    "high" if (statement_due - today).days <= 15 else "medium",
                    "upcoming",
                    -(r["start_complete"] - r["start_thin"]),
                    statement_due,
                    f"{year - 1}年度企业所得税年报及财务报表将于 {statement_due:%Y-%m-%d} 到期",
                    f"the {year - 1} annual return and financial statements are due on {statement_due:%Y-%m-%d}",
                    "按期报送；逾期将按资料不完整起评（90分）并扣分",
                    "file on time; otherwise the year starts at 90 (incomplete data) and loses points",
                    statement_due,
                    statutory=statement.statutory if statement.moved else None,
                )
            )
            pending += r["start_complete"] - r["start_thin"]
        else:
            out.append(
                _warning(
                    "statement_missing",
                    "high",
                    "happened",
                    -(r["start_complete"] - r["start_thin"]),
                    statement_due,
                    f"{year - 1}年度财务报表未报送，本年按90分起评",
                    f"no {year - 1} financial statements: the year starts at 90",
                    "立即补报年报",
                    "file the annual return now",
                )
            )
    elif x["late_statement"]:
        out.append(
            _warning(
                "late_statement",
                "low",
                "happened",
                -r["late_statement"],
                statement_due,
                f"{year - 1}年度财务报表逾期报送，已扣 {r['late_statement']:g} 分",
                f"the {year - 1} financial statements were late: {r['late_statement']:g} points off",
                "按期报送下一年度报表",
                "file next year's on time",
            )
        )

    # arrears of the year: each one deducts; still open at 31 December deducts again
    year_end = dt.date(year, 12, 31)
    for row in sources.records(session, source=SOURCES["tax_arrears"], uscc=uscc, as_of=now, limit=200):
        d = row["data"]
        if d["period"].year != year:
            continue
        amount = d["amount"] / 100
        out.append(
            _warning(
                "arrear",
                "medium",
                "happened",
                -r["arrear_new"],
                d["arisen_on"],
                f"{d['period']:%Y年%m月}欠税 {amount:,.2f} 元，已扣 {r['arrear_new']:g} 分",
                f"CNY {amount:,.2f} of tax in arrears for {d['period']:%Y-%m}: {r['arrear_new']:g} points off",
                "已结清"
                if d["cleared_on"]
                else f"在 {year_end:%Y-%m-%d} 前缴清可避免再扣 {r['arrear_open_at_year_end']:g} 分",
                "cleared"
                if d["cleared_on"]
                else f"pay it by {year_end:%Y-%m-%d} to avoid another {r['arrear_open_at_year_end']:g} points",
                None if d["cleared_on"] else year_end,
            )
        )
        if not d["cleared_on"]:
            pending += r["arrear_open_at_year_end"]

    if r["si_arrear_month"] and x["si_arrear_months"]:
        lost = r["si_arrear_month"] * x["si_arrear_months"]
        out.append(
            _warning(
                "si_arrear",
                "medium",
                "happened",
                -lost,
                None,
                f"本年有 {x['si_arrear_months']} 个月社保欠缴，已扣 {lost:g} 分",
                f"{x['si_arrear_months']} months of social-insurance arrears this year: {lost:g} points off",
                "补缴欠费，避免继续扣分",
                "pay the arrears to stop further deductions",
            )
        )
    if x["zero_run"] == r["zero_run_excludes_a"] - 1 or x["zero_total"] == r["zero_total_excludes_a"] - 1:
        out.append(
            _warning(
                "zero_declarations",
                "low",
                "upcoming",
                0.0,
                None,
                "再有一个月零申报将不能评为A级",
                "one more month of zero declarations and the firm cannot be graded A",
                "如实申报经营收入",
                "declare the month's actual sales",
            )
        )

    score = float(ev.score[0])
    x_arr = {k: v[:1] for k, v in ev.x.items()}
    as_is = R.letter(r, np.array([max(score - pending, 0.0)]), x_arr)[0]
    repaired = R.letter(r, np.array([min(score + restorable, ev.start[0])]), x_arr)[0]
    out.sort(key=lambda w: (SEVERITY.index(w["severity"]), w["deadline"] or dt.date.max))
    return {
        "uscc": uscc,
        "year": year,
        "rule_set": name,
        "score": score,
        "start": float(ev.start[0]),
        "deductions": {k: float(v[0]) for k, v in ev.deductions.items() if v[0]},
        "projected_grade": str(as_is),
        "projected_grade_if_repaired": str(repaired),
        "warnings": out,
    }
