"""The catalogue in DuckDB SQL over a partition's Arrow tables: the yardstick of the feature engine.

The issue asks for a feature engine at least as fast as DuckDB inside a partition, so this module writes
every feature :func:`~bank_tax.features.pipeline.derive` computes as one DuckDB query over the same inputs
as Arrow tables (one per source, converted by :func:`arrow_tables` before any timing), run on one thread.
It is benchmark code: the pipeline never imports it, and the test suite holds it to ``derive`` to 1e-9
with the same missing cells, so the benchmark compares two correct implementations.

The tables are given to DuckDB in the form it is quickest with: missing floats as Arrow nulls (SQL's own
missing value, so comparisons and aggregates skip them as numpy's NaN does) and months as integer month
numbers (months since January 1970), so the query spends no time on date arithmetic per row. Like
``derive`` it relies on one row per firm and month in a monthly source (what ``current_versions`` reads).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from bank_tax import clock
from bank_tax.features.catalogue import NAMES
from bank_tax.features.panels import month_range
from bank_tax.features.pipeline import INPUT_COLUMNS, MONTHS, FeatureFrame, Inputs


def _arrow(values: np.ndarray, kind: str, *, month: bool = False) -> pa.Array:
    kind = np.dtype(kind)
    if month:  # a month as its number since January 1970
        return pa.array(np.asarray(values).astype("datetime64[M]").astype(np.int32))
    if kind.kind == "M":
        return pa.array(np.asarray(values).astype("datetime64[D]"), pa.date32())
    if kind.kind == "U":
        return pa.array(np.asarray(values).astype(str), pa.string())
    if kind.kind == "f":
        return pa.array(np.asarray(values, dtype=np.float64), pa.float64(), from_pandas=True)  # NaN → null
    return pa.array(np.asarray(values, dtype=kind))


def arrow_tables(inp: Inputs) -> dict[str, pa.Table]:
    """The inputs of one partition as Arrow tables: ``firms`` (uscc, established) and one per source."""
    tables = {
        "firms": pa.table({"uscc": _arrow(inp.usccs, "U18"), "established": _arrow(inp.established, "datetime64[D]")})
    }
    for name, columns in INPUT_COLUMNS.items():
        rows = getattr(inp, name)
        tables[name] = pa.table({c: _arrow(rows[c], kind, month=c == "month") for c, kind in columns.items()})
    return tables


def _ratio(a: str, b: str) -> str:
    """``derive``'s ratio: a / b where b is positive and a known, else missing."""
    return f"CASE WHEN ({b}) > 0 AND ({a}) IS NOT NULL THEN ({a}) / ({b}) END"


# the per-firm aggregates of the monthly sources (``k``: months before the last full month)
_MONTHLY = """
    vat_k AS (
        SELECT uscc, $last - month AS k, month, taxable_sales / 100 AS sales, tax_payable / 100 AS payable,
               tax_paid / 100 AS paid, is_zero, filed_on, due_date, version,
               taxable_sales IS NOT NULL AND filed_on > due_date AS late
        FROM vat WHERE month BETWEEN $last - $months + 1 AND $last
    ),
    tax AS (
        SELECT uscc,
            sum(sales) FILTER (WHERE k < 12) AS sales_12m,
            sum(sales) FILTER (WHERE k >= 12 AND k < 24) AS sales_prev,
            count(sales) FILTER (WHERE k < 12) AS n12,
            avg(sales) FILTER (WHERE k < 12) AS mean12,
            stddev_pop(sales) FILTER (WHERE k < 12) AS sd12,
            coalesce(sum(sales) FILTER (WHERE k < 12 AND month % 12 IN (2, 5, 8, 11)), 0) AS quarter_end_sales,
            count(*) FILTER (WHERE k < 12 AND sales IS NOT NULL AND is_zero = 1) AS zero_months_12m,
            coalesce(bit_or(1 << least(k, 12)) FILTER (WHERE k < 12 AND sales IS NOT NULL), 0) AS filed_mask,
            count(*) FILTER (WHERE k < 12 AND late) AS late_filings_12m,
            count(*) FILTER (WHERE k < 24 AND late) AS late_filings_24m,
            min(k) FILTER (WHERE late) AS last_late,
            sum(paid) FILTER (WHERE k < 12) AS tax_paid_12m,
            sum(payable) FILTER (WHERE k < 12) AS payable_12m,
            count(*) FILTER (WHERE k < 12 AND sales IS NOT NULL AND version > 1) AS corrections_12m
        FROM vat_k GROUP BY uscc
    ),
    si_agg AS (
        SELECT uscc,
            arg_min(insured_headcount, k) FILTER (WHERE insured_headcount IS NOT NULL) AS head_last,
            arg_max(insured_headcount, k) FILTER (WHERE insured_headcount IS NOT NULL) AS head_first,
            count(insured_headcount) FILTER (WHERE k < 12) AS heads_12m,
            count(*) FILTER (WHERE k < 12 AND arrears > 0) AS arrears_12m,
            sum(contribution_paid) FILTER (WHERE k < 12) AS paid_12m,
            sum(contribution_due) FILTER (WHERE k < 12) AS due_12m
        FROM (SELECT *, $last - month AS k FROM si WHERE month BETWEEN $last - 12 AND $last) GROUP BY uscc
    ),
    hf_agg AS (
        SELECT uscc,
            arg_min(depositors, k) FILTER (WHERE depositors IS NOT NULL) AS hf_depositors,
            count(depositors) AS depositors_12m,
            count(*) FILTER (WHERE arrears > 0) AS arrears_12m
        FROM (SELECT *, $last - month AS k FROM hf WHERE month BETWEEN $last - 11 AND $last) GROUP BY uscc
    ),
    power_agg AS (
        SELECT uscc,
            count(consumption) FILTER (WHERE k < 12) AS kwh_months,
            avg(consumption) FILTER (WHERE k < 12) AS kwh_mean,
            max(consumption) FILTER (WHERE k < 12) AS kwh_peak,
            arg_min(consumption, k) FILTER (WHERE k < 12 AND consumption IS NOT NULL) AS kwh_last,
            sum(consumption) FILTER (WHERE k < 12) AS kwh_12m,
            sum(consumption) FILTER (WHERE k >= 12) AS kwh_prev,
            count(*) FILTER (WHERE k < 12 AND paid_on > due_date) AS late_12m,
            arg_min(auto_debit, k) FILTER (WHERE auto_debit IS NOT NULL) AS auto_debit
        FROM (SELECT *, $last - month AS k FROM power WHERE month BETWEEN $last - 23 AND $last) GROUP BY uscc
    ),
    bills_late AS (
        SELECT uscc, count(*) AS late_12m FROM (
            SELECT uscc, month, paid_on, due_date FROM water UNION ALL
            SELECT uscc, month, paid_on, due_date FROM gas
        ) WHERE month BETWEEN $last - 11 AND $last AND paid_on > due_date GROUP BY uscc
    )"""


