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

import logging
from dataclasses import dataclass, field

import numpy as np

from bank_tax.modelling import scale

REASON_CHUNK = 4096  # rows per block of counterfactual predictions (block = rows × features predictions)
SMALL_BATCH = 256  # up to this many rows, the flat forest below beats scikit-learn's per-tree thread pool
# What the flat forest reads of scikit-learn's private API (setup.cfg bounds scikit-learn to the minor
# versions it was tested with): the estimator's ``_predictors`` (per iteration, one TreePredictor per
# class) and ``_baseline_prediction``, and each predictor's ``nodes`` record array with these fields.
NODE_FIELDS = (
    "feature_idx",
    "num_threshold",
    "missing_go_to_left",
    "left",
    "right",
    "is_leaf",
    "value",
    "depth",
    "is_categorical",
)
log = logging.getLogger(__name__)


class FlatForestUnsupported(ValueError):
    """The estimator is not what the flat forest can walk (scikit-learn's internals changed, or a categorical
    split): scoring falls back to scikit-learn's own ``decision_function``."""


def forest_problem(estimator) -> str | None:
    """Why the flat forest cannot walk ``estimator`` (None: it can), in words naming the scikit-learn version."""
    import sklearn

    where = f"scikit-learn {sklearn.__version__}, {type(estimator).__name__}"
    predictors = getattr(estimator, "_predictors", None)
    if not (isinstance(predictors, list) and predictors and all(isinstance(p, list) and p for p in predictors)):
        return f"{where}: no private `_predictors` list of trees per iteration"
    if not hasattr(estimator, "_baseline_prediction"):
        return f"{where}: no private `_baseline_prediction`"
    nodes = [getattr(p, "nodes", None) for per_iteration in predictors for p in per_iteration]
    if not all(isinstance(n, np.ndarray) and n.dtype.names for n in nodes):
        return f"{where}: a tree without a `nodes` record array"
    missing = [f for f in NODE_FIELDS if any(f not in n.dtype.names for n in nodes)]
    if missing:
        return f"{where}: tree nodes lack the fields {', '.join(missing)}"
    if any(n["is_categorical"].any() for n in nodes):
        return f"{where}: categorical splits are not supported by the flat forest"
    return None


class Forest:
    """The trees of a fitted ``HistGradientBoostingClassifier`` as flat arrays, walked for all trees at once.

    scikit-learn predicts tree by tree, each through a thread pool: for one firm that is ~0.3 ms per tree
    (~80 ms for 250 trees), for a million rows it is the fastest there is. This walks every tree in
    lock-step with numpy (one array operation per depth level), exactly as scikit-learn's predictor does
    for numerical features (NaN follows the learned missing-value branch, else ``x ≤ threshold`` goes
    left), so a single request scores in well under a millisecond. The tests hold the two to 1e-12.
    """

    def __init__(self, estimator):
        if problem := forest_problem(estimator):
            raise FlatForestUnsupported(problem)
        nodes = [p.nodes for per_iteration in estimator._predictors for p in per_iteration]
        offsets = np.cumsum([0] + [n.shape[0] for n in nodes[:-1]])
        flat = np.concatenate(nodes)
        shift = np.repeat(offsets, [n.shape[0] for n in nodes])
        self.roots = offsets.astype(np.int64)
        self.feature = flat["feature_idx"].astype(np.int64)
        self.threshold = flat["num_threshold"].astype(np.float64)
        self.missing_left = flat["missing_go_to_left"].astype(bool)
        self.left = flat["left"].astype(np.int64) + shift
        self.right = flat["right"].astype(np.int64) + shift
        self.is_leaf = flat["is_leaf"].astype(bool)
        self.value = flat["value"].astype(np.float64)
        self.depth = int(flat["depth"].max())
        self.baseline = float(np.ravel(estimator._baseline_prediction)[0])

    def raw(self, X: np.ndarray) -> np.ndarray:
        """Raw log-odds of each row (the estimator's ``decision_function``)."""
        n = X.shape[0]
        node = np.broadcast_to(self.roots, (n, self.roots.shape[0])).copy()
        rows = np.arange(n)[:, None]
        for _ in range(self.depth):
            leaf = self.is_leaf[node]
            if leaf.all():
                break
            x = X[rows, self.feature[node]]
            with np.errstate(invalid="ignore"):
                go_left = np.where(np.isnan(x), self.missing_left[node], x <= self.threshold[node])
            node = np.where(leaf, node, np.where(go_left, self.left[node], self.right[node]))
        return self.baseline + self.value[node].sum(axis=1)


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
    _forest: Forest | None = field(default=None, init=False, repr=False, compare=False)
    _forest_problem: str | None = field(default=None, init=False, repr=False, compare=False)

    def fast_path(self) -> bool:
        """Whether small batches are walked by the flat forest. When it cannot read the estimator (another
        scikit-learn's internals), that is logged once as an error and scikit-learn's public
        ``decision_function`` scores every batch: slower for one firm (~80 ms), the same numbers."""
        if self._forest is None and self._forest_problem is None:
            try:
                self._forest = Forest(self.estimator)
            except FlatForestUnsupported as exc:
                self._forest_problem = str(exc)
                log.error(
                    "model %s: the flat forest is off, scoring with scikit-learn's own path: %s", self.version, exc
                )
        return self._forest is not None

    def raw(self, X: np.ndarray) -> np.ndarray:
        """The trees' log-odds: the flat forest for small batches, scikit-learn for large ones."""
        if X.shape[0] <= SMALL_BATCH and self.fast_path():
            return self._forest.raw(X)
        return self.estimator.decision_function(X)

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
        z = self.raw(X)
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
