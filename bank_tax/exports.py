"""Tables as CSV and XLSX downloads, safe from formula injection (reports, whitelists, …)."""

from __future__ import annotations

import csv
import io

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value):
    """Text a spreadsheet would run as a formula (= + - @ …) is quoted for CSV, which has no types (OWASP's
    advice against CSV injection); numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(rows: list[dict], header: list[str] | None = None) -> bytes:
    """Rows as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese); ``header`` when empty."""
    columns = list(rows[0]) if rows else list(header or [])
    buf = io.StringIO()
    writer = csv.DictWriter(buf, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: safe_cell(v) for k, v in r.items()} for r in rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(rows: list[dict], *, title: str, header: list[str] | None = None) -> bytes:
    """Rows as an XLSX workbook with one sheet, formula-safe.

    Unlike CSV, XLSX says what a cell is: text that starts like a formula (``=``, ``+``, ``-``, ``@`` …) is
    written as a string cell with the quote-prefix style, so Excel and LibreOffice show it as typed, with no
    apostrophe, and keep it text when someone edits the cell. openpyxl would store ``=…`` as a formula."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(list(rows[0]) if rows else list(header or []))
    for r in rows:
        ws.append(list(r.values()))
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                cell.data_type = "s"
                cell.quotePrefix = True
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
