"""Training and evaluating a scoring model from a feature matrix and labels.

:func:`fit` is the whole recipe and takes plain arrays (numpy or pandas) with the analyst's own
catalogue (names, directions, optional consent categories), so notebooks can try other data without the
database; :mod:`bank_tax.modelling.dataset` builds the platform's own training set for it.

The recipe, in order:

1. **Time split.** Rows are ordered by ``time`` (a loan's start): the oldest ``1 − calib − test`` share
   trains, the next ``calib`` share calibrates, the newest ``test`` share is the out-of-time test that
   the card reports. Nothing is shuffled across time.
2. **Consent masking.** Every training and calibration row is used once as it is and once more with each
   consent category hidden (made missing) with probability ``mask_rate``, so the model has seen every
   consent pattern and scores a bank's masked view without a model per pattern.
3. **Gradient-boosted trees** (scikit-learn ``HistGradientBoostingClassifier``) with monotonic
   constraints from the catalogue's directions: more arrears can never lower the PD.
4. **Calibration**: Platt scaling of the trees' log-odds on the calibration slice.
5. **Baseline**: the WoE scorecard (:mod:`bank_tax.modelling.scorecard`) on the same training slice.
6. **Evaluation** on the out-of-time slice: AUC, Gini, KS, Brier, ECE, calibration table, PSI of the
   score and of each feature (train → test), and per consent pattern and per tax-credit grade.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from bank_tax.errors import Invalid
from bank_tax.modelling import metrics, scale, scorecard
from bank_tax.modelling.model import ScoringModel

MIN_ROWS = 200
MIN_DEFAULTS = 20
MIN_SLICE_DEFAULTS = 5

PARAMS = {
    "learning_rate": 0.05,
    "max_iter": 250,
    "max_leaf_nodes": 8,
    "min_samples_leaf": 60,
    "l2_regularization": 2.0,
    "early_stopping": False,
}

# consent patterns the card reports performance for (categories a bank may use)
PATTERNS: dict[str, tuple[str, ...]] = {
    "all categories": ("tax", "social_insurance", "housing_fund", "utilities", "public_credit"),
    "tax only": ("tax",),
    "tax + social insurance + housing fund": ("tax", "social_insurance", "housing_fund"),
    "tax + utilities": ("tax", "utilities"),
    "everything but tax": ("social_insurance", "housing_fund", "utilities", "public_credit"),
}
GRADE_LETTERS = {4.0: "A", 3.0: "B", 2.0: "M", 1.0: "C", 0.0: "D"}


class TrainingDataError(Invalid):
    """The data cannot train a model (one class, too few rows or defaults, shapes that do not match)."""


@dataclass
class Fitted:
    """A trained model, its baseline, and the evaluation that goes into the card."""

    model: ScoringModel
    baseline: scorecard.Scorecard
    report: dict
    split: dict = field(default_factory=dict)


def _as_matrix(X, names):
    if hasattr(X, "columns"):
        names = tuple(names) if names is not None else tuple(str(c) for c in X.columns)
        X = X[list(names)].to_numpy(dtype=np.float64)
    elif names is None:
        raise TrainingDataError("give the feature names of a plain matrix", errors={"names": ["required"]})
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != len(names):
        raise TrainingDataError(
            f"the matrix has shape {X.shape} but {len(names)} feature names were given",
            errors={"X": ["shape does not match the names"]},
        )
    return X, tuple(str(n) for n in names)


def _labels(y, n: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n:
        raise TrainingDataError(f"{y.shape[0] if y.ndim else 0} labels for {n} rows", errors={"y": ["length"]})
    if not np.isin(y, [0, 1]).all():
        raise TrainingDataError("labels must be 0 (repaid) or 1 (default)", errors={"y": ["only 0 and 1"]})
    return y.astype(np.int64)


def _check_slice(name: str, y: np.ndarray) -> None:
    bad = int(y.sum())
    if bad < MIN_SLICE_DEFAULTS or bad == y.shape[0]:
        raise TrainingDataError(
            f"the {name} slice has {y.shape[0]} rows and {bad} defaults; each time slice needs at least "
            f"{MIN_SLICE_DEFAULTS} defaults and some repaid loans — add older or newer loans",
            errors={"y": [f"too few defaults in the {name} slice"]},
        )


def fingerprint(X: np.ndarray, y: np.ndarray) -> str:
    """SHA-256 of the training matrix and labels (the card records which data made the model)."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(X, dtype=np.float64).tobytes())
    h.update(np.ascontiguousarray(y, dtype=np.int64).tobytes())
    return h.hexdigest()


def _augment(X, groups, categories, rate, rng):
    """``X`` stacked on a copy with each row's categories hidden at random (at least one kept)."""
    if rate <= 0 or not categories:
        return X, np.arange(X.shape[0])
    hide = rng.random((X.shape[0], len(categories))) < rate
    hide[hide.all(axis=1), rng.integers(0, len(categories))] = False
    col = np.array([categories.index(g) if g in categories else -1 for g in groups])
    copy = X.copy()
    for c in range(len(categories)):
        copy[np.ix_(hide[:, c], col == c)] = np.nan
    return np.vstack([X, copy]), np.r_[np.arange(X.shape[0]), np.arange(X.shape[0])]


