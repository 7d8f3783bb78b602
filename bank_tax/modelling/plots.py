"""Charts of model quality for notebooks and the analysts' pages (matplotlib, no display needed).

Each function draws on a given axes (or a new figure) and returns the figure, so a notebook shows it and
a page can save it as SVG.
"""

from __future__ import annotations

import numpy as np

from bank_tax.modelling import metrics


def _axes(ax):
    if ax is not None:
        return ax.figure, ax
    import matplotlib.pyplot as plt  # without a display matplotlib draws off-screen (Agg) by itself

    fig, ax = plt.subplots(figsize=(5, 4))
    return fig, ax


def roc(curves: dict[str, tuple[np.ndarray, np.ndarray]], ax=None):
    """ROC curves of several models on the same loans: ``{label: (y, pd)}``."""
    fig, ax = _axes(ax)
    for label, (y, p) in curves.items():
        pts = metrics.roc_points(y, p)
        ax.plot(pts["fpr"], pts["tpr"], label=f"{label} (AUC {metrics.auc(y, p):.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC")
    ax.legend(loc="lower right")
    return fig


def ks(y: np.ndarray, p: np.ndarray, ax=None):
    """Cumulative PD distributions of defaults and non-defaults; KS is the largest gap."""
    fig, ax = _axes(ax)
    grid = np.sort(p)
    for label, sel in (("defaults", y == 1), ("repaid", y == 0)):
        ax.plot(grid, np.searchsorted(np.sort(p[sel]), grid, side="right") / max(sel.sum(), 1), label=label)
    ax.set(xlabel="predicted PD", ylabel="cumulative share", title=f"KS {metrics.ks(y, p):.3f}")
    ax.legend()
    return fig


def calibration(curves: dict[str, tuple[np.ndarray, np.ndarray]], ax=None):
    """Observed default rate against mean predicted PD per decile, for each model."""
    fig, ax = _axes(ax)
    top = 0.0
    for label, (y, p) in curves.items():
        t = metrics.calibration_table(y, p)
        xs, ys = [b["predicted"] for b in t], [b["observed"] for b in t]
        top = max(top, *xs, *ys)
        ax.plot(xs, ys, marker="o", label=f"{label} (ECE {metrics.ece(y, p):.3f})")
    ax.plot([0, top], [0, top], color="grey", linestyle=":")
    ax.set(xlabel="mean predicted PD", ylabel="observed default rate", title="calibration")
    ax.legend()
    return fig


def score_distribution(scores: dict[str, np.ndarray], ax=None):
    """Histograms of points (or PDs) of several populations or models."""
    fig, ax = _axes(ax)
    allv = np.concatenate([np.asarray(v, dtype=float) for v in scores.values()])
    bins = np.histogram_bin_edges(allv, bins=30)
    for label, v in scores.items():
        ax.hist(v, bins=bins, alpha=0.5, density=True, label=label)
    ax.set(xlabel="score", ylabel="density", title="score distribution")
    ax.legend()
    return fig


def heat(table: dict[str, dict[str, float]], ax=None, title: str = "PSI"):
    """A periods × features heat map (e.g. :func:`bank_tax.modelling.monitoring.psi_by_period`)."""
    fig, ax = _axes(ax)
    periods = list(table)
    names = list(next(iter(table.values()))) if table else []
    grid = np.array([[table[p][n] for n in names] for p in periods])
    im = ax.imshow(grid.T, aspect="auto", cmap="Reds", vmin=0, vmax=max(0.25, float(grid.max()) if grid.size else 0.25))
    ax.set_xticks(range(len(periods)), periods, rotation=90)
    ax.set_yticks(range(len(names)), names, fontsize=6)
    ax.set_title(title)
    fig.colorbar(im, ax=ax)
    return fig
