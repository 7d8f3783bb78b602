import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score, roc_curve

from bank_tax.modelling import metrics, scale


@pytest.fixture
def yp():
    rng = np.random.default_rng(0)
    p = rng.random(3000) ** 2
    y = (rng.random(3000) < p).astype(int)
    p[:50] = 0.25  # ties
    return y, p


def test_auc_and_brier_match_scikit_learn(yp):
    y, p = yp
    assert metrics.auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert metrics.brier(y, p) == pytest.approx(brier_score_loss(y, p))
    assert metrics.summary(y, p)["gini"] == pytest.approx(2 * roc_auc_score(y, p) - 1)


def test_ks_is_the_largest_gap_of_the_roc_curve(yp):
    y, p = yp
    fpr, tpr, _ = roc_curve(y, p)
    assert metrics.ks(y, p) == pytest.approx(np.max(tpr - fpr), abs=1e-12)


def test_one_class_gives_nan_not_an_error():
    assert np.isnan(metrics.auc([0, 0, 0], [0.1, 0.2, 0.3]))
    assert np.isnan(metrics.ks([1, 1], [0.1, 0.2]))


def test_calibration_error_is_small_for_calibrated_and_large_for_shifted(yp):
    y, p = yp
    assert metrics.ece(y, p) < 0.03
    assert metrics.ece(y, np.clip(p + 0.2, 0, 1)) > 0.15
    table = metrics.calibration_table(y, p)
    assert sum(b["n"] for b in table) == y.size and len(table) == 10


def test_psi_zero_for_the_same_population_and_large_for_a_shift():
    rng = np.random.default_rng(1)
    a = rng.normal(size=5000)
    assert metrics.psi(a, a) == pytest.approx(0.0, abs=1e-12)
    assert metrics.psi(a, rng.normal(size=5000)) < 0.02
    assert metrics.psi(a, rng.normal(1.0, 1.0, size=5000)) > 0.25
    with_missing = a.copy()
    with_missing[:2500] = np.nan  # half the population stops sharing the category: a shift too
    assert metrics.psi(a, with_missing) > 0.25


def test_points_scale_and_grades():
    assert scale.points(np.array([1 / 51]))[0] == 600  # odds 50:1
    assert scale.points(np.array([1 / 101]))[0] == 620  # odds doubled: +20 points (PDO)
    assert list(scale.points(np.array([1e-12, 1 - 1e-12]))) == [900, 300]
    assert list(scale.grades(np.array([0.001, 0.005, 0.019, 0.5]))) == ["R1", "R2", "R3", "R8"]
