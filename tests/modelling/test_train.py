import numpy as np
import pandas as pd
import pytest

from bank_tax.features.catalogue import NAMES
from bank_tax.modelling import train
from tests.modelling.data import CATEGORIES, DIRECTIONS, catalogue_matrix


def test_fit_reports_out_of_time_metrics_and_the_baseline(fitted):
    r = fitted.report
    assert r["training_data"]["split"] == {"train": 2200, "calibration": 800, "test": 1000}
    assert 0.7 < r["test"]["auc"] < 0.95 and 0.7 < r["baseline_test"]["auc"] < 0.95
    assert r["test"]["ece"] < 0.04
    assert set(r["by_consent_pattern"]) == set(train.PATTERNS)
    # hiding the tax category (where the signal is) must cost discrimination
    assert r["by_consent_pattern"]["everything but tax"]["auc"] < r["by_consent_pattern"]["all categories"]["auc"]
    assert set(r["by_tax_grade"]) <= {"A", "B", "M", "C", "D"}
    assert len(r["training_data"]["fingerprint"]) == 64
    assert any(row["feature"] == "late_filings_12m" for row in r["scorecard"])


def test_time_split_trains_on_old_and_tests_on_new(fitted):
    s = fitted.split
    assert s["train"].max() < s["calibration"].min() <= s["calibration"].max() < s["test"].min()


def test_more_arrears_never_lowers_the_pd(fitted):
    """Monotonic constraints from the catalogue's directions: all else equal, more is riskier."""
    X, _, _ = catalogue_matrix(300, seed=5)
    model = fitted.model
    for name in ("open_arrears", "late_filings_12m", "si_arrears_months_12m", "arrears_count_24m"):
        j = NAMES.index(name)
        grid = np.quantile(X[:, j][~np.isnan(X[:, j])], np.linspace(0, 1, 8))
        pds = []
        for v in grid:
            Xv = X.copy()
            Xv[:, j] = v
            pds.append(model.pd(Xv))
        assert np.all(np.diff(np.array(pds), axis=0) >= -1e-12), name
    j = NAMES.index("grade_score")  # a better tax-credit grade never raises it
    low, high = X.copy(), X.copy()
    low[:, j], high[:, j] = 1.0, 4.0
    assert np.all(model.pd(high) <= model.pd(low) + 1e-12)
    assert np.mean(model.pd(high)) < np.mean(model.pd(low))


def test_reasons_are_faithful(fitted):
    """Moving the top reason's feature to its good value lowers the PD more than moving any feature that
    is not a reason; reasons are features the row has a value for."""
    X, _, _ = catalogue_matrix(200, seed=8)
    model = fitted.model
    n, p = X.shape
    r = model.reasons(X, k=3)
    base = model.pd(X)
    # drop[i, j]: how much row i's PD falls when only feature j is moved to its good value
    moved = np.repeat(X[None], p, axis=0)
    for j in range(p):
        moved[j, :, j] = model.good[j]
    drop = base[:, None] - model.pd(moved.reshape(-1, p)).reshape(p, n).T
    has_reason = r.index[:, 0] >= 0
    assert has_reason.mean() > 0.9
    rows = np.nonzero(has_reason)[0]
    top = r.index[rows, 0]
    assert np.allclose(drop[rows, top], r.weight[rows, 0])
    not_reason = np.ones((n, p), dtype=bool)
    for k in range(3):
        ok = r.index[:, k] >= 0
        not_reason[np.nonzero(ok)[0], r.index[ok, k]] = False
    not_reason &= ~np.isnan(X)
    assert (drop[rows, top][:, None] >= np.where(not_reason[rows], drop[rows], -np.inf) - 1e-12).all()
    assert not_reason.sum() > 1000
    assert all(not np.isnan(X[i, j]) for i in range(n) for j in r.index[i] if j >= 0)
    # rows with many late filings name it among their reasons
    risky = X.copy()
    risky[:, NAMES.index("late_filings_12m")] = 8
    assert (model.reasons(risky, k=3).index == NAMES.index("late_filings_12m")).any(axis=1).mean() > 0.8


def test_a_bank_mask_hides_the_categories_it_may_not_use(fitted):
    X, _, _ = catalogue_matrix(50, seed=9)
    model = fitted.model
    cats = ("tax", "social_insurance", "housing_fund", "utilities", "public_credit")
    allowed = np.zeros((50, 5), dtype=bool)
    allowed[:, 0] = True  # tax only
    masked = model.apply_mask(X, allowed, cats)
    tax = np.array([g == "tax" for g in CATEGORIES])
    assert np.isnan(masked[:, ~tax]).all()
    assert np.array_equal(np.isnan(masked[:, tax]), np.isnan(X[:, tax]))
    assert np.allclose(model.score(X, allowed=allowed, categories=cats).pd, model.pd(masked))


