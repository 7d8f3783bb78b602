"""The benchmark harness: each case times our path and a reference implementation in the same run.

A case is a function ``(size) -> Case`` registered with :func:`case`; it prepares its data untimed and
returns the two callables and a check that both produced the same answer (a fast wrong answer is not a
speed-up). Later issues add their cases in their own ``bench`` modules.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

CASES: dict[str, tuple[Callable[[int], Case | None], int, int]] = {}


@dataclass
class Case:
    """One benchmark: what is measured, how many items, the two callables and the agreement check."""

    ours: Callable[[], object]
    reference: Callable[[], object]
    agree: Callable[[object, object], bool]
    unit: str = "items"
    reference_name: str = "reference"
    repeats: int | None = None  # None: the harness default (best of 3); 1 for runs that consume their input
    notes: str = ""


def case(name: str, *, size: int, quick_size: int):
    """Register a benchmark case under ``name`` with its full and ``--quick`` sizes."""

    def register(fn: Callable[[int], Case]):
        CASES[name] = (fn, size, quick_size)
        return fn

    return register


def best_of(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Best wall time of ``repeats`` runs (the least disturbed one), and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def run(names: list[str] | None = None, *, quick: bool = False, repeats: int = 3) -> list[dict]:
    """Run the selected cases and return one result row per case."""
    rows = []
    for name, (make, size, quick_size) in CASES.items():
        if names and name not in names:
            continue
        n = quick_size if quick else size
        c = make(n)
        if c is None:  # the case needs something this machine lacks (e.g. PostgreSQL)
            continue
        ours_t, ours_r = best_of(c.ours, c.repeats or repeats)
        ref_t, ref_r = best_of(c.reference, c.repeats or repeats)
        rows.append(
            {
                "case": name,
                "n": n,
                "unit": c.unit,
                "ours_s": round(ours_t, 4),
                "reference": c.reference_name,
                "reference_s": round(ref_t, 4),
                "ratio": round(ours_t / ref_t, 3) if ref_t else None,
                "ours_per_s": round(n / ours_t) if ours_t else None,
                "agree": bool(c.agree(ours_r, ref_r)),
                "notes": c.notes,
            }
        )
    return rows


def timed(env: dict, *args: str, cwd=None) -> tuple[float, str]:
    """``python *args`` in a process of its own (its peak memory is its own): wall seconds and its output;
    raises with the end of its errors when it fails."""
    import subprocess
    import sys
    import time

    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return time.perf_counter() - t0, done.stdout
