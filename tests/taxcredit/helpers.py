"""Hand-made tax histories, landed through ingestion like agency files."""

from __future__ import annotations

import datetime as dt

from bank_tax.sources import deadlines
from tests import factories
from tests.matching.helpers import land


def due_of(year: int, month: int) -> dt.date:
    """When the month's return is due (the 15th of the next month, moved for holidays): the histories
    file around the real deadlines; the tests check those dates against their own hand-written ones."""
    return deadlines.monthly_return(year, month).due


def stamp(day: dt.date) -> str:
    return f"{(day + dt.timedelta(days=1)).isoformat()}T02:00:00+00:00"


def vat_year(
    session, uscc: str, year: int, *, late: dict[int, int] | None = None, skip=(), zero=(), months=range(1, 13)
) -> None:
    """Monthly VAT returns of ``year`` (``late``: month → days after the due date it was filed; others 3
    days early), leaving out ``skip`` months and declaring ``zero`` months as zero returns."""
    rows = []
    for m in months:
        if m in skip:
            continue
        due = due_of(year, m)
        filed = due + dt.timedelta(days=(late or {}).get(m, -3))
        is_zero = m in zero
        amount = "0.00" if is_zero else "3600.00"
        rows.append(
            {
                "uscc": uscc,
                "period": f"{year:04d}-{m:02d}",
                "version": "1",
                "taxable_sales": "0.00" if is_zero else "120000.00",
                "tax_payable": amount,
                "tax_paid": amount,
                "is_zero": "1" if is_zero else "0",
                "due_date": due.isoformat(),
                "filed_on": filed.isoformat(),
                "received_at": stamp(filed),
            }
        )
    land(session, "vat_declarations", rows)


def annual_return(session, uscc: str, year: int, *, days_late: int = 0) -> None:
    due = deadlines.annual_return(year).due
    filed = due + dt.timedelta(days=days_late or -10)
    row = {
        "uscc": uscc,
        "year": str(year),
        "revenue": "1440000.00",
        "profit_total": "50000.00",
        "tax_payable": "2500.00",
        "tax_paid": "2500.00",
        "due_date": due.isoformat(),
        "filed_on": filed.isoformat(),
        "received_at": stamp(filed),
    }
    land(session, "cit_annual", [row])


def arrear(session, uscc: str, year: int, month: int, *, cleared: dt.date | None = None, n: int = 1) -> None:
    arisen = due_of(year, month) + dt.timedelta(days=1)
    row = {
        "arrear_id": f"AR-{uscc[-6:]}-{year}{month:02d}-{n}",
        "uscc": uscc,
        "tax_type": "VAT",
        "period": f"{year:04d}-{month:02d}",
        "amount": "1200.00",
        "arisen_on": arisen.isoformat(),
        "cleared_on": cleared.isoformat() if cleared else "",
        "received_at": stamp(cleared or arisen),
    }
    land(session, "tax_arrears", [row])


def si_arrears(session, uscc: str, year: int, months) -> None:
    rows = [
        {
            "uscc": uscc,
            "period": f"{year:04d}-{m:02d}",
            "insured_headcount": "5",
            "contribution_base": "6000.00",
            "contribution_due": "9000.00",
            "contribution_paid": "4000.00",
            "arrears": "5000.00",
            "received_at": stamp(dt.date(year, m, 28)),
        }
        for m in months
    ]
    land(session, "social_insurance", rows)


def listing(session, uscc: str, list_type: str, listed_on: dt.date) -> None:
    row = {
        "entry_id": f"E-{uscc[-6:]}-{list_type[:4]}",
        "uscc": uscc,
        "list_type": list_type,
        "reason": "测试",
        "authority": "测试局",
        "listed_on": listed_on.isoformat(),
        "received_at": stamp(listed_on),
    }
    land(session, "public_credit", [row])


def firm(session, established: dt.date = dt.date(2015, 1, 1)):
    return factories.enterprise(session, established_on=established)
