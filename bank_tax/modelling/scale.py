"""The points scale and the risk grades a probability of default (PD) is reported on.

**Points.** 600 points at good:bad odds of 50:1, 20 more points for each doubling of the odds (PDO 20),
rounded and kept within 300–900: ``points = 600 + 20/ln 2 · ln(odds / 50)`` with ``odds = (1 − PD)/PD``.
A PD of 2% is 600 points, 1% about 620, 4% about 579.

**Risk grades** (the platform's own master scale, not the tax bureau's A–D): R1 is the safest. The upper
PD bound of each grade is in :data:`GRADES`; a PD exactly on a bound belongs to the next grade.
"""

from __future__ import annotations

import numpy as np

BASE_POINTS = 600.0
BASE_ODDS = 50.0
PDO = 20.0
POINTS_RANGE = (300, 900)

GRADES: tuple[tuple[str, float], ...] = (
    ("R1", 0.005),
    ("R2", 0.01),
    ("R3", 0.02),
    ("R4", 0.04),
    ("R5", 0.08),
    ("R6", 0.15),
    ("R7", 0.30),
    ("R8", 1.0),
)
GRADE_NAMES = np.array([g for g, _ in GRADES])
_BOUNDS = np.array([b for _, b in GRADES[:-1]])


def points(pd: np.ndarray) -> np.ndarray:
    """Points on the documented scale for each PD (int64)."""
    pd = np.clip(np.asarray(pd, dtype=np.float64), 1e-9, 1 - 1e-9)
    factor = PDO / np.log(2.0)
    raw = BASE_POINTS + factor * (np.log((1 - pd) / pd) - np.log(BASE_ODDS))
    return np.clip(np.rint(raw), *POINTS_RANGE).astype(np.int64)


def grades(pd: np.ndarray) -> np.ndarray:
    """The risk grade of each PD."""
    return GRADE_NAMES[np.searchsorted(_BOUNDS, np.asarray(pd, dtype=np.float64), side="right")]
