"""Benchmark: the consent mask for 10⁵ firms, against a plain per-consent Python loop over the same rows."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import clock
from bank_tax.bench.harness import Case, case
from bank_tax.categories import BIT, CATEGORIES
from bank_tax.consent.mask import consent_mask, in_force
from bank_tax.consent.models import Consent
from bank_tax.db import bulk_insert, make_engine
from bank_tax.enterprises import uscc as uscc_mod
from bank_tax.migrate import upgrade


def _province(n: int):
    """A database with n firms and about 1.3 consents each to a mix of banks and purposes."""
    rng = np.random.default_rng(5)
    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='bank-tax-bench-')) / 'mask.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    alphabet = np.array(list(uscc_mod.ALPHABET))
    codes = np.unique(
        [uscc_mod.make(division="330106", body8="".join(alphabet[rng.integers(0, 31, 8)])) for _ in range(n)]
    )
    now = np.datetime64(clock.now().replace(tzinfo=None), "us")
    with Session(engine) as s:
        from bank_tax.banks.models import Bank
        from bank_tax.enterprises.models import Enterprise

        s.add_all([Bank(code=b, name=b) for b in ("A", "B", "C")])
        s.flush()
        bulk_insert(
            s,
            Enterprise.__table__,
            {
                "uscc": codes,
                "name": np.full(codes.shape[0], "企业"),
                "region_code": np.full(codes.shape[0], "330106"),
                "industry_code": np.full(codes.shape[0], "C18"),
                "size_class": np.full(codes.shape[0], "small"),
                "established_on": np.full(codes.shape[0], np.datetime64("2015-01-01")),
                "source": np.full(codes.shape[0], "registry"),
                "registered_at": np.full(codes.shape[0], now),
            },
        )
        k = int(codes.shape[0] * 1.3)
        firm = rng.integers(0, codes.shape[0], k)
        bank = rng.choice(np.array(["A", "B", "C"]), k)
        start = now - rng.integers(0, 200, k).astype("timedelta64[D]")
        bulk_insert(
            s,
            Consent.__table__,
            {
                "uscc": codes[firm],
                "bank_code": bank,
                "all_banks": np.zeros(k, dtype=bool),
                "purpose": rng.choice(np.array(["underwriting", "pre_screen"]), k),
                "purpose_text": np.full(k, "t"),
                "categories": rng.integers(1, 32, k),
                "data_window_months": rng.choice([12, 24, 36], k),
                "starts_at": start,
                "expires_at": start + rng.integers(30, 365, k).astype("timedelta64[D]"),
                "mode": np.full(k, "view"),
                "granted_at": start,
                "granted_by": np.full(k, "bench"),
                "status": np.full(k, "active"),
                "ended_at": np.where(rng.random(k) < 0.1, now, np.datetime64("NaT")),
                "receipt": np.full(k, "{}"),
                "signature": np.full(k, "x"),
            },
        )
        s.commit()
    return engine, codes


def _loop(engine, codes, at):
    """The obvious way: fetch the same rows, then a dict and a Python loop per consent and per firm."""
    with Session(engine) as s:
        rows = s.execute(sa.select(Consent.uscc, Consent.categories).where(in_force("A", "underwriting", at))).all()
    bits: dict[str, int] = {}
    for code, cats in rows:
        bits[code] = bits.get(code, 0) | cats
    return np.array([[bool(bits.get(c, 0) & BIT[name]) for name in CATEGORIES] for c in codes.tolist()])


@case("consent_mask", size=100_000, quick_size=5_000)
def mask(n: int) -> Case:
    """The mask for n firms at once (one query + numpy) vs. the same query + a per-firm Python loop."""
    engine, codes = _province(n)
    at = clock.now() + dt.timedelta(seconds=1)

    def ours():
        with Session(engine) as s:
            return consent_mask(s, bank_code="A", purpose="underwriting", usccs=codes, at=at).allowed

    return Case(
        ours=ours,
        reference=lambda: _loop(engine, codes, at),
        agree=lambda a, b: bool((a == b).all()),
        unit="firms",
        reference_name="same query + Python loop",
        notes="target: 10⁵ firms well under 1 s",
    )
