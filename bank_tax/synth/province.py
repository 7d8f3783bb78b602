"""The synthetic province: firms, their hidden health, and every record the agencies and banks hold.

One latent monthly *health* process per firm (an AR(1) around a firm baseline, with rare lasting
shocks) drives every record: sales and their growth, zero declarations, late filings, arrears,
headcount, utility use and late payment, list entries, loan applications, approvals and defaults. Each
record sees health through its own noise, so no single record (and no model) reads it perfectly.

Everything is columnar numpy over firms × months; the only Python loop is over months. The result is
deterministic for (seed, firms, months, end). See ``README.md`` beside this file for the formats and
the distributions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from bank_tax import clock
from bank_tax.enterprises import uscc as uscc_mod
from bank_tax.sources import deadlines
from bank_tax.synth import lending, names
from bank_tax.taxcredit import rules as grading

BURN_IN = 24  # months simulated before the window, so the first window years have grades and history


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function."""
    return 1.0 / (1.0 + np.exp(-x))


def month_add(period: tuple[int, int], k: int) -> tuple[int, int]:
    """(year, month) shifted by ``k`` months."""
    n = period[0] * 12 + period[1] - 1 + k
    return n // 12, n % 12 + 1


@dataclass(frozen=True)
class SynthParams:
    """What to simulate. ``end`` is the last month in the window; ``as_of`` is when the snapshot is taken."""

    firms: int
    months: int
    seed: int
    end: tuple[int, int]
    faults: bool = True  # inject the agencies' usual faults (bad codes, duplicates, invalid rows)
    application_rate: float = 0.035  # monthly chance an eligible firm without an open loan applies

    @classmethod
    def make(
        cls,
        *,
        firms: int,
        months: int,
        seed: int,
        end_period: str | None = None,
        faults: bool = True,
        application_rate: float = 0.035,
    ):
        """Parameters with ``end_period`` 'YYYY-MM'; by default the last month whose data is in by now."""
        if end_period:
            y, m = (int(p) for p in end_period.split("-"))
        else:
            d = clock.today() - dt.timedelta(days=20)
            y, m = month_add((d.year, d.month), -1)
        if not 1 <= m <= 12:
            raise ValueError(f"bad end period {end_period!r}")
        return cls(firms=firms, months=months, seed=seed, end=(y, m), faults=faults, application_rate=application_rate)

    @property
    def as_of(self) -> dt.date:
        """The snapshot date: the 20th of the month after ``end`` (most of the last month has been filed)."""
        y, m = month_add(self.end, 1)
        return dt.date(y, m, 20)


@dataclass
class Province:
    """The generated province: tables as dicts of equal-length numpy columns, plus ground truth."""

    params: SynthParams
    periods: list[str]  # window months, 'YYYY-MM'
    firms: dict[str, np.ndarray]
    health: np.ndarray  # firms × (burn-in + window) months: the hidden truth, never written to files
    tables: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    banks: list[dict] = field(default_factory=list)
    products: list[dict] = field(default_factory=list)
    truth: dict[str, np.ndarray] = field(default_factory=dict)


def _month_starts(first: tuple[int, int], n: int) -> np.ndarray:
    return np.array([np.datetime64(f"{y:04d}-{m:02d}-01") for y, m in (month_add(first, k) for k in range(n + 1))])


def _firms(rng: np.random.Generator, n: int, window_start: np.datetime64, as_of: np.datetime64) -> dict:
    city_codes = np.array(list(names.CITIES))
    city_w = np.array([w for _, w in names.CITIES.values()])
    city = rng.choice(len(city_codes), n, p=city_w / city_w.sum())
    region = names.region_codes(rng, city)  # a real county-level code of the firm's city

    sections = np.array(list(names.SECTIONS))
    sec_w = np.array([w for w, _ in names.SECTIONS.values()])
    sec = rng.choice(len(sections), n, p=sec_w / sec_w.sum())
    from bank_tax.enterprises.reference import INDUSTRY_SECTIONS

    lo = np.array([INDUSTRY_SECTIONS[s][0] for s in sections])[sec]
    hi = np.array([INDUSTRY_SECTIONS[s][1] for s in sections])[sec]
    division = lo + (rng.random(n) * (hi - lo + 1)).astype(int)
    industry = np.char.add(sections[sec], np.char.zfill(division.astype(str), 2))
    word = np.array([rng.choice(names.SECTIONS[s][1]) for s in sections[sec]])
    city_names = np.array([names.CITIES[c][0] for c in city_codes])[city]

    size = rng.choice(np.array(["micro", "small", "medium", "large"]), n, p=[0.70, 0.22, 0.07, 0.01])
    # Age at the snapshot: most firms several years old; ~10% founded inside the window.
    age_days = np.exp(rng.normal(np.log(6 * 365), 0.8, n)).astype(int)
    young = rng.random(n) < 0.10
    window_days = int((as_of - window_start).astype(int))
    age_days = np.where(young, rng.integers(60, max(window_days, 61), n), np.clip(age_days, 200, 30 * 365))
    established = as_of - age_days.astype("timedelta64[D]")

    alphabet = np.array(list(uscc_mod.ALPHABET))
    codes: set[str] = set()
    uscc = np.empty(n, dtype="U18")
    for i in range(n):  # uniqueness needs a set; 10⁶ firms take ~2 s
        while True:
            body = "MA" + "".join(alphabet[rng.integers(0, 31, 6)])
            code = uscc_mod.make(division=region[i], body8=body)
            if code not in codes:
                codes.add(code)
                uscc[i] = code
                break
    return {
        "uscc": uscc,
        "name": names.company_names(rng, city_names, word),
        "region_code": region,
        "industry_code": industry,
        "section": sections[sec],
        "established_on": established,
        "size_class": size,
    }


