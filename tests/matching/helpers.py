"""Firms whose records make them qualify (or not) for the standard test product."""

from __future__ import annotations

import datetime as dt

from bank_tax import clock
from bank_tax.sources import deadlines, ingest
from bank_tax.sources.specs import SOURCES
from tests import factories
from tests.sources.helpers import csv_bytes, vat


def last_published_year(today: dt.date) -> int:
    """The latest tax-credit year this helper publishes by ``today``: grades are evaluated on 15 April
    and received the next day, so from 17 April last year's, before that the year before."""
    return today.year - 1 if today >= dt.date(today.year, 4, 17) else today.year - 2


def land(session, source: str, rows: list[dict]) -> None:
    batch, _ = ingest.ingest(
        session, source=SOURCES[source], data=csv_bytes(source, rows), filename="t.csv", actor=None
    )
    assert ingest.counts(batch)["rejected"] == 0


def firm(session, *, grade: str = "A", tax_paid: str = "3600.00", name: str | None = None, lists=()):
    """A firm established in 2015 that filed 14 monthly returns on time (``tax_paid`` each) and had
    ``grade`` published for last year; ``lists``: public-credit list types it is on now."""
    kw = {"name": name} if name else {}
    e = factories.enterprise(session, established_on=dt.date(2015, 1, 1), **kw)
    records(session, e.uscc, grade=grade, tax_paid=tax_paid, lists=lists)
    return e


def records(session, uscc: str, *, grade: str = "A", tax_paid: str = "3600.00", lists=()) -> None:
    """The agencies' batches that make a firm of ``uscc`` qualify (see :func:`firm`), as of the clock's
    moment: the monthly returns of the 14 months before this one, each filed three days before its
    deadline or two days ago, whichever is earlier; last month's, on the 1st or 2nd of a month, the first
    day it may be filed (the 1st) and received by now."""
    today, now = clock.today(), clock.now()
    rows = []
    for k in range(1, 15):
        month = clock.add_months(today, -k)
        due = deadlines.monthly_return(month.year, month.month).due
        filed = max(min(due - dt.timedelta(days=3), today - dt.timedelta(days=2)), clock.add_months(month, 1))
        received = min(clock.day_start(filed + dt.timedelta(days=1)), now - dt.timedelta(minutes=1))
        rows.append(
            vat(
                uscc,
                period=f"{month:%Y-%m}",
                tax_payable=tax_paid,
                tax_paid=tax_paid,
                due_date=due.isoformat(),
                filed_on=filed.isoformat(),
                received_at=received.isoformat(),
            )
        )
    land(session, "vat_declarations", rows)
    year = last_published_year(today)
    land(
        session,
        "credit_grades",
        [
            {
                "uscc": uscc,
                "year": str(year),
                "grade": grade,
                "score": "95",
                "rule_set": "2021",
                "evaluated_on": f"{year + 1}-04-15",
                "received_at": f"{year + 1}-04-16T00:00:00+00:00",
            }
        ],
    )
    if lists:
        land(
            session,
            "public_credit",
            [
                {
                    "entry_id": f"E-{uscc[-8:]}-{i}",
                    "uscc": uscc,
                    "list_type": t,
                    "reason": "测试",
                    "authority": "测试局",
                    "listed_on": "2025-01-10",
                    "received_at": "2025-01-11T00:00:00+00:00",
                }
                for i, t in enumerate(lists)
            ],
        )
    session.flush()