# the per-firm aggregates of arrears, grades and the public credit lists as of ``$day``
_ROWS = """
    arrears_agg AS (
        SELECT uscc,
            sum(amount / 100) FILTER (
                WHERE arisen_on <= $day AND (cleared_on IS NULL OR cleared_on > $day)
            ) AS open_arrears,
            count(*) FILTER (WHERE arisen_on >= $since AND arisen_on <= $day) AS arrears_count_24m
        FROM arrears GROUP BY uscc
    ),
    grades_ranked AS (
        SELECT uscc, CASE grade WHEN 'A' THEN 4.0 WHEN 'B' THEN 3.0 WHEN 'M' THEN 2.0 WHEN 'C' THEN 1.0
                                WHEN 'D' THEN 0.0 END AS points,
               row_number() OVER (PARTITION BY uscc ORDER BY year DESC) AS back
        FROM grades
    ),
    grades_agg AS (
        SELECT uscc, max(points) FILTER (WHERE back = 1) AS grade_score,
               max(points) FILTER (WHERE back = 1) - max(points) FILTER (WHERE back = 2) AS grade_change
        FROM grades_ranked WHERE back <= 2 GROUP BY uscc
    ),
    lists_agg AS (
        SELECT uscc,
            bool_or(list_type = 'serious_dishonesty' AND listed_on <= $day AND
                    (removed_on IS NULL OR removed_on > $day)) AS blacklisted,
            bool_or(list_type = 'key_watch' AND listed_on <= $day AND
                    (removed_on IS NULL OR removed_on > $day)) AS watchlisted,
            bool_or(list_type = 'red_list' AND listed_on <= $day AND
                    (removed_on IS NULL OR removed_on > $day)) AS redlisted,
            count(*) FILTER (
                WHERE list_type = 'admin_penalty' AND listed_on >= $since AND listed_on <= $day
            ) AS penalties_24m,
            max(listed_on) FILTER (
                WHERE list_type IN ('serious_dishonesty', 'key_watch') AND listed_on <= $day
            ) AS last_listing
        FROM lists GROUP BY uscc
    )"""


def _month_number(date: str) -> str:
    return f"((year({date}) - 1970) * 12 + month({date}) - 1)"


_EST = _month_number("f.established")
_OPERATING = f"greatest(0, least(12, $last - {_EST}))"  # months of the last 12 after the founding month
# of those, the months filed: the bits of the filed months (bit k: k months before the last) below it
_FILED_OPERATING = f"bit_count(coalesce(t.filed_mask, 0) & ((1 << {_OPERATING}) - 1))"
_SALES_YOY = f"({_ratio('t.sales_12m', 't.sales_prev')}) - 1"
_POWER_GROWTH = f"({_ratio('p.kwh_12m', 'p.kwh_prev')}) - 1"

