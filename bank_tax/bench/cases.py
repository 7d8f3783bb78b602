"""Benchmark cases of the foundation: USCC validation over a batch, columnar vs. one code at a time."""

from __future__ import annotations

import numpy as np

from bank_tax.bench.harness import Case, case
from bank_tax.enterprises import uscc


@case("uscc_validate", size=1_000_000, quick_size=20_000)
def uscc_validate(n: int) -> Case:
    """Validate n codes (1% corrupted): vectorised ``check_many`` vs. ``validate`` in a Python loop."""
    rng = np.random.default_rng(7)
    alphabet = np.array(list(uscc.ALPHABET))
    base = [uscc.make(division="330106", body8="MA" + "".join(alphabet[rng.integers(0, 31, 6)])) for _ in range(2000)]
    codes = np.array(base * (n // len(base) + 1))[:n]
    bad = rng.choice(n, n // 100, replace=False)
    codes[bad] = np.char.add(np.char.ljust(codes[bad].astype("U17"), 17), "0")

    def loop():
        out = np.empty(n, dtype=bool)
        for i, c in enumerate(codes.tolist()):
            try:
                uscc.validate(c)
                out[i] = True
            except uscc.UsccError:
                out[i] = False
        return out

    return Case(
        ours=lambda: uscc.check_many(codes),
        reference=loop,
        agree=lambda a, b: bool((a == b).all()),
        unit="codes",
        reference_name="validate() per code",
    )
