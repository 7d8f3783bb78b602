"""Benchmark: the catalogue for 10⁵ firms × 36 months of every category, columnar numpy against pandas.

Both start from the same in-memory :class:`~bank_tax.features.pipeline.Inputs` (the database read is
the same for both and is not timed): ours is :func:`~bank_tax.features.pipeline.derive`, the reference
is :func:`pandas_features`, the catalogue written the way an analyst would with pandas (long frames,
``groupby`` per firm, no per-firm Python loop). The test suite holds the two to 1e-9 on a synthetic
province, so the benchmark compares two correct implementations.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from bank_tax import clock
from bank_tax.bench.harness import Case, case
from bank_tax.features.catalogue import NAMES
from bank_tax.features.panels import month_range
from bank_tax.features.pipeline import GRADE_POINTS, MONTHS, Inputs, derive

AS_OF = dt.datetime(2026, 7, 20, tzinfo=dt.UTC)


# -- the pandas implementation ---------------------------------------------------------------------------
def _k(rows: dict, as_of: dt.datetime, months: int) -> pd.DataFrame:
    """Long rows as a frame with ``k`` = months before the last full month (0 = that month), in window."""
    df = pd.DataFrame(rows)
    last = month_range(as_of, 1)[0].astype(np.int64)
    df["k"] = last - df["month"].to_numpy().astype("datetime64[M]").astype(np.int64)
    return df[(df["k"] >= 0) & (df["k"] < months)]


def _wsum(df: pd.DataFrame, col: str, lo: int, hi: int, firms: pd.Index) -> pd.Series:
    """Sum of ``col`` over months ``lo ≤ k < hi`` (NaN when the firm has no value there)."""
    part = df.loc[(df["k"] >= lo) & (df["k"] < hi) & df[col].notna(), ["uscc", col]]
    return part.groupby("uscc")[col].sum().reindex(firms)


def _cnt(df: pd.DataFrame, cond: pd.Series, hi: int, firms: pd.Index) -> pd.Series:
    return df.loc[cond & (df["k"] < hi), "uscc"].value_counts().reindex(firms, fill_value=0).astype(float)


def _ratio(a: pd.Series, b: pd.Series) -> pd.Series:
    return (a / b).where((b > 0) & a.notna())


def _last(df: pd.DataFrame, col: str, firms: pd.Index, hi: int | None = None) -> pd.Series:
    """The value of the most recent month (smallest k) with a value."""
    part = df[df[col].notna()] if hi is None else df[df[col].notna() & (df["k"] < hi)]
    return part.sort_values("k").drop_duplicates("uscc").set_index("uscc")[col].reindex(firms)


def _first(df: pd.DataFrame, col: str, firms: pd.Index) -> pd.Series:
    part = df[df[col].notna()]
    return part.sort_values("k", ascending=False).drop_duplicates("uscc").set_index("uscc")[col].reindex(firms)


def pandas_features(inp: Inputs) -> pd.DataFrame:
    """The whole catalogue from the same inputs with pandas (index: the sorted firms, columns: NAMES)."""
    as_of = inp.as_of
    firms = pd.Index(inp.usccs, name="uscc")
    out = pd.DataFrame(index=firms)
    last = month_range(as_of, 1)[0].astype(np.int64)
    est = pd.Series(inp.established.astype("datetime64[M]"), index=firms)
    est_int = est.to_numpy().astype("datetime64[M]").astype(np.int64)
    est_known = ~np.isnat(est.to_numpy())

    vat = _k(inp.vat, as_of, MONTHS)
    for c in ("taxable_sales", "tax_payable", "tax_paid"):
        vat[c] = vat[c] / 100
    filed = vat["taxable_sales"].notna()
    vat["late"] = filed & (vat["filed_on"] > vat["due_date"])
    out["sales_12m"] = _wsum(vat, "taxable_sales", 0, 12, firms)
    prev = _wsum(vat, "taxable_sales", 12, 24, firms)
    out["sales_yoy"] = _ratio(out["sales_12m"], prev) - 1
    recent = vat[(vat["k"] < 12) & filed]
    g = recent.groupby("uscc")["taxable_sales"]
    stats = pd.DataFrame({"n": g.size(), "mean": g.mean(), "std": g.std(ddof=0)}).reindex(firms)
    out["sales_volatility"] = (stats["std"] / stats["mean"]).where((stats["n"] >= 3) & (stats["mean"] > 0))
    qend = (vat["month"].to_numpy().astype("datetime64[M]").astype(np.int64) % 12) % 3 == 2
    qsum = vat.loc[qend & (vat["k"] < 12) & filed].groupby("uscc")["taxable_sales"].sum().reindex(firms, fill_value=0)
    out["quarter_end_share"] = _ratio(qsum, out["sales_12m"])
    out["zero_months_12m"] = _cnt(vat, filed & (vat["is_zero"] == 1), 12, firms)
    operating_months = np.where(est_known, np.clip(last - est_int, 0, 12), 0)
    month_int = vat["month"].to_numpy().astype("datetime64[M]").astype(np.int64)
    vat_est = est.reindex(vat["uscc"]).to_numpy().astype("datetime64[M]")
    after_est = ~np.isnat(vat_est) & (month_int > vat_est.astype(np.int64))
    filed_operating = _cnt(vat, filed & after_est, 12, firms)
    out["missing_months_12m"] = operating_months - filed_operating
    out["late_filings_12m"] = _cnt(vat, vat["late"], 12, firms)
    out["late_filings_24m"] = _cnt(vat, vat["late"], 24, firms)
    out["months_since_late"] = vat[vat["late"]].groupby("uscc")["k"].min().reindex(firms).fillna(MONTHS).astype(float)
    out["tax_paid_12m"] = _wsum(vat, "tax_paid", 0, 12, firms)
    payable = _wsum(vat, "tax_payable", 0, 12, firms)
    out["tax_burden"] = _ratio(payable, out["sales_12m"])
    out["payment_ratio_12m"] = _ratio(out["tax_paid_12m"], payable)
    out["corrections_12m"] = _cnt(vat, filed & (vat["version"] > 1), 12, firms)
    out["months_operating"] = np.where(est_known, (last + 1 - est_int).astype(float), np.nan)

    day = pd.Timestamp(clock.business_date(as_of))
    since24 = pd.Timestamp(str((np.datetime64(clock.business_date(as_of), "M") - 24).astype("datetime64[D]")))
    arr = pd.DataFrame(inp.arrears)
    arr = arr[arr["uscc"].isin(firms)]
    arisen, cleared = pd.to_datetime(arr["arisen_on"]), pd.to_datetime(arr["cleared_on"])
    is_open = (arisen <= day) & (cleared.isna() | (cleared > day))
    out["open_arrears"] = (arr.loc[is_open].groupby("uscc")["amount"].sum() / 100).reindex(firms, fill_value=0.0)
    out["arrears_count_24m"] = (
        arr.loc[(arisen >= since24) & (arisen <= day), "uscc"].value_counts().reindex(firms, fill_value=0).astype(float)
    )

    gr = pd.DataFrame(inp.grades)
    gr = gr[gr["uscc"].isin(firms)].sort_values(["uscc", "year"])
    gr["points"] = gr["grade"].map(GRADE_POINTS)
    latest = gr.groupby("uscc")["points"].nth(-1)
    latest = pd.Series(latest.to_numpy(), index=gr.loc[latest.index, "uscc"]).reindex(firms)
    before = gr.groupby("uscc")["points"].nth(-2)
    before = pd.Series(before.to_numpy(), index=gr.loc[before.index, "uscc"]).reindex(firms)
    out["grade_score"] = latest
    out["grade_change"] = latest - before

    si = _k(inp.si, as_of, 13)
    heads_last, heads_first = _last(si, "insured_headcount", firms), _first(si, "insured_headcount", firms)
    out["headcount"] = heads_last
    out["headcount_trend"] = _ratio(heads_last, heads_first) - 1
    si_seen = si.loc[(si["k"] < 12) & si["insured_headcount"].notna(), "uscc"].unique()
    out["si_arrears_months_12m"] = _cnt(si, si["arrears"] > 0, 12, firms).where(firms.isin(si_seen))
    out["si_payment_ratio_12m"] = _ratio(
        _wsum(si, "contribution_paid", 0, 12, firms), _wsum(si, "contribution_due", 0, 12, firms)
    )
    hf = _k(inp.hf, as_of, 12)
    out["hf_depositors"] = _last(hf, "depositors", firms)
    hf_seen = hf.loc[hf["depositors"].notna(), "uscc"].unique()
    out["hf_arrears_months_12m"] = _cnt(hf, hf["arrears"] > 0, 12, firms).where(firms.isin(hf_seen))

    power = _k(inp.power, as_of, 24)
    late = _cnt(power, power["paid_on"] > power["due_date"], 12, firms)
    for rows in (inp.water, inp.gas):
        bills = _k(rows, as_of, 12)
        late = late + _cnt(bills, bills["paid_on"] > bills["due_date"], 12, firms)
    kwh12 = power[(power["k"] < 12) & power["consumption"].notna()]
    g = kwh12.groupby("uscc")["consumption"]
    mean, peak = g.mean().reindex(firms), g.max().reindex(firms)
    has_power = mean.notna()
    out["power_capacity"] = ((np.floor(mean / 1000) + 1) * 10).where(has_power)
    out["power_utilisation"] = _ratio(_last(power, "consumption", firms, hi=12), peak)
    growth = _ratio(_wsum(power, "consumption", 0, 12, firms), _wsum(power, "consumption", 12, 24, firms)) - 1
    out["power_growth"] = growth
    out["utility_late_12m"] = late.where(has_power)
    out["auto_debit"] = _last(power, "auto_debit", firms)
    out["sales_power_gap"] = out["sales_yoy"] - growth

    li = pd.DataFrame(inp.lists)
    li = li[li["uscc"].isin(firms)]
    listed, removed = pd.to_datetime(li["listed_on"]), pd.to_datetime(li["removed_on"])
    on = (listed <= day) & (removed.isna() | (removed > day))
    for name, list_type in (
        ("blacklisted", "serious_dishonesty"),
        ("watchlisted", "key_watch"),
        ("redlisted", "red_list"),
    ):
        hit = li.loc[on & (li["list_type"] == list_type), "uscc"].unique()
        out[name] = firms.isin(hit).astype(float)
    pen = (li["list_type"] == "admin_penalty") & (listed >= since24) & (listed <= day)
    out["penalties_24m"] = li.loc[pen, "uscc"].value_counts().reindex(firms, fill_value=0).astype(float)
    bad = li["list_type"].isin(["serious_dishonesty", "key_watch"]) & (listed <= day)
    last_listing = listed[bad].groupby(li.loc[bad, "uscc"]).max().reindex(firms)
    months = (day.year - last_listing.dt.year) * 12 + (day.month - last_listing.dt.month)
    out["months_since_listing"] = months.clip(upper=60).fillna(60.0).astype(float)
    return out[list(NAMES)].astype(float)


# -- generated inputs --------------------------------------------------------------------------------------
def _monthly(rng, usccs, span, share, columns) -> dict:
    n, m = usccs.shape[0], span.shape[0]
    present = rng.random((n, m)) < share
    firm, month = np.nonzero(present)
    rows = {"uscc": usccs[firm], "month": span[month]}
    for name, make in columns.items():
        rows[name] = make(firm.shape[0], span[month])
    return rows


def generate_inputs(n: int, *, seed: int = 1, as_of: dt.datetime = AS_OF, first: int = 0) -> Inputs:
    """Inputs for ``n`` firms with every category filled as the agencies would (gaps, lates, arrears).

    The firms are numbers ``first`` … ``first + n - 1``, so a province can be generated a slice at a time
    (each slice with a seed of its own) and never be held whole.
    """
    rng = np.random.default_rng(seed if first == 0 else [seed, first])
    usccs = np.char.add("91330106MA", np.char.zfill(np.arange(first, first + n).astype(str), 8)).astype("U18")
    span36, span24, span13, span12 = (month_range(as_of, k) for k in (36, 24, 13, 12))

    def due(k, months):
        return ((months + 1).astype("datetime64[D]") + 14).astype(np.int64).astype(float)

    def filed(k, months):
        return due(k, months) + np.where(rng.random(k) < 0.1, rng.integers(1, 30, k), -rng.integers(0, 10, k))

    def money(scale):
        return lambda k, _m: np.round(np.exp(rng.normal(np.log(scale), 0.8, k)))

    vat = _monthly(
        rng,
        usccs,
        span36,
        0.92,
        {
            "taxable_sales": money(2e7),
            "tax_payable": money(6e5),
            "tax_paid": money(5.5e5),
            "is_zero": lambda k, _m: (rng.random(k) < 0.05).astype(float),
            "filed_on": filed,
            "due_date": due,
            "version": lambda k, _m: 1.0 + (rng.random(k) < 0.03),
        },
    )
    si = _monthly(
        rng,
        usccs,
        span13,
        0.85,
        {
            "insured_headcount": lambda k, _m: rng.integers(1, 200, k).astype(float),
            "contribution_due": money(2e6),
            "contribution_paid": money(1.9e6),
            "arrears": lambda k, _m: np.where(rng.random(k) < 0.05, 1e5, 0.0),
        },
    )
    hf = _monthly(
        rng,
        usccs[: n // 2],
        span12,
        0.9,
        {
            "depositors": lambda k, _m: rng.integers(1, 100, k).astype(float),
            "arrears": lambda k, _m: np.where(rng.random(k) < 0.03, 5e4, 0.0),
        },
    )
    bills = {"due_date": due, "paid_on": filed}
    power = _monthly(
        rng,
        usccs,
        span24,
        0.95,
        {"consumption": money(8000), **bills, "auto_debit": lambda k, _m: (rng.random(k) < 0.4).astype(float)},
    )
    water = _monthly(rng, usccs, span12, 0.9, bills)
    gas = _monthly(rng, usccs[: n // 3], span12, 0.9, bills)
    k = n // 10
    day0 = np.datetime64("2023-01-01")
    arisen = day0 + rng.integers(0, 1300, k).astype("timedelta64[D]")
    cleared = np.where(rng.random(k) < 0.6, arisen + rng.integers(10, 200, k), np.datetime64("NaT"))
    grades_firm = np.repeat(np.arange(n), 3)
    kinds = np.array(["serious_dishonesty", "key_watch", "red_list", "admin_penalty", "abnormal_operation"])
    listed = day0 + rng.integers(0, 1300, k).astype("timedelta64[D]")
    return Inputs(
        usccs=usccs,
        as_of=as_of,
        established=np.datetime64("2010-01-01") + rng.integers(0, 5800, n).astype("timedelta64[D]"),
        vat=vat,
        si=si,
        hf=hf,
        power=power,
        water=water,
        gas=gas,
        arrears={
            "uscc": usccs[rng.integers(0, n, k)],
            "amount": np.round(rng.gamma(2, 5e5, k)),
            "arisen_on": arisen,
            "cleared_on": cleared.astype("datetime64[D]"),
        },
        grades={
            "uscc": usccs[grades_firm],
            "year": np.tile(np.array([2023, 2024, 2025]), n),
            "grade": rng.choice(np.array(["A", "B", "M", "C", "D"]), 3 * n, p=[0.4, 0.35, 0.1, 0.1, 0.05]),
        },
        lists={
            "uscc": usccs[rng.integers(0, n, k)],
            "list_type": rng.choice(kinds, k),
            "listed_on": listed,
            "removed_on": np.where(rng.random(k) < 0.3, listed + 365, np.datetime64("NaT")).astype("datetime64[D]"),
        },
    )


def agree(ours, ref: pd.DataFrame) -> bool:
    """Same firms, same missing cells, values within 1e-9."""
    b = ref.loc[list(ours.usccs)].to_numpy()
    a = ours.values
    same_nan = np.array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(a)
    return bool(same_nan and np.allclose(a[ok], b[ok], rtol=1e-9, atol=1e-9))


@case("features", size=100_000, quick_size=5_000)
def features_case(n: int) -> Case:
    inputs = generate_inputs(n)
    rows = sum(len(getattr(inputs, s)["uscc"]) for s in ("vat", "si", "hf", "power", "water", "gas"))
    return Case(
        ours=lambda: derive(inputs),
        reference=lambda: pandas_features(inputs),
        agree=agree,
        unit="firms",
        reference_name="pandas groupby",
        repeats=1,
        notes=f"{len(NAMES)} features from {rows:,} monthly rows (36 months of every category)",
    )


def frames_agree(ours, theirs) -> bool:
    """Two feature frames name the same firms and features, miss the same cells and agree to 1e-9."""
    if ours.names != theirs.names or not np.array_equal(ours.usccs, theirs.usccs):
        return False
    a, b = ours.values, theirs.values
    ok = ~np.isnan(a)
    return bool(np.array_equal(np.isnan(a), np.isnan(b)) and np.allclose(a[ok], b[ok], rtol=1e-9, atol=1e-9))


def _duckdb_case(n: int) -> Case | None:
    """``derive`` against the catalogue in DuckDB SQL on one thread, from the same inputs (DuckDB's as Arrow
    tables, converted untimed): the engine inside a partition is to be at least as fast as DuckDB."""
    try:
        import duckdb  # noqa: F401
    except ImportError:  # a dev extra
        return None
    from bank_tax.bench import duckdb_features as duck

    inputs = generate_inputs(n)
    con = duck.connect(duck.arrow_tables(inputs), threads=1)
    params = duck.parameters(inputs)
    rows = sum(len(getattr(inputs, s)["uscc"]) for s in ("vat", "si", "hf", "power", "water", "gas"))
    return Case(
        ours=lambda: derive(inputs),
        reference=lambda: duck.duckdb_features(con, params),
        agree=frames_agree,
        unit="firms",
        reference_name="DuckDB, 1 thread",
        notes=f"{len(duck.FEATURES)} features from {rows:,} monthly rows, one partition",
    )


# a partition of the batch (--partition-firms' default), and four of them in one
case("features_vs_duckdb", size=25_000, quick_size=2_000)(_duckdb_case)
case("features_vs_duckdb_100k", size=100_000, quick_size=4_000)(_duckdb_case)
