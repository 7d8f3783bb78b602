"""A catalogue-shaped synthetic feature matrix with a known risk structure (no database needed)."""

from __future__ import annotations

import numpy as np

from bank_tax.features.catalogue import CATALOGUE, NAMES

DIRECTIONS = np.array([f.direction for f in CATALOGUE])
CATEGORIES = tuple(f.category for f in CATALOGUE)


def catalogue_matrix(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features with plausible ranges, a default driven by a few of them, and start "days" in order."""
    rng = np.random.default_rng(seed)
    X = np.empty((n, len(NAMES)))
    for j, f in enumerate(CATALOGUE):
        if f.unit == "flag":
            X[:, j] = rng.random(n) < 0.08
        elif f.unit == "count" or f.name.endswith("_months_12m"):
            X[:, j] = rng.poisson(0.6, n)
        elif f.unit == "months":
            X[:, j] = rng.poisson(20, n)
        elif f.unit == "元":
            X[:, j] = np.exp(rng.normal(11, 1.2, n)) * (rng.random(n) < (0.1 if "arrears" in f.name else 1))
        elif f.name == "grade_score":
            X[:, j] = rng.choice([0.0, 1.0, 2.0, 3.0, 4.0], n, p=[0.05, 0.1, 0.1, 0.35, 0.4])
        else:
            X[:, j] = rng.normal(0.5, 0.3, n)
    col = {name: X[:, j] for j, name in enumerate(NAMES)}
    z = (
        -3.4
        + 0.8 * col["late_filings_12m"]
        + 1.2 * (col["open_arrears"] > 0)
        - 0.8 * (col["grade_score"] - 3)
        + 2.0 * col["blacklisted"]
        + 0.15 * col["si_arrears_months_12m"]
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    X[rng.random(X.shape) < 0.03] = np.nan
    return X, y, np.arange(n)