def fit(
    X,
    y,
    *,
    names=None,
    directions=None,
    categories=None,
    time=None,
    seed: int = 0,
    calib: float = 0.2,
    test: float = 0.25,
    mask_rate: float = 0.3,
    params: dict | None = None,
    feature_set_version: str | None = None,
) -> Fitted:
    """Train, calibrate and evaluate (see the module docstring). ``directions`` defaults to no constraint,
    ``categories`` (each feature's consent category) to none, ``time`` to the row order."""
    X, names = _as_matrix(X, names)
    y = _labels(y, X.shape[0])
    p = len(names)
    directions = np.zeros(p, dtype=np.int64) if directions is None else np.asarray(directions, dtype=np.int64)
    groups = tuple(categories) if categories is not None else ("",) * p
    if directions.shape != (p,) or len(groups) != p:
        raise TrainingDataError("one direction and one category per feature", errors={"directions": ["length"]})
    if X.shape[0] < MIN_ROWS:
        raise TrainingDataError(
            f"{X.shape[0]} labelled rows; training needs at least {MIN_ROWS}", errors={"y": ["too few rows"]}
        )
    if y.min() == y.max():
        raise TrainingDataError(
            f"every label is {int(y[0])}: a model needs both defaults and repaid loans",
            errors={"y": ["only one class"]},
        )
    if y.sum() < MIN_DEFAULTS:
        raise TrainingDataError(
            f"{int(y.sum())} defaults; training needs at least {MIN_DEFAULTS}", errors={"y": ["too few defaults"]}
        )
    order = np.argsort(np.arange(X.shape[0]) if time is None else np.asarray(time), kind="stable")
    n = X.shape[0]
    n_test, n_cal = int(round(n * test)), int(round(n * calib))
    tr, ca, te = order[: n - n_test - n_cal], order[n - n_test - n_cal : n - n_test], order[n - n_test :]
    for name, part in (("training", tr), ("calibration", ca), ("test", te)):
        _check_slice(name, y[part])

    rng = np.random.default_rng(seed)
    cats = tuple(dict.fromkeys(g for g in groups if g))
    Xa, rows = _augment(X[tr], groups, cats, mask_rate, rng)
    est = HistGradientBoostingClassifier(
        **(PARAMS | (params or {})), monotonic_cst=[int(d) for d in directions], random_state=seed
    )
    est.fit(Xa, y[tr][rows])
    Xc, rows_c = _augment(X[ca], groups, cats, mask_rate, rng)
    z = est.decision_function(Xc).reshape(-1, 1)
    platt = LogisticRegression(C=1e6, max_iter=1000).fit(z, y[ca][rows_c])
    good = _good_values(X[tr], directions)
    model = ScoringModel(
        names=names,
        directions=directions,
        groups=groups,
        estimator=est,
        platt=np.array([platt.coef_[0, 0], platt.intercept_[0]], dtype=np.float64),
        good=good,
        feature_set_version=feature_set_version,
    )
    baseline = scorecard.fit(X[tr], y[tr], names)
    report = evaluate(model, X[te], y[te], reference=X[tr], baseline=baseline)
    report["train"] = metrics.summary(y[tr], model.pd(X[tr]))
    report["calibration_slice"] = metrics.summary(y[ca], model.pd(X[ca]))
    report["training_data"] = {
        "rows": int(n),
        "defaults": int(y.sum()),
        "fingerprint": fingerprint(X, y),
        "split": {"train": int(tr.size), "calibration": int(ca.size), "test": int(te.size)},
    }
    report["params"] = {**PARAMS, **(params or {}), "mask_rate": mask_rate, "seed": seed}
    split = {"train": tr, "calibration": ca, "test": te}
    return Fitted(model=model, baseline=baseline, report=report, split=split)


def _good_values(X: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Per feature, the 10th percentile in the safe direction (the median where no direction is given)."""
    good = np.zeros(X.shape[1])
    for j in range(X.shape[1]):
        col = X[:, j][~np.isnan(X[:, j])]
        if col.size == 0:
            continue
        q = {1: 0.10, -1: 0.90}.get(int(directions[j]), 0.5)
        good[j] = np.quantile(col, q)
    return good


def evaluate(model: ScoringModel, X, y, *, reference=None, baseline=None) -> dict:
    """The evaluation written to a model card: ``X``/``y`` is the population judged (the out-of-time
    test slice), ``reference`` the population stability is measured against (the training slice)."""
    X = model.check(X)
    y = _labels(y, X.shape[0])
    p = model.pd(X)
    out = {"test": metrics.summary(y, p), "calibration_table": metrics.calibration_table(y, p)}
    out["roc"] = metrics.roc_points(y, p)
    grade = scale.grades(p)
    out["grade_distribution"] = [
        {"grade": str(g), "n": int((grade == g).sum()), "defaults": int(y[grade == g].sum())} for g in scale.GRADE_NAMES
    ]
    if baseline is not None:
        out["baseline_test"] = metrics.summary(y, baseline.pd(X))
        out["scorecard"] = baseline.table()
    if reference is not None:
        ref = model.check(reference)
        out["psi_score"] = metrics.psi(model.pd(ref), p)
        out["psi_features"] = {n: metrics.psi(ref[:, j], X[:, j]) for j, n in enumerate(model.names)}
    cats = tuple(dict.fromkeys(g for g in model.groups if g))
    if cats:
        per_pattern = {}
        for label, allowed_cats in PATTERNS.items():
            allowed = np.tile(np.array([c in allowed_cats for c in cats]), (X.shape[0], 1))
            per_pattern[label] = metrics.summary(y, model.pd(model.apply_mask(X, allowed, cats)))
        out["by_consent_pattern"] = per_pattern
    if "grade_score" in model.names:
        g = X[:, model.names.index("grade_score")]
        out["by_tax_grade"] = {
            letter: metrics.summary(y[g == v], p[g == v]) for v, letter in GRADE_LETTERS.items() if (g == v).any()
        }
    return out
