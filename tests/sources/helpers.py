"""Building small agency files for tests."""

from __future__ import annotations

import csv
import io

from bank_tax.sources.specs import SOURCES

VAT_ROW = {
    "period": "2025-03",
    "version": "1",
    "taxable_sales": "120000.00",
    "tax_payable": "3600.00",
    "tax_paid": "3600.00",
    "is_zero": "0",
    "due_date": "2025-04-15",
    "filed_on": "2025-04-10",
    "received_at": "2025-04-11T02:00:00+00:00",
}
SI_ROW = {
    "period": "2025-03",
    "insured_headcount": "12",
    "contribution_base": "6000.00",
    "contribution_due": "21600.00",
    "contribution_paid": "21600.00",
    "arrears": "0.00",
    "received_at": "2025-04-10T02:00:00+00:00",
}


def csv_bytes(source: str, rows: list[dict], encoding: str = "utf-8") -> bytes:
    """A CSV file of ``source`` with ``rows`` (missing columns left empty)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, SOURCES[source].columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buf.getvalue().encode(encoding)


def vat(uscc: str, **kw) -> dict:
    return {"uscc": uscc, **VAT_ROW, **kw}


def si(uscc: str, **kw) -> dict:
    return {"uscc": uscc, **SI_ROW, **kw}
