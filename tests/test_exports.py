"""CSV and XLSX downloads: text a spreadsheet would run as a formula stays text, and XLSX readers see it as
typed (no apostrophe); numbers stay numbers."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from bank_tax import exports

TRICKY = ['=HYPERLINK("http://x","y")', "+86 571 8888", "-5", "@SUM(A1)", "\tTab", "普通文本"]


def _rows():
    return [{"名称 / name": text, "amount": k, "minus": -k} for k, text in enumerate(TRICKY)]


def test_xlsx_keeps_formula_like_text_as_text_without_an_apostrophe():
    ws = load_workbook(io.BytesIO(exports.to_xlsx(_rows(), title="t"))).active
    texts = [ws.cell(row, 1) for row in range(2, len(TRICKY) + 2)]
    assert [c.value for c in texts] == TRICKY  # as typed: nothing added for the reader to see
    assert all(c.data_type == "s" for c in texts)  # strings, never formulas, "-5" included
    assert [c.quotePrefix for c in texts] == [True] * 5 + [False]  # and they stay text when edited
    assert [ws.cell(row, 3).value for row in range(2, len(TRICKY) + 2)] == [-k for k in range(len(TRICKY))]
    assert ws.cell(3, 3).data_type == "n"  # a real negative number is a number


def test_csv_keeps_the_apostrophe_it_needs():
    """CSV has no types: the leading apostrophe is what stops a spreadsheet running the text (OWASP)."""
    text = exports.to_csv(_rows()).decode("utf-8-sig")
    first = [row["名称 / name"] for row in csv.DictReader(io.StringIO(text))]
    assert first == ["'" + t for t in TRICKY[:5]] + [TRICKY[5]]
