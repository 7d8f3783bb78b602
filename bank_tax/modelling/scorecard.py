"""The transparent baseline: binned weight of evidence + logistic regression, points scaled by PDO.

Each feature is cut at up to ``bins − 1`` training quantiles, missing values get their own bin; a
bin's WoE is ln(share of non-defaults / share of defaults) (half a count added to each side so an
empty bin stays finite). A logistic regression on the WoE columns gives the log-odds; each bin's points
are its share of ``600 + 20/ln 2 · ln(odds/50)``, so a firm's score is the sum of its bins' points and
a loan officer can add it up by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from bank_tax.modelling import scale


@dataclass
class Scorecard:
    names: tuple[str, ...]
    edges: list[np.ndarray]
    woe: list[np.ndarray]  # per feature: one value per bin, the last bin is "missing"
    coef: np.ndarray
    intercept: float

    def _bins(self, X: np.ndarray) -> list[np.ndarray]:
        return [
            np.where(np.isnan(X[:, j]), self.edges[j].size + 1, np.searchsorted(self.edges[j], X[:, j], side="right"))
            for j in range(X.shape[1])
        ]

    def woe_matrix(self, X: np.ndarray) -> np.ndarray:
        return np.column_stack([self.woe[j][b] for j, b in enumerate(self._bins(X))])

    def pd(self, X: np.ndarray) -> np.ndarray:
        z = self.woe_matrix(X) @ self.coef + self.intercept
        return 1 / (1 + np.exp(-z))

    def table(self) -> list[dict]:
        """Points per feature and bin (for the model card)."""
        factor = scale.PDO / np.log(2.0)
        offset = scale.BASE_POINTS - factor * np.log(scale.BASE_ODDS)
        p = len(self.names)
        rows = []
        for j, name in enumerate(self.names):
            e = self.edges[j]
            labels = [f"< {e[0]:g}"] if e.size else ["all"]
            labels += [f"[{e[i]:g}, {e[i + 1]:g})" for i in range(e.size - 1)]
            labels += [f"≥ {e[-1]:g}"] if e.size else []
            labels += ["missing"]
            for b, label in enumerate(labels):
                pts = offset / p - factor * (self.coef[j] * self.woe[j][b] + self.intercept / p)
                rows.append(
                    {"feature": name, "bin": label, "woe": float(self.woe[j][b]), "points": round(float(pts), 1)}
                )
        return rows


def fit(X: np.ndarray, y: np.ndarray, names: tuple[str, ...], bins: int = 5) -> Scorecard:
    """Fit the binned-WoE logistic scorecard on a training slice."""
    edges, woes = [], []
    good_total, bad_total = (y == 0).sum() + 0.5, (y == 1).sum() + 0.5
    for j in range(X.shape[1]):
        col = X[:, j]
        ok = col[~np.isnan(col)]
        e = np.unique(np.quantile(ok, np.linspace(0, 1, bins + 1)[1:-1])) if ok.size else np.array([])
        b = np.where(np.isnan(col), e.size + 1, np.searchsorted(e, col, side="right"))
        goods = np.bincount(b[y == 0], minlength=e.size + 2) + 0.5
        bads = np.bincount(b[y == 1], minlength=e.size + 2) + 0.5
        edges.append(e)
        woes.append(np.log((goods / good_total) / (bads / bad_total)))
    card = Scorecard(tuple(names), edges, woes, np.zeros(X.shape[1]), 0.0)
    lr = LogisticRegression(C=0.5, max_iter=2000).fit(card.woe_matrix(X), y)
    card.coef, card.intercept = lr.coef_[0].astype(np.float64), float(lr.intercept_[0])
    return card