# each feature of the catalogue, in its order, over the aggregates above
FEATURES = {
    "sales_12m": "t.sales_12m",
    "sales_yoy": _SALES_YOY,
    "sales_volatility": "CASE WHEN t.n12 >= 3 AND t.mean12 > 0 THEN t.sd12 / t.mean12 END",
    "quarter_end_share": _ratio("t.quarter_end_sales", "t.sales_12m"),
    "zero_months_12m": "coalesce(t.zero_months_12m, 0)",
    "missing_months_12m": f"coalesce({_OPERATING} - {_FILED_OPERATING}, 0)",
    "late_filings_12m": "coalesce(t.late_filings_12m, 0)",
    "late_filings_24m": "coalesce(t.late_filings_24m, 0)",
    "months_since_late": "coalesce(t.last_late, $months)",
    "tax_paid_12m": "t.tax_paid_12m",
    "tax_burden": _ratio("t.payable_12m", "t.sales_12m"),
    "payment_ratio_12m": _ratio("t.tax_paid_12m", "t.payable_12m"),
    "open_arrears": "coalesce(a.open_arrears, 0)",
    "arrears_count_24m": "coalesce(a.arrears_count_24m, 0)",
    "grade_score": "g.grade_score",
    "grade_change": "g.grade_change",
    "corrections_12m": "coalesce(t.corrections_12m, 0)",
    "months_operating": f"$day_month - {_EST}",
    "headcount": "s.head_last",
    "headcount_trend": f"({_ratio('s.head_last', 's.head_first')}) - 1",
    "si_arrears_months_12m": "CASE WHEN s.heads_12m > 0 THEN s.arrears_12m END",
    "si_payment_ratio_12m": _ratio("s.paid_12m", "s.due_12m"),
    "hf_depositors": "h.hf_depositors",
    "hf_arrears_months_12m": "CASE WHEN h.depositors_12m > 0 THEN h.arrears_12m END",
    "power_capacity": "CASE WHEN p.kwh_months > 0 THEN (floor(p.kwh_mean / 1000) + 1) * 10 END",
    "power_utilisation": _ratio("p.kwh_last", "p.kwh_peak"),
    "power_growth": _POWER_GROWTH,
    "utility_late_12m": "CASE WHEN p.kwh_months > 0 THEN p.late_12m + coalesce(b.late_12m, 0) END",
    "auto_debit": "p.auto_debit",
    "sales_power_gap": f"({_SALES_YOY}) - ({_POWER_GROWTH})",
    "blacklisted": "coalesce(l.blacklisted, false)",
    "watchlisted": "coalesce(l.watchlisted, false)",
    "redlisted": "coalesce(l.redlisted, false)",
    "penalties_24m": "coalesce(l.penalties_24m, 0)",
    "months_since_listing": f"coalesce(least($day_month - {_month_number('l.last_listing')}, 60), 60)",
}
assert tuple(FEATURES) == NAMES, "the query covers the catalogue, in its order"

# the one query: a row per firm of ``firms`` (ordered by code), a column per feature; fixed text (the
# catalogue's names and the expressions above), the moment comes as bound parameters
QUERY = f"""WITH {_MONTHLY}, {_ROWS}
SELECT f.uscc, {", ".join(f"CAST({sql} AS DOUBLE) AS {name}" for name, sql in FEATURES.items())}
FROM firms f
LEFT JOIN tax t USING (uscc) LEFT JOIN si_agg s USING (uscc) LEFT JOIN hf_agg h USING (uscc)
LEFT JOIN power_agg p USING (uscc) LEFT JOIN bills_late b USING (uscc)
LEFT JOIN arrears_agg a USING (uscc) LEFT JOIN grades_agg g USING (uscc) LEFT JOIN lists_agg l USING (uscc)
ORDER BY f.uscc"""  # noqa: S608


def parameters(inp: Inputs) -> dict:
    """The moment of :data:`QUERY`: the last full month (its number), the business day and its month, and
    the first day of the month 24 months back (the start of the 24-month windows of dated records)."""
    day = np.datetime64(clock.business_date(inp.as_of), "D")
    return {
        "last": int(month_range(inp.as_of, 1)[0].astype(np.int64)),
        "months": MONTHS,
        "day": day.item(),
        "day_month": int(day.astype("datetime64[M]").astype(np.int64)),
        "since": (day.astype("datetime64[M]") - 24).astype("datetime64[D]").item(),
    }


def connect(tables: dict[str, pa.Table], *, threads: int = 1):
    """A DuckDB connection on ``threads`` threads with the Arrow ``tables`` registered under their names."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {int(threads)}")
    for name, table in tables.items():
        con.register(name, table)
    return con


def duckdb_features(con, params: dict) -> FeatureFrame:
    """Run :data:`QUERY` on ``con`` with ``params`` (:func:`parameters`); its answer as a frame, NULL as NaN."""
    out = con.execute(QUERY, params).fetchnumpy()
    usccs = np.asarray(out.pop("uscc"), dtype="U18")
    columns = [np.ma.filled(np.ma.asarray(out[name], dtype=np.float64), np.nan) for name in NAMES]
    return FeatureFrame(usccs=usccs, names=NAMES, values=np.column_stack(columns))
