"""Model evaluation: discrimination (AUC, Gini, KS), accuracy (Brier), calibration and stability (PSI).

Plain numpy over whole arrays; every function takes the observed labels ``y`` (1 = default) and the
predicted PDs ``p``. Used by training (the model card), the monitoring notebook and the tests.
"""

from __future__ import annotations

import numpy as np


def _check(y, p) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    if y.shape != p.shape:
        raise ValueError(f"labels and predictions differ in length ({y.shape[0]} vs {p.shape[0]})")
    return y, p


def _classes(y: np.ndarray) -> tuple[float, float]:
    """Defaults and non-defaults (0 of either makes ranking metrics undefined)."""
    n1 = y.sum()
    return n1, y.shape[0] - n1


def auc(y, p) -> float:
    """Area under the ROC curve (ties count half); NaN when only one class is present."""
    y, p = _check(y, p)
    n1, n0 = _classes(y)
    if n1 == 0 or n0 == 0:
        return float("nan")
    order = np.argsort(p, kind="mergesort")
    ps = p[order]
    ranks = np.empty_like(ps)
    # average rank of each run of equal predictions
    starts = np.r_[0, np.nonzero(np.diff(ps))[0] + 1]
    ends = np.r_[starts[1:], ps.shape[0]]
    avg = (starts + ends + 1) / 2.0
    ranks[:] = np.repeat(avg, ends - starts)
    r1 = ranks[y[order] == 1].sum()
    return float((r1 - n1 * (n1 + 1) / 2) / (n1 * n0))


def ks(y, p) -> float:
    """Kolmogorov–Smirnov: the largest gap between the PD distributions of defaults and non-defaults."""
    y, p = _check(y, p)
    n1, n0 = _classes(y)
    if n1 == 0 or n0 == 0:
        return float("nan")
    order = np.argsort(p, kind="mergesort")
    ps, ys = p[order], y[order]
    last = np.r_[np.diff(ps) != 0, True]  # evaluate only between distinct predictions
    c1 = np.cumsum(ys)[last] / n1
    c0 = np.cumsum(1 - ys)[last] / n0
    return float(np.max(np.abs(c1 - c0)))


def brier(y, p) -> float:
    """Mean squared error of the PDs."""
    y, p = _check(y, p)
    return float(np.mean((p - y) ** 2))


def calibration_table(y, p, bins: int = 10) -> list[dict]:
    """Equal-count bins of predicted PD: count, mean predicted PD and observed default rate in each."""
    y, p = _check(y, p)
    order = np.argsort(p, kind="mergesort")
    out = []
    for part in np.array_split(order, min(bins, max(p.shape[0], 1))):
        if part.size:
            out.append({"n": int(part.size), "predicted": float(p[part].mean()), "observed": float(y[part].mean())})
    return out


def ece(y, p, bins: int = 10) -> float:
    """Expected calibration error: the count-weighted mean |predicted − observed| over equal-count bins."""
    table = calibration_table(y, p, bins)
    n = sum(b["n"] for b in table)
    return float(sum(b["n"] * abs(b["predicted"] - b["observed"]) for b in table) / max(n, 1))


def psi(expected, actual, bins: int = 10) -> float:
    """Population stability index of ``actual`` against ``expected`` over the expected deciles.

    Missing values form their own bin (a consent pattern changing is a shift too). Below 0.1 is stable,
    0.1–0.25 worth a look, above 0.25 a shift.
    """
    e = np.asarray(expected, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    e_ok, a_ok = e[~np.isnan(e)], a[~np.isnan(a)]
    edges = np.unique(np.quantile(e_ok, np.linspace(0, 1, bins + 1)[1:-1])) if e_ok.size else np.array([])
    ce = np.r_[np.bincount(np.searchsorted(edges, e_ok, side="right"), minlength=edges.size + 1), np.isnan(e).sum()]
    ca = np.r_[np.bincount(np.searchsorted(edges, a_ok, side="right"), minlength=edges.size + 1), np.isnan(a).sum()]
    pe = np.maximum(ce / max(e.size, 1), 1e-4)
    pa = np.maximum(ca / max(a.size, 1), 1e-4)
    return float(np.sum((pa - pe) * np.log(pa / pe)))


def roc_points(y, p, n: int = 101) -> dict[str, list[float]]:
    """The ROC curve at up to ``n`` thresholds (for charts)."""
    y, p = _check(y, p)
    thresholds = np.unique(np.quantile(p, np.linspace(0, 1, n)))[::-1]
    n1, n0 = max(y.sum(), 1), max((1 - y).sum(), 1)
    tpr = [float(((p >= t) & (y == 1)).sum() / n1) for t in thresholds]
    fpr = [float(((p >= t) & (y == 0)).sum() / n0) for t in thresholds]
    return {"fpr": [0.0, *fpr, 1.0], "tpr": [0.0, *tpr, 1.0]}


def summary(y, p) -> dict:
    """The headline figures of one population: n, defaults, AUC, Gini, KS, Brier, ECE."""
    y, p = _check(y, p)
    a = auc(y, p)
    return {
        "n": int(y.shape[0]),
        "defaults": int(y.sum()),
        "default_rate": float(y.mean()) if y.size else float("nan"),
        "mean_pd": float(p.mean()) if p.size else float("nan"),
        "auc": a,
        "gini": 2 * a - 1,
        "ks": ks(y, p),
        "brier": brier(y, p) if y.size else float("nan"),
        "ece": ece(y, p) if y.size else float("nan"),
    }
