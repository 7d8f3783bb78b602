"""Computing the catalogue's features for many firms at once, as of a moment, columnar throughout.

Two steps: :func:`read` takes everything the catalogue needs from the database as long columns
(:class:`Inputs`, the records as known at the moment), and :func:`derive` turns them into features with
numpy alone — each monthly source's rows are placed once in a firms × months grid
(:class:`~bank_tax.features.panels.Cells`), each column or condition a feature reads is scattered into a
dense panel of just the months it reads, windows are slices of those, and no Python loop runs per firm.
:func:`compute` is both, plus the consent mask: features of a category a bank may not use are NaN for that
bank, so one model scores any consent pattern. The benchmarks time :func:`derive` on generated inputs
against a pandas implementation and against DuckDB computing the same catalogue over them as Arrow tables
on one thread (:mod:`bank_tax.bench.duckdb_features`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import clock
from bank_tax.categories import CATEGORIES
from bank_tax.consent.mask import Mask
from bank_tax.db import fetch_columns
from bank_tax.enterprises.models import Enterprise
from bank_tax.features.catalogue import CATALOGUE, NAMES, of_category
from bank_tax.features.panels import (
    Cells,
    as_text,
    firm_bind,
    firm_filter,
    firm_params,
    firm_positions,
    month_range,
    read_monthly,
)
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


VAT_COLUMNS = ["taxable_sales", "tax_payable", "tax_paid", "is_zero", "filed_on", "due_date", "version"]
SI_COLUMNS = ["insured_headcount", "contribution_due", "contribution_paid", "arrears"]
HF_COLUMNS = ["depositors", "arrears"]
POWER_COLUMNS = ["consumption", "due_date", "paid_on", "auto_debit"]
BILL_COLUMNS = ["due_date", "paid_on"]


def _monthly_columns(columns: list[str]) -> dict[str, str]:
    return {"uscc": "U18", "month": "datetime64[M]"} | dict.fromkeys(columns, "float64")


# what :func:`read` returns per source: each column with its numpy type (money in 分, dates of monthly
# sources as day numbers)
INPUT_COLUMNS: dict[str, dict[str, str]] = {
    "vat": _monthly_columns(VAT_COLUMNS),
    "si": _monthly_columns(SI_COLUMNS),
    "hf": _monthly_columns(HF_COLUMNS),
    "power": _monthly_columns(POWER_COLUMNS),
    "water": _monthly_columns(BILL_COLUMNS),
    "gas": _monthly_columns(BILL_COLUMNS),
    "arrears": {"uscc": "U18", "amount": "float64", "arisen_on": "datetime64[D]", "cleared_on": "datetime64[D]"},
    "grades": {"uscc": "U18", "year": "int64", "grade": "U2"},
    "lists": {"uscc": "U18", "list_type": "U24", "listed_on": "datetime64[D]", "removed_on": "datetime64[D]"},
}


@dataclass
class Inputs:
    """What the catalogue is computed from, as known at ``as_of``: long columns per source.

    Monthly sources (``vat``, ``si``, ``hf``, ``power``, ``water``, ``gas``) hold ``uscc``, ``month``
    (datetime64[M]) and float64 value columns (money in 分, dates as day numbers); ``arrears`` holds
    uscc / amount (分) / arisen_on / cleared_on (datetime64[D], NaT when open); ``grades`` uscc / year /
    grade; ``lists`` uscc / list_type / listed_on / removed_on. ``established`` is per firm (NaT unknown).
    """

    usccs: np.ndarray
    as_of: dt.datetime
    established: np.ndarray
    vat: dict = field(default_factory=dict)
    si: dict = field(default_factory=dict)
    hf: dict = field(default_factory=dict)
    power: dict = field(default_factory=dict)
    water: dict = field(default_factory=dict)
    gas: dict = field(default_factory=dict)
    arrears: dict = field(default_factory=dict)
    grades: dict = field(default_factory=dict)
    lists: dict = field(default_factory=dict)

    @property
    def day(self) -> np.datetime64:
        """The business date of ``as_of`` (China's date: list entries and arrears are dated there)."""
        return np.datetime64(clock.business_date(self.as_of), "D")


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


def _positions(usccs: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row of each code in the sorted ``usccs`` and whether it is one of them."""
    return firm_positions(usccs, codes)


def _tax(inp: Inputs, span: np.ndarray, established_month: np.ndarray) -> dict[str, np.ndarray]:
    rows = inp.vat
    cells = Cells.of(rows, usccs=inp.usccs, span=span)
    filed_row = ~np.isnan(rows["taxable_sales"])
    sales = cells.panel(rows["taxable_sales"], 24) / 100
    payable, paid = cells.panel(rows["tax_payable"], 12) / 100, cells.panel(rows["tax_paid"], 12) / 100
    filed = cells.panel(filed_row, 12, fill=False)
    late = cells.panel(filed_row & (rows["filed_on"] > rows["due_date"]), fill=False)
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
    out["zero_months_12m"] = _count(cells.panel(filed_row & (rows["is_zero"] == 1), 12, fill=False), 12)
    operating = span[None, -12:] > established_month[:, None]
    out["missing_months_12m"] = _count(operating & ~filed, 12)
    out["late_filings_12m"] = _count(late, 12)
    out["late_filings_24m"] = _count(late, 24)
    out["months_since_late"] = _months_since(late, float(MONTHS))
    out["tax_paid_12m"] = _window_sum(paid, 12)
    payable_12m = _window_sum(payable, 12)
    out["tax_burden"] = _ratio(payable_12m, out["sales_12m"])
    out["payment_ratio_12m"] = _ratio(out["tax_paid_12m"], payable_12m)
    out["corrections_12m"] = _count(cells.panel(filed_row & (rows["version"] > 1), 12, fill=False), 12)
    return out


def _arrears(inp: Inputs) -> dict[str, np.ndarray]:
    usccs, rows = inp.usccs, inp.arrears
    open_amount = np.zeros(usccs.shape[0])
    recent = np.zeros(usccs.shape[0])
    if rows and rows["uscc"].size:
        pos, hit = _positions(usccs, rows["uscc"])
        amount = rows["amount"] / 100
        arisen, cleared = rows["arisen_on"], rows["cleared_on"]
        day = inp.day
        is_open = hit & (arisen <= day) & (np.isnat(cleared) | (cleared > day))
        np.add.at(open_amount, pos[is_open], amount[is_open])
        since = (inp.day.astype("datetime64[M]") - 24).astype("datetime64[D]")
        is_recent = hit & (arisen >= since) & (arisen <= day)
        np.add.at(recent, pos[is_recent], 1)
    return {"open_arrears": open_amount, "arrears_count_24m": recent}


def _grades(inp: Inputs) -> dict[str, np.ndarray]:
    usccs, rows = inp.usccs, inp.grades
    latest = np.full(usccs.shape[0], np.nan)
    before = np.full(usccs.shape[0], np.nan)
    if rows and rows["uscc"].size:
        pos, hit = _positions(usccs, rows["uscc"])
        grade = rows["grade"]
        points = np.select([grade == g for g in GRADE_POINTS], list(GRADE_POINTS.values()), np.nan)
        year = rows["year"].astype(np.int64)
        order = np.lexsort((year, pos))
        order = order[hit[order]]  # by firm, then year; known firms only
        firm, pts = pos[order], points[order]
        last = np.r_[firm[1:] != firm[:-1], True]  # each firm's latest year
        latest[firm[last]] = pts[last]
        second = np.r_[last[1:], False] & np.r_[firm[:-1] == firm[1:], False]  # the year before it, same firm
        before[firm[second]] = pts[second]
    return {"grade_score": latest, "grade_change": latest - before}


def _payroll(inp: Inputs, as_of: dt.datetime) -> dict[str, np.ndarray]:
    si = Cells.of(inp.si, usccs=inp.usccs, span=month_range(as_of, 13))
    hf = Cells.of(inp.hf, usccs=inp.usccs, span=month_range(as_of, 12))
    heads = si.panel(inp.si["insured_headcount"])
    depositors = hf.panel(inp.hf["depositors"])
    return {
        "headcount": _last_value(heads),
        "headcount_trend": _ratio(_last_value(heads), _first_value(heads)) - 1,
        "si_arrears_months_12m": np.where(
            np.isnan(heads[:, -12:]).all(axis=1), np.nan, _count(si.panel(inp.si["arrears"] > 0, 12, fill=False), 12)
        ),
        "si_payment_ratio_12m": _ratio(
            _window_sum(si.panel(inp.si["contribution_paid"], 12), 12),
            _window_sum(si.panel(inp.si["contribution_due"], 12), 12),
        ),
        "hf_depositors": _last_value(depositors),
        "hf_arrears_months_12m": np.where(
            np.isnan(depositors).all(axis=1), np.nan, _count(hf.panel(inp.hf["arrears"] > 0, fill=False), 12)
        ),
    }


def _utilities(inp: Inputs, as_of: dt.datetime, sales_yoy: np.ndarray) -> dict[str, np.ndarray]:
    rows = inp.power
    power = Cells.of(rows, usccs=inp.usccs, span=month_range(as_of, 24))
    late = _count(power.panel(rows["paid_on"] > rows["due_date"], 12, fill=False), 12)
    for bills in (inp.water, inp.gas):
        cells = Cells.of(bills, usccs=inp.usccs, span=month_range(as_of, 12))
        late += _count(cells.panel(bills["paid_on"] > bills["due_date"], fill=False), 12)
    kwh = power.panel(rows["consumption"])
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
        "auto_debit": _last_value(power.panel(rows["auto_debit"])),
        "sales_power_gap": sales_yoy - growth,
    }


def _lists(inp: Inputs) -> dict[str, np.ndarray]:
    usccs, rows = inp.usccs, inp.lists
    n = usccs.shape[0]
    out = {k: np.zeros(n) for k in ("blacklisted", "watchlisted", "redlisted", "penalties_24m")}
    last_listing = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    if rows and rows["uscc"].size:
        pos, hit = _positions(usccs, rows["uscc"])
        kind, listed, removed = rows["list_type"], rows["listed_on"], rows["removed_on"]
        day = inp.day
        on = hit & (listed <= day) & (np.isnat(removed) | (removed > day))
        for name, list_type in (
            ("blacklisted", "serious_dishonesty"),
            ("watchlisted", "key_watch"),
            ("redlisted", "red_list"),
        ):
            sel = on & (kind == list_type)
            out[name][pos[sel]] = 1.0
        since = (inp.day.astype("datetime64[M]") - 24).astype("datetime64[D]")
        pen = hit & (kind == "admin_penalty") & (listed >= since) & (listed <= day)
        np.add.at(out["penalties_24m"], pos[pen], 1)
        bad = hit & np.isin(kind, ["serious_dishonesty", "key_watch"]) & (listed <= day)
        order = np.argsort(listed[bad], kind="stable")
        last_listing[pos[bad][order]] = listed[bad][order]  # later listings overwrite earlier ones
    months = (inp.day.astype("datetime64[M]") - last_listing.astype("datetime64[M]")).astype(np.float64)
    out["months_since_listing"] = np.where(np.isnat(last_listing), 60.0, np.minimum(months, 60.0))
    return out


_ROW_STATEMENTS: dict[tuple, sa.Select] = {}


def _is_date(kind) -> bool:
    return isinstance(kind, str) and kind.startswith("datetime64")


def _read_rows(session: Session, source: str, usccs: np.ndarray, as_of: dt.datetime, columns: dict[str, str]):
    """Current versions of a non-monthly source as columns (``columns``: name → numpy dtype); the query
    is built once per shape with bound parameters, as in :func:`bank_tax.features.panels.read_monthly`."""
    src = SOURCES[source]
    how = firm_filter(usccs)
    key = (source, tuple(columns), how)
    stmt = _ROW_STATEMENTS.get(key)
    if stmt is None:
        at = sa.bindparam("as_of")
        q = current_versions(src, as_of=at, **firm_bind(how)).subquery()
        stmt = sa.select(*[as_text(q.c[c], "date" if _is_date(kind) else "") for c, kind in columns.items()])
        if source != "credit_grades":
            stmt = stmt.where(q.c.id.not_in(open_disputes(src, as_of=at)))
        else:
            stmt = stmt.where(q.c.evaluated_on <= sa.bindparam("day"))
        _ROW_STATEMENTS[key] = stmt
    params = {"as_of": as_of, "day": clock.business_date(as_of), **firm_params(usccs, how)}
    cols = fetch_columns(session, stmt, params)
    out = {}
    for (c, kind), v in zip(columns.items(), cols, strict=True):
        if _is_date(kind):
            out[c] = np.array(["NaT" if x is None else x for x in v], dtype=kind)
        else:
            out[c] = np.array(list(v), dtype=kind)
    return out


def read(session: Session, *, usccs, as_of: dt.datetime) -> Inputs:
    """Everything the catalogue needs for ``usccs`` as known at ``as_of`` (the pipeline's only DB access)."""
    usccs = np.unique(np.asarray(usccs, dtype="U18"))
    stmt = sa.select(Enterprise.uscc, Enterprise.established_on).order_by(Enterprise.uscc)
    if firm_filter(usccs) == "list":
        stmt = stmt.where(Enterprise.uscc.in_(usccs.tolist()))
    elif usccs.size:
        stmt = stmt.where(Enterprise.uscc.between(str(usccs[0]), str(usccs[-1])))
    registry = session.execute(stmt).all()
    reg_codes = np.array([r[0] for r in registry], dtype="U18")
    reg_days = np.array([r[1] for r in registry], dtype="datetime64[D]")
    established = np.full(usccs.shape[0], np.datetime64("NaT"), dtype="datetime64[D]")
    pos, known = _positions(reg_codes, usccs)
    established[known] = reg_days[pos[known]]

    def monthly(source, columns, months, equals=None):
        return read_monthly(
            session, source=SOURCES[source], columns=columns, usccs=usccs, as_of=as_of, months=months, equals=equals
        )

    def utility(name: str):
        return ("utility", name)

    return Inputs(
        usccs=usccs,
        as_of=as_of,
        established=established,
        vat=monthly("vat_declarations", VAT_COLUMNS, MONTHS),
        si=monthly("social_insurance", SI_COLUMNS, 13),
        hf=monthly("housing_fund", HF_COLUMNS, 12),
        power=monthly("utilities", POWER_COLUMNS, 24, utility("electricity")),
        water=monthly("utilities", BILL_COLUMNS, 12, utility("water")),
        gas=monthly("utilities", BILL_COLUMNS, 12, utility("gas")),
        arrears=_read_rows(session, "tax_arrears", usccs, as_of, INPUT_COLUMNS["arrears"]),
        grades=_read_rows(session, "credit_grades", usccs, as_of, INPUT_COLUMNS["grades"]),
        lists=_read_rows(session, "public_credit", usccs, as_of, INPUT_COLUMNS["lists"]),
    )


def derive(inp: Inputs) -> FeatureFrame:
    """Every catalogue feature from the inputs, numpy only (no database, no per-firm loop)."""
    as_of, usccs = inp.as_of, inp.usccs
    span = month_range(as_of, MONTHS)
    established_month = inp.established.astype("datetime64[M]")
    values = _tax(inp, span, established_month)
    values["months_operating"] = np.where(
        np.isnat(established_month), np.nan, (inp.day.astype("datetime64[M]") - established_month).astype(np.float64)
    )
    values |= _arrears(inp) | _grades(inp) | _payroll(inp, as_of)
    values |= _utilities(inp, as_of, values["sales_yoy"]) | _lists(inp)
    matrix = np.column_stack([values[name] for name in NAMES]).astype(np.float64).reshape(usccs.shape[0], len(NAMES))
    assert len(CATALOGUE) == matrix.shape[1]
    return FeatureFrame(usccs=usccs, names=NAMES, values=matrix)


def mask_rows(mask: Mask, usccs: np.ndarray) -> np.ndarray:
    """The mask's allowed categories lined up with ``usccs`` (the mask's rows may come in any order;
    firms it does not name get nothing)."""
    if mask.usccs.size == 0:
        return np.zeros((usccs.shape[0], len(CATEGORIES)), dtype=bool)
    by_code = np.argsort(mask.usccs, kind="stable")
    at = by_code[np.minimum(np.searchsorted(mask.usccs[by_code], usccs), by_code.size - 1)]
    return np.where((mask.usccs[at] == usccs)[:, None], mask.allowed[at], False)


def apply_mask(frame: FeatureFrame, mask: Mask) -> FeatureFrame:
    """The frame with the features of categories the mask forbids (per firm) set missing."""
    matrix = frame.values.copy()
    allowed = mask_rows(mask, frame.usccs)
    for j, category in enumerate(CATEGORIES):
        cols = [NAMES.index(n) for n in of_category(category)]
        matrix[np.ix_(~allowed[:, j], cols)] = np.nan
    return FeatureFrame(usccs=frame.usccs, names=frame.names, values=matrix)


def compute(session: Session, *, usccs, as_of: dt.datetime, mask: Mask | None = None) -> FeatureFrame:
    """Every catalogue feature for ``usccs`` as known at ``as_of``; with a bank's ``mask``, the features of
    categories it may not use for a firm are NaN."""
    frame = derive(read(session, usccs=usccs, as_of=as_of))
    return frame if mask is None else apply_mask(frame, mask)