SIZE_SALES = {"micro": 8e4, "small": 8e5, "medium": 5e6, "large": 3e7}  # median monthly sales, 元
SIZE_STAFF = {"micro": 4, "small": 30, "medium": 150, "large": 600}
SECTION_EFFECT = {
    "C": 0.0,
    "F": -0.1,
    "E": -0.25,
    "G": -0.05,
    "H": -0.2,
    "I": 0.15,
    "L": 0.0,
    "M": 0.1,
    "A": -0.15,
    "O": -0.05,
}
KWH_PER_YUAN = {
    "C": 0.09,
    "F": 0.01,
    "E": 0.02,
    "G": 0.03,
    "H": 0.05,
    "I": 0.01,
    "L": 0.005,
    "M": 0.02,
    "A": 0.04,
    "O": 0.03,
}


def _health(rng, firms: dict, n: int, T: int, exists: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Monthly latent health (firms × T) and its firm baseline."""
    size_eff = np.select([firms["size_class"] == s for s in SIZE_SALES], [-0.1, 0.05, 0.25, 0.4])
    sec_eff = np.array([SECTION_EFFECT[s] for s in firms["section"]])
    mu = rng.normal(0, 1, n) + size_eff + sec_eff
    h = np.empty((n, T))
    h[:, 0] = mu + rng.normal(0, 0.5, n)
    level = mu.copy()
    for t in range(1, T):
        shock = rng.random(n) < 0.004
        level = level - shock * rng.normal(1.6, 0.5, n)  # a lost customer, a failed project: it lasts
        recover = rng.random(n) < 0.002
        level = level + recover * rng.normal(0.8, 0.3, n)
        h[:, t] = level + 0.9 * (h[:, t - 1] - level) + rng.normal(0, 0.3, n)
    return np.where(exists, h, np.nan), mu


def generate(params: SynthParams, *, progress: bool = False) -> Province:
    """Simulate the province described by ``params``."""
    rng = np.random.default_rng(params.seed)
    n, M = params.firms, params.months
    T = M + BURN_IN
    first = month_add(params.end, -(T - 1))
    starts = _month_starts(first, T)  # T+1 month starts (the last closes the final month)
    as_of = np.datetime64(params.as_of.isoformat())
    window_start = starts[BURN_IN]
    firms = _firms(rng, n, window_start, as_of)

    est_month = firms["established_on"].astype("datetime64[M]")
    exists = est_month[:, None] < starts[None, :T].astype("datetime64[M]")  # records from the month after founding
    h, mu = _health(rng, firms, n, T, exists)
    hz = np.nan_to_num(h, nan=0.0)

    # Abscondment (走逃): a very weak firm stops filing for good.
    absconds = exists & (rng.random((n, T)) < sigmoid(-8.0 - 2.0 * hz))
    gone = np.logical_or.accumulate(absconds, axis=1)
    active = exists & ~gone

    years = np.array([int(str(s)[:4]) for s in starts[:T]])
    months = np.array([int(str(s)[5:7]) for s in starts[:T]])

    # --- VAT declarations -------------------------------------------------------------------------------
    firms["section"]
    scale = np.array([SIZE_SALES[s] for s in firms["size_class"]]) * np.exp(rng.normal(0, 0.8, n))
    phase = rng.integers(0, 12, n)
    qpeak = rng.uniform(0.0, 0.5, n)
    season = 1 + 0.15 * np.sin(2 * np.pi * (months[None, :] - phase[:, None]) / 12)
    season = season * np.where(np.isin(months, [3, 6, 9, 12])[None, :], 1 + qpeak[:, None], 1.0)
    drift = rng.normal(0.03, 0.08, n) + 0.05 * mu
    t_years = (np.arange(T) / 12.0)[None, :]
    log_sales = np.log(scale)[:, None] + 0.35 * hz + drift[:, None] * t_years + rng.normal(0, 0.25, (n, T))
    sales = np.exp(log_sales) * season
    zero = active & (rng.random((n, T)) < sigmoid(-3.6 - 1.3 * hz))
    missed = active & ~zero & (rng.random((n, T)) < sigmoid(-6.0 - 1.5 * hz))  # a month not declared
    filed = active & ~missed
    sales_fen = np.where(filed & ~zero, np.round(sales * 100), 0).astype(np.int64)
    general = np.isin(firms["size_class"], ["medium", "large"]) | (rng.random(n) < 0.15)
    vat_rate = np.where(general, rng.uniform(0.025, 0.045, n), 0.01)
    payable = np.round(sales_fen * vat_rate[:, None]).astype(np.int64)
    arrear_new = filed & (payable > 0) & (rng.random((n, T)) < sigmoid(-5.2 - 1.6 * hz))
    paid = np.where(arrear_new, np.round(payable * rng.uniform(0, 0.6, (n, T))), payable).astype(np.int64)
    due = deadlines.monthly_due(starts[:T])  # the 15th of the next month, moved for holidays (art. 109)
    sloppy = rng.normal(0, 1.0, n)[:, None]  # habitual late filers exist whatever their health
    late = filed & (rng.random((n, T)) < sigmoid(-2.2 - 1.2 * hz + 0.9 * sloppy))
    late_days = np.where(late, 1 + rng.geometric(0.08, (n, T)), 0)
    early_days = rng.integers(0, 12, (n, T))
    filed_on = due[None, :] + np.where(late, late_days, -early_days).astype("timedelta64[D]")

    # Arrears clear after a while, faster for healthy firms.
    clear_months = 1 + rng.geometric(np.clip(sigmoid(-0.5 + 1.2 * hz), 0.05, 0.95))

    payroll = _payroll(rng, firms, hz, active)

    # --- tax-credit grades (from exactly the behaviour above) ---------------------------------------
    grade_tables, grade_by_year = _grades(
        params,
        firms,
        starts,
        years,
        exists,
        active,
        filed,
        zero,
        late,
        late_days,
        sales_fen,
        arrear_new,
        clear_months,
        hz,
        rng,
        T,
        payroll["si_arrear"],
    )

    province = Province(params=params, periods=[str(s)[:7] for s in starts[BURN_IN:T]], firms=firms, health=h)
    province.truth["mu"] = mu
    province.truth["absconded"] = gone[:, -1]
    w = slice(BURN_IN, T)
    province.tables["vat_declarations"] = _vat_rows(
        params,
        rng,
        firms["uscc"],
        starts,
        filed[:, w],
        zero[:, w],
        sales_fen[:, w],
        payable[:, w],
        paid[:, w],
        due[w],
        filed_on[:, w],
        hz[:, w],
        as_of,
    )
    province.tables["tax_arrears"] = _arrear_rows(
        firms["uscc"], starts, arrear_new, payable - paid, clear_months, due, as_of, BURN_IN
    )
    province.tables["credit_grades"] = grade_tables["grades"]
    province.tables["cit_annual"] = grade_tables["cit"]
    province.tables["social_insurance"], province.tables["housing_fund"] = _payroll_rows(
        firms["uscc"], payroll, starts, w, as_of
    )
    province.tables["utilities"] = _utilities(rng, firms, hz, active, sales, starts, w, as_of)
    province.tables["public_credit"] = _lists(rng, firms, hz, active, starts, grade_by_year, w, as_of)
    if progress:
        print(f"simulated {n} firms × {M} months; lending…", flush=True)
    lending.simulate(
        province,
        rng,
        starts=starts,
        hz=hz,
        active=active,
        sales_fen=sales_fen,
        paid=paid,
        grade_by_year=grade_by_year,
        years=years,
        w=w,
        as_of=as_of,
    )
    if params.faults:
        _inject_faults(province, rng)
    return province


def _grades(
    params,
    firms,
    starts,
    years,
    exists,
    active,
    filed,
    zero,
    late,
    late_days,
    sales_fen,
    arrear_new,
    clear_months,
    hz,
    rng,
    T,
    si_arrear,
):
    """Annual CIT returns and tax-credit grades for every full simulated year published by ``as_of``."""
    n = firms["uscc"].shape[0]
    as_of = np.datetime64(params.as_of.isoformat())
    grades_rows: dict[str, list] = {
        k: [] for k in ("uscc", "year", "grade", "score", "rule_set", "evaluated_on", "received_at")
    }
    cit_rows: dict[str, list] = {
        k: []
        for k in (
            "uscc",
            "year",
            "revenue",
            "profit_total",
            "tax_payable",
            "tax_paid",
            "due_date",
            "filed_on",
            "received_at",
        )
    }
    grade_by_year: dict[int, np.ndarray] = {}
    prev_d = np.zeros(n, dtype=bool)
    idx = np.arange(T)
    # Annual return for year Y is due 31 May of Y+1 (moved off a rest day); its lateness counts in Y+1's
    # evaluation.
    late_statement_of: dict[int, np.ndarray] = {}
    return_missing_of: dict[int, np.ndarray] = {}
    for year in sorted(set(years.tolist())):
        cols = idx[years == year]
        if len(cols) < 12:
            continue
        alive = active[:, cols[-1]] | active[:, cols].any(axis=1)
        revenue = sales_fen[:, cols].sum(axis=1)
        margin = rng.normal(0.02, 0.05, n) + 0.03 * hz[:, cols].mean(axis=1)
        profit = np.round(revenue * margin).astype(np.int64)
        cit_pay = np.round(np.maximum(profit, 0) * 0.05).astype(np.int64)  # 小型微利企业 effective 5%
        due = np.datetime64(deadlines.annual_return(year).due)  # 31 May of the next year, off a rest day
        statement_late = rng.random(n) < sigmoid(-3.0 - 1.0 * hz[:, cols].mean(axis=1))
        filed_on = due + np.where(statement_late, rng.integers(1, 90, n), -rng.integers(0, 60, n)).astype(
            "timedelta64[D]"
        )
        has_return = alive & exists[:, cols[0]] & ~np.isnan(hz[:, cols[-1]])
        gone_by_due = ~active[:, min(cols[-1] + 5, T - 1)]
        has_return &= ~gone_by_due
        late_statement_of[year + 1] = has_return & statement_late
        return_missing_of[year] = exists[:, cols[-1]] & ~has_return
        show = has_return & (filed_on <= as_of)
        for k, v in (
            ("uscc", firms["uscc"][show]),
            ("year", np.full(show.sum(), year)),
            ("revenue", revenue[show]),
            ("received_at", _received(filed_on[show])),
            ("profit_total", profit[show]),
            ("tax_payable", cit_pay[show]),
            ("tax_paid", cit_pay[show]),
            ("due_date", np.full(show.sum(), due)),
            ("filed_on", filed_on[show]),
        ):
            cit_rows[k].append(v)

        existed = exists[:, cols]
        months_missing = (existed & ~filed[:, cols] & active[:, cols]).sum(axis=1)
        grace = 3
        late_count = (late[:, cols] & (late_days[:, cols] > grace)).sum(axis=1)
        z = zero[:, cols]
        run = np.zeros(n, dtype=int)
        best = np.zeros(n, dtype=int)
        for c in range(z.shape[1]):
            run = np.where(z[:, c], run + 1, 0)
            best = np.maximum(best, run)
        # An arrear is open at year end when it arose this year and clears after December.
        arisen = arrear_new[:, cols]
        clears_at = cols[None, :] + clear_months[:, cols]
        open_end = (arisen & (clears_at > cols[-1])).any(axis=1)
        est = firms["established_on"]
        new_in_year = est >= np.datetime64(f"{year}-01-01")
        age_years = (np.datetime64(f"{year}-12-31") - est).astype(int) / 365.25
        direct_d = ~active[:, cols[-1]] & exists[:, cols[-1]]  # absconded (非正常户) during the year
        x = {
            "months_missing": months_missing,
            "late_filings": late_count,
            "late_statement": late_statement_of.get(year, np.zeros(n, dtype=bool)),
            "annual_return_missing": return_missing_of.get(year - 1, np.zeros(n, dtype=bool)) & ~new_in_year,
            "new_arrears": arisen.sum(axis=1),
            "open_arrear": open_end,
            "si_arrear_months": si_arrear[:, cols].sum(axis=1),
            "zero_run": best,
            "zero_total": z.sum(axis=1),
            "direct_d": direct_d,
            "new_in_year": new_in_year,
            "no_revenue": (sales_fen[:, cols].sum(axis=1) == 0),
            "age_years": age_years,
            "prev_d": prev_d,
        }
        score, grade = grading.grade_year(year, x)
        graded = exists[:, cols[-1]] & active[:, cols].any(axis=1)  # firms gone before the year are struck off
        grade = np.where(graded, grade, "")
        grade_by_year[year] = grade
        prev_d = grade == "D"
        evaluated = np.datetime64(f"{year + 1}-04-15")
        if evaluated <= as_of:
            show = grade != ""
            rule_set, _ = grading.rules_for(year)
            for k, v in (
                ("uscc", firms["uscc"][show]),
                ("year", np.full(show.sum(), year)),
                ("grade", grade[show]),
                ("score", np.round(score[show], 1)),
                ("rule_set", np.full(show.sum(), rule_set)),
                ("evaluated_on", np.full(show.sum(), evaluated)),
                ("received_at", _received(np.full(show.sum(), evaluated))),
            ):
                grades_rows[k].append(v)
    return {
        "grades": {k: np.concatenate(v) if v else np.array([]) for k, v in grades_rows.items()},
        "cit": {k: np.concatenate(v) if v else np.array([]) for k, v in cit_rows.items()},
    }, grade_by_year


def _rows(mask: np.ndarray, **cols) -> dict[str, np.ndarray]:
    """Flatten firms × months matrices (or per-firm / per-month vectors) to the rows where ``mask``."""
    fi, mi = np.nonzero(mask)
    out = {}
    for k, v in cols.items():
        v = np.asarray(v)
        if v.ndim == 2:
            out[k] = v[fi, mi]
        elif v.shape[0] == mask.shape[0]:
            out[k] = v[fi]
        else:
            out[k] = v[mi]
    return out


def _received(day: np.ndarray) -> np.ndarray:
    """Agencies deliver each day's records the next morning (02:00 UTC)."""
    return day.astype("datetime64[s]") + np.timedelta64(26 * 3600, "s")


def _vat_rows(params, rng, uscc, starts, filed, zero, sales, payable, paid, due, filed_on, hz, as_of):
    """Monthly VAT declarations in the window, with corrections (更正申报) as later versions."""
    periods = np.array([str(s)[:7] for s in starts[BURN_IN : BURN_IN + filed.shape[1]]])
    rows = _rows(
        filed,
        uscc=uscc,
        period=periods,
        taxable_sales=sales,
        tax_payable=payable,
        tax_paid=paid,
        is_zero=zero,
        due_date=due,
        filed_on=filed_on,
        h=hz,
    )
    rows["version"] = np.ones(rows["uscc"].shape[0], dtype=np.int64)
    rows["received_at"] = _received(rows["filed_on"])
    # Corrections: weaker firms more often revise (usually upwards, after a query from the bureau).
    k = rows["uscc"].shape[0]
    corr = (~rows["is_zero"]) & (rng.random(k) < sigmoid(-3.8 - 0.6 * rows["h"]))
    c = {key: v[corr].copy() for key, v in rows.items()}
    factor = np.where(
        rng.random(corr.sum()) < 0.75, rng.uniform(1.05, 1.3, corr.sum()), rng.uniform(0.8, 0.95, corr.sum())
    )
    c["taxable_sales"] = np.round(c["taxable_sales"] * factor).astype(np.int64)
    ratio = np.divide(c["tax_payable"], np.maximum(rows["taxable_sales"][corr], 1))
    c["tax_payable"] = np.round(c["taxable_sales"] * ratio).astype(np.int64)
    c["tax_paid"] = np.minimum(c["tax_paid"], c["tax_payable"])
    c["version"] = c["version"] + 1
    c["received_at"] = c["received_at"] + (rng.integers(5, 120, corr.sum()) * 86400).astype("timedelta64[s]")
    out = {key: np.concatenate([rows[key], c[key]]) for key in rows}
    keep = out["received_at"] <= as_of.astype("datetime64[s]")
    out = {key: v[keep] for key, v in out.items() if key != "h"}
    order = np.lexsort((out["version"], out["period"], out["uscc"]))
    return {key: v[order] for key, v in out.items()}


def _arrear_rows(uscc, starts, arrear_new, amount, clear_months, due, as_of, burn_in):
    """Tax arrears (欠税): VAT left unpaid after the due date, and when it was cleared."""
    T = arrear_new.shape[1]
    mask = arrear_new.copy()
    mask[:, :burn_in] = False
    cleared_idx = np.arange(T)[None, :] + clear_months
    rows = _rows(
        mask,
        uscc=uscc,
        period=np.array([str(s)[:7] for s in starts[:T]]),
        amount=amount,
        arisen_on=due + np.timedelta64(1, "D"),
        cleared_idx=cleared_idx,
    )
    ci = rows.pop("cleared_idx")
    cleared = np.where(ci < T, starts[np.minimum(ci, T)] + np.timedelta64(9, "D"), np.datetime64("NaT"))
    cleared = np.where(cleared <= as_of, cleared, np.datetime64("NaT"))
    rows["tax_type"] = np.full(rows["uscc"].shape[0], "VAT")
    rows["arrear_id"] = np.array([f"AR{i:08d}" for i in range(1, rows["uscc"].shape[0] + 1)])
    # The clearing arrives later than the arrear: a second version of the same entry.
    first = {**rows, "cleared_on": np.full(rows["uscc"].shape[0], np.datetime64("NaT"), dtype="datetime64[D]")}
    first["received_at"] = _received(first["arisen_on"])
    done = ~np.isnat(cleared)
    second = {k: v[done] for k, v in rows.items()}
    second["cleared_on"] = cleared[done]
    second["received_at"] = _received(second["cleared_on"])
    out = {k: np.concatenate([first[k], second[k]]) for k in first}
    keep = out["received_at"] <= as_of.astype("datetime64[s]")
    out = {k: v[keep] for k, v in out.items()}
    order = np.lexsort((out["received_at"], out["arrear_id"]))
    return {k: v[order] for k, v in out.items()}


def mean_health(hz: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Each firm's mean health over its active months (0 for a firm never active)."""
    return (hz * active).sum(axis=1) / np.maximum(active.sum(axis=1), 1)


def _payroll(rng, firms, hz, active):
    """Social-insurance and housing-fund matrices (firms × months)."""
    n, T = hz.shape
    base_staff = np.array([SIZE_STAFF[s] for s in firms["size_class"]]) * np.exp(rng.normal(0, 0.5, n))
    insured = active & (rng.random(n) > 0.12)[:, None]  # some micro firms register no staff
    trend = np.cumsum(rng.normal(0, 0.02, (n, T)) + 0.01 * hz, axis=1)
    heads = np.maximum(1, np.round(base_staff[:, None] * np.exp(0.2 * hz + trend))).astype(np.int64)
    heads = np.where(insured, heads, 0)
    wage_base = np.round(rng.uniform(4500, 9000, n)).astype(np.int64) * 100  # 分 per head
    si_due = heads * wage_base[:, None] * 30 // 100
    si_arrear = insured & (rng.random((n, T)) < sigmoid(-4.6 - 1.5 * hz))
    si_paid = np.where(si_arrear, si_due * rng.uniform(0, 0.7, (n, T)), si_due).astype(np.int64)
    has_hf = insured & (rng.random(n) < sigmoid(-0.3 + 0.8 * mean_health(hz, active)))[:, None]
    depositors = np.where(has_hf, np.maximum(1, np.round(heads * rng.uniform(0.5, 1.0, n)[:, None])), 0).astype(
        np.int64
    )
    hf_due = depositors * wage_base[:, None] * 24 // 100
    hf_arrear = has_hf & (rng.random((n, T)) < sigmoid(-5.0 - 1.5 * hz))
    hf_paid = np.where(hf_arrear, hf_due * rng.uniform(0, 0.7, (n, T)), hf_due).astype(np.int64)
    return {
        "insured": insured,
        "heads": heads,
        "si_due": si_due,
        "si_paid": si_paid,
        "si_arrear": si_arrear,
        "wage_base": wage_base,
        "has_hf": has_hf,
        "depositors": depositors,
        "hf_due": hf_due,
        "hf_paid": hf_paid,
    }


def _payroll_rows(uscc, p, starts, w, as_of):
    """Window rows of the social-insurance and housing-fund files (received on the 10th of the next month)."""
    periods = np.array([str(s)[:7] for s in starts[w]])
    recv = _received(starts[w.start + 1 : w.stop + 1] + np.timedelta64(9, "D"))
    sl = (slice(None), w)
    si_mask = p["insured"][sl] & (recv[None, :] <= as_of.astype("datetime64[s]"))
    si = _rows(
        si_mask,
        uscc=uscc,
        period=periods,
        insured_headcount=p["heads"][sl],
        contribution_base=np.broadcast_to(p["wage_base"][:, None], p["heads"][sl].shape),
        contribution_due=p["si_due"][sl],
        contribution_paid=p["si_paid"][sl],
        received_at=recv,
    )
    si["arrears"] = si["contribution_due"] - si["contribution_paid"]
    hf_mask = p["has_hf"][sl] & (recv[None, :] <= as_of.astype("datetime64[s]"))
    hf = _rows(
        hf_mask,
        uscc=uscc,
        period=periods,
        depositors=p["depositors"][sl],
        deposit_due=p["hf_due"][sl],
        deposit_paid=p["hf_paid"][sl],
        received_at=recv,
    )
    hf["arrears"] = hf["deposit_due"] - hf["deposit_paid"]
    return si, hf


def _utilities(rng, firms, hz, active, sales, starts, w, as_of):
    """Monthly electricity for every operating firm, water for most, gas for some industries."""
    n, T = hz.shape
    sl = (slice(None), w)
    sec = firms["section"]
    intensity = np.array([KWH_PER_YUAN[s] for s in sec]) * np.exp(rng.normal(0, 0.3, n))
    # Electricity follows real activity; a firm under-reporting sales still burns the power it uses.
    under = rng.random(n) < 0.04
    real_sales = sales * np.where(under, rng.uniform(1.3, 2.0, n), 1.0)[:, None]
    kwh = np.round(intensity[:, None] * real_sales**0.9 * np.exp(rng.normal(0, 0.15, (n, T)))).astype(np.int64)
    auto_debit = rng.random(n) < sigmoid(0.2 + 0.6 * mean_health(hz, active))
    out: dict[str, list] = {}
    periods = np.array([str(s)[:7] for s in starts[w]])
    due = starts[w.start + 1 : w.stop + 1] + np.timedelta64(19, "D")
    for utility, unit, price, share in (
        ("electricity", "kWh", 75, 1.0),
        ("water", "t", 450, 0.85),
        ("gas", "m3", 380, 0.0),
    ):
        if utility == "gas":
            has = np.isin(sec, ["C", "H"]) & (rng.random(n) < 0.5)
            amount = np.round(kwh * 0.05 * np.exp(rng.normal(0, 0.2, (n, T)))).astype(np.int64)
        elif utility == "water":
            has = rng.random(n) < share
            amount = np.maximum(1, np.round(kwh * 0.02 * np.exp(rng.normal(0, 0.3, (n, T))))).astype(np.int64)
        else:
            has = np.ones(n, dtype=bool)
            amount = kwh
        billed = amount * price  # 分: price is 分 per unit
        m = due.shape[0]
        late = rng.random((n, m)) < np.where(auto_debit[:, None], 0.2, 1.0) * sigmoid(-3.4 - 1.2 * hz[sl])
        offset = np.where(late, rng.integers(1, 45, (n, m)), -rng.integers(0, 15, (n, m)))
        paid_on = due[None, :] + offset.astype("timedelta64[D]")
        mask = active[sl] & has[:, None]
        rows = _rows(
            mask,
            uscc=firms["uscc"],
            period=periods,
            consumption=amount[sl],
            billed=billed[sl],
            due_date=due,
            paid_on=paid_on,
            auto_debit=auto_debit,
        )
        rows["utility"] = np.full(rows["uscc"].shape[0], utility)
        rows["unit"] = np.full(rows["uscc"].shape[0], unit)
        rows["received_at"] = _received(np.maximum(rows["due_date"], rows["paid_on"]))
        keep = rows["received_at"] <= as_of.astype("datetime64[s]")
        for k, v in rows.items():
            out.setdefault(k, []).append(v[keep])
    return {k: np.concatenate(v) for k, v in out.items()}


LIST_AUTHORITY = {
    "serious_dishonesty": "省税务局 / 省信用办",
    "key_watch": "省信用办",
    "red_list": "省税务局",
    "admin_penalty": "市场监督管理局",
    "abnormal_operation": "市场监督管理局",
}


def _lists(rng, firms, hz, active, starts, grade_by_year, w, as_of):
    """Public-credit list entries; a removal (信用修复, end of publicity) arrives later as a second version."""
    n, T = hz.shape
    entries: dict[str, list] = {k: [] for k in ("uscc", "list_type", "reason", "listed_on", "removed_on")}

    def add(mask, list_type, reasons, t, stay_months, removal_p):
        k = int(mask.sum())
        if not k:
            return
        listed = starts[t] + rng.integers(0, 28, k).astype("timedelta64[D]")
        stay = rng.integers(stay_months[0], stay_months[1] + 1, k)
        end_idx = np.minimum(t + stay, T)
        removed = np.where(
            (rng.random(k) < removal_p) & (t + stay < T), starts[end_idx] + np.timedelta64(5, "D"), np.datetime64("NaT")
        )
        entries["uscc"].append(firms["uscc"][mask])
        entries["list_type"].append(np.full(k, list_type))
        entries["reason"].append(rng.choice(reasons, k))
        entries["listed_on"].append(listed)
        entries["removed_on"].append(removed)

    gone = ~active & (np.cumsum(active, axis=1) > 0)  # stopped after having operated: absconded
    newly_gone = gone & ~np.concatenate([np.zeros((n, 1), bool), gone[:, :-1]], axis=1)
    on_black = np.zeros(n, dtype=bool)
    for t in range(w.start, w.stop):
        h = hz[:, t]
        alive = active[:, t]
        if t >= 2:
            add(
                newly_gone[:, t - 2] & ~on_black,
                "serious_dishonesty",
                ["重大税收违法失信主体（走逃失联）"],
                t,
                (24, 36),
                0.1,
            )
            on_black |= newly_gone[:, t - 2]
        bl = alive & ~on_black & (rng.random(n) < sigmoid(-9.0 - 1.8 * h))
        add(
            bl,
            "serious_dishonesty",
            ["失信被执行人（有履行能力而拒不履行）", "拖欠农民工工资失信联合惩戒对象"],
            t,
            (12, 36),
            0.45,
        )
        on_black |= bl
        add(
            alive & (rng.random(n) < sigmoid(-7.0 - 1.5 * h)),
            "key_watch",
            ["未按期履行行政处罚决定", "社保费长期欠缴"],
            t,
            (6, 18),
            0.7,
        )
        add(
            alive & (rng.random(n) < sigmoid(-6.5 - 0.8 * h)),
            "admin_penalty",
            ["违反市场监管规定（一般程序）", "环保违法（罚款）"],
            t,
            (12, 12),
            1.0,
        )
        add(
            active[:, t - 1] & ~alive & (rng.random(n) < 0.6),
            "abnormal_operation",
            ["通过登记的住所无法联系"],
            t,
            (3, 12),
            0.2,
        )
    # Red list: A in two consecutive published years.
    years = sorted(grade_by_year)
    for y0, y1 in zip(years, years[1:], strict=False):
        t = int(np.searchsorted(starts[:T], np.datetime64(f"{y1 + 1}-04-01")))
        if not w.start <= t < w.stop:
            continue
        both_a = (grade_by_year[y0] == "A") & (grade_by_year[y1] == "A") & (rng.random(n) < 0.35)
        add(both_a, "red_list", ["连续两年纳税信用A级"], t, (12, 12), 1.0)
    rows = {k: np.concatenate(v) if v else np.array([]) for k, v in entries.items()}
    k = rows["uscc"].shape[0]
    rows["entry_id"] = np.array([f"PC{i:08d}" for i in range(1, k + 1)])
    rows["authority"] = np.array([LIST_AUTHORITY[t] for t in rows["list_type"]])
    first = {key: v.copy() for key, v in rows.items()}
    first["removed_on"] = np.full(k, np.datetime64("NaT"), dtype="datetime64[D]")
    first["received_at"] = _received(first["listed_on"])
    removed = ~np.isnat(rows["removed_on"])
    second = {key: v[removed] for key, v in rows.items()}
    second["received_at"] = _received(second["removed_on"])
    out = {key: np.concatenate([first[key], second[key]]) for key in first}
    keep = out["received_at"] <= as_of.astype("datetime64[s]")
    out = {key: v[keep] for key, v in out.items()}
    order = np.lexsort((out["received_at"], out["entry_id"]))
    return {key: v[order] for key, v in out.items()}


def _inject_faults(province: Province, rng: np.random.Generator) -> None:
    """Agencies' usual faults, so ingestion has something to quarantine: counts go to ``truth['faults']``.

    In the VAT file: 0.3% rows with a mistyped USCC (one character changed), 0.2% rows sent twice,
    0.1% rows with a negative amount and 0.05% with an impossible period. In the social-insurance file:
    0.3% mistyped codes.
    """
    faults = {}
    alphabet = np.array(list(uscc_mod.ALPHABET))

    def mistype(codes: np.ndarray, idx: np.ndarray) -> None:
        for i in idx:
            c = list(codes[i])
            pos = int(rng.integers(2, 17))
            c[pos] = alphabet[(uscc_mod.VALUE[c[pos]] + int(rng.integers(1, 30))) % 31]
            codes[i] = "".join(c)

    vat = province.tables["vat_declarations"]
    k = vat["uscc"].shape[0]
    bad_code = rng.choice(k, max(1, k * 3 // 1000), replace=False)
    mistype(vat["uscc"], bad_code)
    rest = np.setdiff1d(np.arange(k), bad_code)
    negative = rng.choice(rest, max(1, k // 1000), replace=False)
    vat["taxable_sales"][negative] = -vat["taxable_sales"][negative] - 100
    rest = np.setdiff1d(rest, negative)
    bad_period = rng.choice(rest, max(1, k // 2000), replace=False)
    vat["period"][bad_period] = np.char.add(np.char.ljust(vat["period"][bad_period].astype("U4"), 4), "-13")
    rest = np.setdiff1d(rest, bad_period)
    dup = rng.choice(rest, max(1, k // 500), replace=False)
    for key in vat:
        vat[key] = np.concatenate([vat[key], vat[key][dup]])
    faults["vat_bad_uscc"] = int(bad_code.size)
    faults["vat_negative_amount"] = int(negative.size)
    faults["vat_bad_period"] = int(bad_period.size)
    faults["vat_duplicates"] = int(dup.size)
    si = province.tables["social_insurance"]
    ks = si["uscc"].shape[0]
    bad_si = rng.choice(ks, max(1, ks * 3 // 1000), replace=False)
    mistype(si["uscc"], bad_si)
    faults["si_bad_uscc"] = int(bad_si.size)
    province.truth["faults"] = faults