def test_plain_pandas_input_with_the_analysts_own_catalogue():
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"debt": rng.gamma(2, 1, 1500), "cash": rng.normal(size=1500), "noise": rng.normal(size=1500)})
    y = (rng.random(1500) < 1 / (1 + np.exp(-(-3 + 0.8 * df.debt - 0.5 * df.cash)))).astype(int)
    f = train.fit(df, pd.Series(y), directions=[1, -1, 0])
    assert f.model.names == ("debt", "cash", "noise")
    assert f.report["test"]["auc"] > 0.7
    assert f.model.pd(df.iloc[:5]).shape == (5,)
    with pytest.raises(ValueError, match="lacks the model's features"):
        f.model.pd(df[["debt", "cash"]])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda X, y: (X, np.zeros_like(y)), "every label is 0"),
        (lambda X, y: (X[:50], y[:50]), "at least 200"),
        (lambda X, y: (X, np.where(np.arange(y.size) < 5, 1, 0)), "defaults; training needs at least"),
        (lambda X, y: (X, y[:-1]), "labels for"),
        (lambda X, y: (X, y * 2), r"0 \(repaid\) or 1 \(default\)"),
        (lambda X, y: (X[:, :-1], y), "feature names"),
        # all defaults in the oldest loans: the newer slices have none
        (lambda X, y: (X, np.where(np.arange(y.size) < 300, 1, 0)), "slice has"),
    ],
)
def test_data_that_cannot_train_fails_with_a_clear_message(make, message):
    X, y, _ = catalogue_matrix(1000, seed=3)
    Xb, yb = make(X, y)
    with pytest.raises(train.TrainingDataError, match=message) as exc:
        train.fit(Xb, yb, names=NAMES, directions=DIRECTIONS, categories=CATEGORIES)
    assert exc.value.status == 422 and exc.value.errors


def test_the_flat_forest_predicts_exactly_as_scikit_learn(fitted):
    """Small batches are scored by walking the trees with numpy; it must be the same function."""
    from bank_tax.modelling.model import SMALL_BATCH, Forest

    X, _, _ = catalogue_matrix(SMALL_BATCH, seed=21)
    X[::3, ::2] = np.nan  # missing values take the learned branch
    est = fitted.model.estimator
    assert np.allclose(Forest(est).raw(X), est.decision_function(X), rtol=0, atol=1e-12)
    big, _, _ = catalogue_matrix(SMALL_BATCH + 1, seed=22)
    assert np.allclose(fitted.model.pd(big[:10]), fitted.model.pd(big)[:10], rtol=0, atol=1e-12)


def test_scikit_learn_is_a_version_the_flat_forest_reads(fitted):
    """The flat forest walks scikit-learn's private tree arrays: setup.cfg admits only the minor versions
    this was tested on, and every private attribute and field it reads must be there."""
    import re
    from pathlib import Path

    import sklearn

    from bank_tax.modelling.model import forest_problem

    setup = (Path(__file__).resolve().parents[2] / "setup.cfg").read_text()
    low, high = re.search(r"^\s*scikit-learn>=(\d+\.\d+),<(\d+\.\d+)\s*$", setup, re.M).groups()
    minor = tuple(int(x) for x in sklearn.__version__.split(".")[:2])
    as_tuple = [tuple(int(x) for x in v.split(".")) for v in (low, high)]
    assert as_tuple[0] <= minor < as_tuple[1], f"scikit-learn {sklearn.__version__} is outside >={low},<{high}"
    assert forest_problem(fitted.model.estimator) is None


def test_a_model_the_flat_forest_cannot_read_is_scored_by_scikit_learn_and_says_so(fitted, caplog):
    """Another scikit-learn's internals (here: an estimator with none of them) turn the fast path off with
    a clear error in the log; scoring goes on through the public ``decision_function``."""
    import dataclasses

    from sklearn.linear_model import LogisticRegression

    from bank_tax.modelling.model import FlatForestUnsupported, Forest

    X, y, _ = catalogue_matrix(600, seed=23)
    X = np.nan_to_num(X)
    X = (X - X.mean(axis=0)) / np.where(X.std(axis=0) > 0, X.std(axis=0), 1)  # so the solver converges
    public_only = LogisticRegression(max_iter=2000).fit(X, y)
    model = dataclasses.replace(fitted.model, estimator=public_only, version="v-test")
    with pytest.raises(FlatForestUnsupported, match=r"scikit-learn \d+\.\d+.*no private `_predictors`"):
        Forest(public_only)
    with caplog.at_level("ERROR", logger="bank_tax.modelling.model"):
        assert not model.fast_path()
        p = model.pd(X[:5])  # a small batch: would be the flat forest's
    assert [r.getMessage() for r in caplog.records if "flat forest is off" in r.getMessage()][0].startswith(
        "model v-test: the flat forest is off"
    )
    a, b = model.platt
    assert np.allclose(p, 1 / (1 + np.exp(-(a * public_only.decision_function(X[:5]) + b))), rtol=0, atol=1e-12)
    caplog.clear()
    model.pd(X[:5])
    assert not caplog.records  # said once, not on every request
