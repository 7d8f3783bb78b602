"""Benchmark: a whitelist for 10⁵ firms × 50 products, against reading the same inputs from the database.

The database is filled directly (bulk inserts of generated agency records, as
:mod:`bank_tax.bench.features` generates them, and consents to pre-screening for 70% of firms); the
model is the scoring benchmark's. "Ours" is the whole of :func:`bank_tax.batch.daily.whitelist`
(read, features, scores, the firm × product rule matrix, reasons of the listed firms, storing the
edition); the reference is the database reads alone that it starts from.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from bank_tax import clock
from bank_tax.bench.harness import Case, case
from bank_tax.db import bulk_insert

BANK = "BENCH"


def bank_codes(n: int) -> list[str]:
    """The benchmark's banks: ``BENCH``, then ``BENCH2``, ``BENCH3``…"""
    return [BANK] + [f"{BANK}{i}" for i in range(2, n + 1)]


def _days(x: np.ndarray) -> np.ndarray:
    """Day numbers (float, NaN) → datetime64[D] (NaT)."""
    out = np.full(x.shape, np.datetime64("NaT"), dtype="datetime64[D]")
    ok = ~np.isnan(x)
    out[ok] = x[ok].astype(np.int64).astype("datetime64[D]")
    return out


def _stamp(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[us]") + np.timedelta64(2, "h")


def _record(rng, rows: dict, **cols) -> dict:
    n = rows["uscc"].shape[0]
    period = rows["month"].astype("datetime64[D]")
    return {
        "uscc": rows["uscc"],
        "version": np.ones(n, dtype=np.int64),
        "received_at": _stamp(period + 40),
        "row_hash": rng.integers(-(2**62), 2**62, n),
        "period": period,
        **cols,
    }


def _money(x) -> np.ndarray:
    return np.nan_to_num(np.asarray(x, dtype=float)).astype(np.int64)


def _rules(rng, k: int) -> dict:
    """A plausible product: grades, thresholds, a limit rule and a rate range that vary with ``k``."""
    return {
        "amount_min": 10_000,
        "amount_max": int(rng.choice([500_000, 1_000_000, 3_000_000])),
        "terms_months": [12],
        "rate_spread_min": 0.1 + 0.05 * (k % 5),
        "rate_spread_max": 1.5 + 0.1 * (k % 7),
        "repayment_style": "interest_monthly_principal_at_maturity",
        "grades": [["A"], ["A", "B"], ["A", "B", "M"]][k % 3],
        "min_months_operating": int(rng.choice([12, 24, 36])),
        "min_tax_12m": int(rng.choice([3_000, 10_000, 50_000])),
        "max_pd": [None, 0.1, 0.2][k % 3],
        "regions": [[], ["3301"], ["33"]][k % 3],
        "excluded_industries": [[], ["K"], ["F51"]][k % 3],
        "consent_categories": ["tax"] if k % 2 else ["tax", "social_insurance"],
        "limit_rule": {
            "basis": "tax",
            "multiple": float(rng.choice([5, 8, 10])),
            "window_months": 12,
            "risk_adjusted": bool(k % 2),
        },
    }


CHUNK_FIRMS = 20_000  # firms generated and loaded at a time: the build's memory is bounded by this


def build(
    n: int, *, n_products: int = 50, seed: int = 4, url: str | None = None, n_banks: int = 1, progress: bool = False
):
    """A migrated database (SQLite unless ``url``) with ``n`` firms, ``n_banks`` banks with ``n_products``
    products each, consents to pre-screening from 70% of firms (half to all banks, half to one bank) and 36
    months of every category; returns the app.

    The firms are generated and loaded :data:`CHUNK_FIRMS` at a time, each slice committed on its own, so a
    province of millions is built in the memory of one slice.
    """
    from bank_tax import create_app
    from bank_tax.banks.models import Bank
    from bank_tax.bench.modelling import _model_and_rows
    from bank_tax.db import make_engine
    from bank_tax.migrate import upgrade
    from bank_tax.modelling.registry import Registry
    from bank_tax.products import service as products

    rng = np.random.default_rng(seed)
    tmp = Path(tempfile.mkdtemp(prefix="bank-tax-bench-"))
    url = url or f"sqlite:///{tmp / 'whitelist.sqlite'}"
    upgrade(url)
    now = clock.now()
    engine = make_engine(url)
    codes = bank_codes(n_banks)
    with Session(engine) as s:
        for code in codes:
            s.add(Bank(code=code, name=f"基准银行{code[5:]}"))
        s.flush()
        for code in codes:
            for k in range(n_products):
                rules = _rules(rng, k)
                products.create(s, bank_code=code, code=f"P{k:02d}", name=f"产品{k:02d}", rules=rules, actor=None)
        s.commit()
    t0 = time.perf_counter()
    for first in range(0, n, CHUNK_FIRMS):
        with Session(engine) as s:
            _load_slice(s, first, min(CHUNK_FIRMS, n - first), seed=seed, now=now, codes=codes)
            s.commit()
        if progress:
            done = min(first + CHUNK_FIRMS, n)
            print(f"  built {done:,} of {n:,} firms  {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    engine.dispose()
    models = tmp / "models"
    model, _ = _model_and_rows(10)
    reg = Registry(models)
    reg.promote(reg.register(model, {"data": {"source": "benchmark"}}))
    return create_app(instance_path=str(tmp / "instance"), DATABASE_URL=url, MODEL_DIR=str(models))


def _load_slice(s: Session, first: int, n: int, *, seed: int, now, codes: list[str]) -> None:
    """Generate firms ``first`` … ``first + n - 1`` with all their records and insert them in ``s``."""
    from bank_tax.bench.features import generate_inputs
    from bank_tax.consent.models import Consent
    from bank_tax.enterprises.models import Enterprise
    from bank_tax.sources import models as S

    rng = np.random.default_rng([seed, first, 1])
    inp = generate_inputs(n, seed=seed, as_of=now, first=first)
    stamp = np.datetime64(now.replace(tzinfo=None), "us")
    n_banks = len(codes)
    usccs = inp.usccs
    bulk_insert(
        s,
        Enterprise.__table__,
        {
            "uscc": usccs,
            "name": np.full(n, "企业"),
            "region_code": rng.choice(np.array(["330106", "330203", "330302", "330102"]), n),
            "industry_code": rng.choice(np.array(["C18", "F51", "K70", "I65", "C35"]), n),
            "size_class": np.full(n, "small"),
            "established_on": inp.established,
            "source": np.full(n, "registry"),
            "registered_at": np.full(n, stamp),
        },
    )
    k = int(n * 0.7)
    firm = rng.choice(n, k, replace=False)
    start = np.full(k, stamp) - np.timedelta64(1, "D")
    to_all = rng.random(k) < 0.5  # half to this bank, half to all banks
    bulk_insert(
        s,
        Consent.__table__,
        {
            "uscc": usccs[firm],
            "bank_code": np.where(to_all, None, rng.choice(np.array(codes), k) if n_banks > 1 else BANK),
            "all_banks": to_all,
            "purpose": np.full(k, "pre_screen"),
            "purpose_text": np.full(k, "t"),
            "categories": np.where(rng.random(k) < 0.8, 31, 1),
            "data_window_months": np.full(k, 36),
            "starts_at": start,
            "expires_at": start + np.timedelta64(200, "D"),
            "mode": np.full(k, "view"),
            "granted_at": start,
            "granted_by": np.full(k, "bench"),
            "status": np.full(k, "active"),
            "receipt": np.full(k, "{}"),
            "signature": np.full(k, "x"),
        },
    )
    v = inp.vat
    bulk_insert(
        s,
        S.VatDeclaration.__table__,
        _record(
            rng,
            v,
            taxable_sales=_money(v["taxable_sales"]),
            tax_payable=_money(v["tax_payable"]),
            tax_paid=_money(v["tax_paid"]),
            is_zero=v["is_zero"] > 0,
            due_date=_days(v["due_date"]),
            filed_on=_days(v["filed_on"]),
        ),
    )
    si = inp.si
    bulk_insert(
        s,
        S.SocialInsurance.__table__,
        _record(
            rng,
            si,
            insured_headcount=si["insured_headcount"].astype(np.int64),
            contribution_base=_money(si["contribution_due"]),
            contribution_due=_money(si["contribution_due"]),
            contribution_paid=_money(si["contribution_paid"]),
            arrears=_money(si["arrears"]),
        ),
    )
    hf = inp.hf
    bulk_insert(
        s,
        S.HousingFund.__table__,
        _record(
            rng,
            hf,
            depositors=hf["depositors"].astype(np.int64),
            deposit_due=np.full(hf["uscc"].shape[0], 100_000),
            deposit_paid=np.full(hf["uscc"].shape[0], 100_000),
            arrears=_money(hf["arrears"]),
        ),
    )
    for utility, unit, rows in (
        ("electricity", "kWh", inp.power),
        ("water", "m3", inp.water),
        ("gas", "m3", inp.gas),
    ):
        m = rows["uscc"].shape[0]
        bulk_insert(
            s,
            S.UtilityBill.__table__,
            _record(
                rng,
                rows,
                utility=np.full(m, utility),
                unit=np.full(m, unit),
                consumption=_money(rows.get("consumption", np.zeros(m))),
                billed=np.full(m, 50_000),
                due_date=_days(rows["due_date"]),
                paid_on=_days(rows["paid_on"]),
                auto_debit=rows.get("auto_debit", np.zeros(m)) > 0,
            ),
        )
    a = inp.arrears
    m = a["uscc"].shape[0]
    bulk_insert(
        s,
        S.TaxArrear.__table__,
        {
            "uscc": a["uscc"],
            "version": np.ones(m, dtype=np.int64),
            "received_at": _stamp(a["arisen_on"] + 2),
            "row_hash": rng.integers(-(2**62), 2**62, m),
            "arrear_id": np.char.add(f"A{first}-", np.arange(m).astype(str)),
            "tax_type": np.full(m, "vat"),
            "period": a["arisen_on"].astype("datetime64[M]").astype("datetime64[D]"),
            "amount": _money(a["amount"]),
            "arisen_on": a["arisen_on"],
            "cleared_on": a["cleared_on"],
        },
    )
    g = inp.grades
    m = g["uscc"].shape[0]
    evaluated = (g["year"] + 1 - 1970).astype("datetime64[Y]").astype("datetime64[D]") + 104
    bulk_insert(
        s,
        S.CreditGrade.__table__,
        {
            "uscc": g["uscc"],
            "version": np.ones(m, dtype=np.int64),
            "received_at": _stamp(evaluated + 1),
            "row_hash": rng.integers(-(2**62), 2**62, m),
            "year": g["year"],
            "grade": g["grade"],
            "score": np.full(m, 90.0),
            "rule_set": np.full(m, "2021"),
            "evaluated_on": evaluated,
        },
    )
    li = inp.lists
    m = li["uscc"].shape[0]
    bulk_insert(
        s,
        S.PublicCreditEntry.__table__,
        {
            "uscc": li["uscc"],
            "version": np.ones(m, dtype=np.int64),
            "received_at": _stamp(li["listed_on"] + 1),
            "row_hash": rng.integers(-(2**62), 2**62, m),
            "entry_id": np.char.add(f"E{first}-", np.arange(m).astype(str)),
            "list_type": li["list_type"],
            "reason": np.full(m, "x"),
            "authority": np.full(m, "x"),
            "listed_on": li["listed_on"],
            "removed_on": li["removed_on"],
        },
    )


def _read_only(app) -> int:
    """The database reads a whitelist starts from: products, firms, the consent mask, every firm's records."""
    import sqlalchemy as sa

    from bank_tax.consent.mask import consent_mask
    from bank_tax.db import db
    from bank_tax.enterprises.models import Enterprise
    from bank_tax.features import pipeline
    from bank_tax.matching.service import WHITELIST_PURPOSE, active_products

    with app.app_context(), db.scope() as s:
        active_products(s, BANK)
        firms = np.array(s.scalars(sa.select(Enterprise.uscc).order_by(Enterprise.uscc)).all(), dtype="U18")
        mask = consent_mask(s, bank_code=BANK, purpose=WHITELIST_PURPOSE, usccs=firms)
        inputs = pipeline.read(s, usccs=firms[mask.consent_id >= 0], as_of=clock.now())
        s.execute(sa.select(Enterprise.uscc, Enterprise.region_code, Enterprise.industry_code)).all()
        return int(inputs.usccs.shape[0])


def _generate(app):
    from bank_tax.batch import daily
    from bank_tax.db import db

    with app.app_context(), db.scope() as s:
        edition = daily.whitelist(s, bank_code=BANK, actor=None, trigger="bench")
        return edition.n_firms, edition.n_products


@case("whitelist", size=100_000, quick_size=1_000)
def whitelist_case(n: int) -> Case:
    app = build(n)
    return Case(
        ours=lambda: _generate(app),
        reference=lambda: _read_only(app),
        agree=lambda ours, consenting: 0 < ours[0] <= consenting and ours[1] == 50,
        unit="firms",
        reference_name="the same database reads alone",
        repeats=1,
        notes="50 products; target ≤ 2×; rules as a boolean firm × product matrix",
    )


def _generate_all(app, codes: list[str]):
    from bank_tax.batch import daily

    with app.app_context():
        summary = daily.whitelists(bank_codes=codes, trigger="bench", workers=1)
        return summary.status, summary.partitions


@case("whitelists_4_banks", size=100_000, quick_size=1_000)
def whitelists_4_banks_case(n: int) -> Case:
    app = build(n, n_banks=4)
    codes = bank_codes(4)
    return Case(
        ours=lambda: _generate_all(app, codes),
        reference=lambda: _generate_all(app, codes[:1]),
        agree=lambda ours, one: ours[0] == one[0] == "done" and ours[1] == one[1],
        unit="firms",
        reference_name="the same batch stage for one bank",
        repeats=1,
        notes="4 banks × 50 products, one batch run, committed by partition; target ≤ 1.3× (reads shared)",
    )
