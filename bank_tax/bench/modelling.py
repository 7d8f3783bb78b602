"""Benchmarks: scoring 10⁶ feature rows (our whole path against the bare ``predict_proba``), and the top
three reasons of 10⁵ rows.

The model is trained with the production recipe on features derived from generated inputs
(:mod:`bank_tax.bench.features`); the rows scored are drawn from the same population.
"""

from __future__ import annotations

import numpy as np

from bank_tax.bench.features import generate_inputs
from bank_tax.bench.harness import Case, case
from bank_tax.categories import CATEGORIES
from bank_tax.features.catalogue import CATALOGUE, FEATURE_SET_VERSION, NAMES
from bank_tax.features.pipeline import derive
from bank_tax.modelling import train

_MODEL = {}


def _model_and_rows(n: int):
    """A trained model and ``n`` feature rows (cached per process: both cases share the training)."""
    if "model" not in _MODEL:
        X = derive(generate_inputs(20_000, seed=9)).values
        col = {name: X[:, j] for j, name in enumerate(NAMES)}
        z = -3.2 + 0.5 * np.nan_to_num(col["late_filings_12m"]) - 0.6 * np.nan_to_num(col["grade_score"] - 3)
        z += 0.8 * (np.nan_to_num(col["open_arrears"]) > 0) + 1.5 * col["blacklisted"]
        y = (np.random.default_rng(3).random(X.shape[0]) < 1 / (1 + np.exp(-z))).astype(int)
        fitted = train.fit(
            X,
            y,
            names=NAMES,
            directions=[f.direction for f in CATALOGUE],
            categories=[f.category for f in CATALOGUE],
            feature_set_version=FEATURE_SET_VERSION,
        )
        _MODEL["model"], _MODEL["X"] = fitted.model, X
    rows = np.random.default_rng(n).integers(0, _MODEL["X"].shape[0], n)
    return _MODEL["model"], np.ascontiguousarray(_MODEL["X"][rows])


@case("scoring", size=1_000_000, quick_size=50_000)
def scoring_case(n: int) -> Case:
    model, X = _model_and_rows(n)
    allowed = np.ones((n, len(CATEGORIES)), dtype=bool)  # a bank allowed every category: same inputs as bare

    def ours():
        return model.score(X, allowed=allowed, categories=CATEGORIES)

    def bare():
        return model.estimator.predict_proba(X)[:, 1]

    def agree(s, p):
        a, b = model.platt
        z = np.log(p / (1 - p))
        return bool(np.allclose(s.pd, 1 / (1 + np.exp(-(a * z + b))), rtol=1e-6, atol=1e-9))

    return Case(
        ours=ours,
        reference=bare,
        agree=agree,
        unit="rows",
        reference_name="bare predict_proba",
        repeats=2,
        notes="ours = consent mask + calibrated PD + points + grade",
    )


@case("reasons", size=100_000, quick_size=10_000)
def reasons_case(n: int) -> Case:
    model, X = _model_and_rows(n)

    def agree(r, p):
        sample = np.nonzero(r.index[:, 0] >= 0)[0][:200]
        moved = X[sample].copy()
        top = r.index[sample, 0]
        moved[np.arange(sample.size), top] = model.good[top]
        drop = model.pd(X[sample]) - model.pd(moved)
        return bool(sample.size > 0 and np.allclose(drop, r.weight[sample, 0]) and p.shape == (n, 2))

    return Case(
        ours=lambda: model.reasons(X, k=3),
        reference=lambda: model.estimator.predict_proba(X),
        agree=agree,
        unit="rows",
        reference_name="one predict_proba pass",
        repeats=1,
        notes=f"top 3 of {len(NAMES)} counterfactual reasons; the yardstick is one scoring pass",
    )
