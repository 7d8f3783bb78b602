"""A trained scoring model and the one scoring path: mask → raw score → calibrated PD → points → grade.

The model is a gradient-boosted tree ensemble (monotonic in each feature's documented direction) whose
raw log-odds are calibrated by a two-parameter logistic map fitted on a later slice of loans (Platt
scaling: monotone, so it never reorders firms). Missing values — absent records or categories a bank
may not use — go down the branch the trees learned for them.

**Reasons** are counterfactual and therefore faithful by construction: for each feature a firm has a
value for, the reason's weight is how much the PD falls when that one value is moved to a good value
(the 10th percentile of the training population in the safe direction, e.g. 0 late filings). The top
reasons are the largest positive weights, so moving the first reason's feature to a good value lowers
the PD at least as much as moving any other feature.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bank_tax.modelling import scale

REASON_CHUNK = 4096  # rows per block of counterfactual predictions (block = rows × features predictions)


@dataclass(frozen=True)
class Scores:
    """PD, points and risk grade per row."""

    pd: np.ndarray
    points: np.ndarray
    grade: np.ndarray


@dataclass(frozen=True)
class Reasons:
    """Per row, the indexes of the top features (−1: none) and the PD each would remove."""

    index: np.ndarray
    weight: np.ndarray


@dataclass
class ScoringModel:
    """What the registry stores (besides the card): the estimator and the arrays scoring needs."""

    names: tuple[str, ...]
    directions: np.ndarray  # +1 more is riskier, −1 more is safer, 0 no constraint
    groups: tuple[str, ...]  # each feature's consent category ("" when the analyst gave none)
    estimator: object  # a fitted HistGradientBoostingClassifier
    platt: np.ndarray  # (slope, intercept) on the estimator's raw log-odds
    good: np.ndarray  # the "good value" of each feature, for reasons
    feature_set_version: str | None = None
    version: str | None = field(default=None, compare=False)

    # -- the scoring path ------------------------------------------------------------------------------
    def check(self, X) -> np.ndarray:
        """``X`` as a float64 matrix of this model's features (a DataFrame is reordered by name)."""
        if hasattr(X, "columns"):
            missing = [n for n in self.names if n not in X.columns]
            if missing:
                raise ValueError(f"the frame lacks the model's features: {', '.join(missing)}")
            X = X[list(self.names)].to_numpy(dtype=np.float64)
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.names):
            raise ValueError(f"expected a matrix with {len(self.names)} feature columns, got shape {X.shape}")
        return X

    def apply_mask(self, X: np.ndarray, allowed: np.ndarray, categories: tuple[str, ...]) -> np.ndarray:
        """``X`` with the features of categories a bank may not use set missing (``allowed``: rows × categories)."""
        allowed = np.asarray(allowed, dtype=bool)
        col_cat = np.array([categories.index(g) if g in categories else -1 for g in self.groups])
        known = col_cat >= 0
        keep = np.ones(X.shape, dtype=bool)
        keep[:, known] = allowed[:, col_cat[known]]
        return np.where(keep, X, np.nan)

    def pd(self, X) -> np.ndarray:
        """Calibrated probability of default for each row."""
        X = self.check(X)
        if X.shape[0] == 0:
            return np.zeros(0)
        z = self.estimator.decision_function(X)
        a, b = self.platt
        return 1.0 / (1.0 + np.exp(-(a * z + b)))

    def score(self, X, *, allowed=None, categories: tuple[str, ...] = ()) -> Scores:
        """PD, points and grade; with ``allowed`` (rows × ``categories``) the consent mask is applied first."""
        X = self.check(X)
        if allowed is not None:
            X = self.apply_mask(X, allowed, categories)
        p = self.pd(X)
        return Scores(pd=p, points=scale.points(p), grade=scale.grades(p))

    # -- reasons ---------------------------------------------------------------------------------------
    def reasons(self, X, k: int = 3) -> Reasons:
        """The top ``k`` reasons of each row (see the module docstring).

        Only the values on the risky side of their good value are tried: the trees are monotonic in each
        constrained feature, so moving a value that is already as good or better cannot lower the PD.
        """
        X = self.check(X)
        n, p = X.shape
        k = min(k, p)
        index = np.full((n, k), -1, dtype=np.int64)
        weight = np.zeros((n, k))
        d = np.asarray(self.directions)
        for lo in range(0, n, REASON_CHUNK):
            block = X[lo : lo + REASON_CHUNK]
            m = block.shape[0]
            with np.errstate(invalid="ignore"):
                worse = ((d > 0) & (block > self.good)) | ((d < 0) & (block < self.good)) | (d == 0)
            row, col = np.nonzero(worse & ~np.isnan(block))
            moved = block[row]
            moved[np.arange(row.size), col] = self.good[col]
            gain = np.zeros((m, p))
            if row.size:
                gain[row, col] = self.pd(block)[row] - self.pd(moved)
            top = np.argsort(-gain, axis=1, kind="stable")[:, :k]
            w = np.take_along_axis(gain, top, axis=1)
            index[lo : lo + m] = np.where(w > 1e-12, top, -1)
            weight[lo : lo + m] = np.where(w > 1e-12, w, 0.0)
        return Reasons(index=index, weight=weight)
