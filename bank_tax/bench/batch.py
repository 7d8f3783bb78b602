"""``python -m bank_tax.bench.batch``: the scoring stage by partitions at growing province sizes.

For each size a synthetic province is generated and ingested into a throwaway SQLite database with a
champion, then ``flask pipeline run`` scores it in a subprocess of its own three ways: by partitions one
after another, by partitions on a process pool, and as one partition holding every firm (the reference:
the whole population in memory at once, as before partitions); and a fourth way, the province export
scored by the Spark job on ``local[2]`` (reported beside the pool, not a target). Printed per run: seconds, milliseconds
per firm and the peak resident memory of the processes that did the work. Partitioned, time per firm
and peak memory should stay flat as the province grows; the single partition's memory grows with it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path

from bank_tax.bench.harness import timed

REPO = Path(__file__).resolve().parents[2]


def _province(tmp: Path, firms: int, months: int, seed: int) -> dict:
    """Generate, ingest and register a champion; return the environment a ``flask`` subprocess needs."""
    from bank_tax import clock, create_app, demo, migrate
    from bank_tax.bench.modelling import _model_and_rows
    from bank_tax.db import db
    from bank_tax.modelling.registry import Registry
    from bank_tax.synth.province import SynthParams, generate
    from bank_tax.synth.writers import write_province

    params = SynthParams.make(firms=firms, months=months, seed=seed, end_period="2026-09", faults=False)
    write_province(generate(params), tmp / "province")
    url = f"sqlite:///{tmp / 'bench.sqlite'}"
    migrate.upgrade(url)
    app = create_app(instance_path=str(tmp / "instance"), DATABASE_URL=url, MODEL_DIR=str(tmp / "models"))
    with app.app_context(), db.scope() as session:
        demo.load_records(session, tmp / "province")
    db.engine_of(app).dispose()
    model, _ = _model_and_rows(1)
    reg = Registry(tmp / "models")
    reg.promote(reg.register(model, {"data": {"source": "bench"}, "evaluation": {}}))
    return {
        **os.environ,
        "DATABASE_URL": url,
        "MODEL_DIR": str(tmp / "models"),
        "BANK_TAX_INSTANCE_PATH": str(tmp / "instance"),
        "AS_OF": clock.day_start(params.as_of).isoformat(),
    }


def _score(env: dict, *, workers: int, partition_firms: int) -> dict:
    """One ``pipeline run`` in a subprocess (a new run each time: the earlier one finished): its wall time,
    firms and the workers' peak memory."""
    args = ["pipeline", "run", "--no-ingest", "--as-of", env["AS_OF"], "--workers", str(workers)]
    args += ["--partition-firms", str(partition_firms)]
    seconds, out = timed(env, "-m", "flask", "--app", "app", *args, cwd=REPO)
    firms = int(re.search(r"\((\d+) firms", out).group(1))
    peak = float(re.search(r"peak (\d+) MB", out).group(1))
    return {
        "seconds": round(seconds, 2),
        "firms": firms,
        "ms_per_firm": round(1000 * seconds / firms, 3),
        "peak_mb": peak,
    }


def _spark(env: dict, tmp: Path, *, partition_firms: int) -> dict:
    """The same scores on Spark ``local[2]``: the province export (pool of 2), then the Spark job over it,
    each timed; memory is not compared (a JVM beside Python workers)."""
    args = ["batch", "export", "--as-of", env["AS_OF"], "--workers", "2", "--partition-firms", str(partition_firms)]
    exported, out = timed(env, "-m", "flask", "--app", "app", *args, cwd=REPO)
    folder = out.strip().rsplit(" to ", 1)[-1]
    firms = int(re.search(r"exported (\d+) firms", out).group(1))
    job = ["-m", "bank_tax.batch.spark", folder, "--out", str(tmp / "scored"), "--master", "local[2]"]
    scored, _ = timed(env, *job, cwd=REPO)
    seconds = exported + scored
    return {
        "seconds": round(seconds, 2),
        "export_seconds": round(exported, 2),
        "spark_seconds": round(scored, 2),
        "firms": firms,
        "ms_per_firm": round(1000 * seconds / firms, 3),
        "peak_mb": None,
    }


def run(sizes: list[int], *, partition_firms: int, months: int = 24, seed: int = 7) -> list[dict]:
    """The three runs at every size; returns one row per (size, way)."""
    rows = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="bank-tax-batch-bench-") as tmp:
            env = _province(Path(tmp), n, months, seed)
            ways = [
                ("partitions, serial", 1, partition_firms),
                ("partitions, pool of 2", 2, partition_firms),
                ("one partition (reference)", 1, max(n, 1)),
            ]
            for way, workers, size in [*ways, ("export + Spark local[2]", 0, partition_firms)]:
                if workers:
                    r = _score(env, workers=workers, partition_firms=size)
                else:
                    r = _spark(env, Path(tmp), partition_firms=size)
                rows.append({"firms": n, "way": way, "partition_firms": size, **r})
                print(
                    f"{n:>8} firms  {way:<26} {r['seconds']:>8.2f} s  {r['ms_per_firm']:>7.3f} ms/firm  "
                    + (f"peak {r['peak_mb']:>6.0f} MB" if r["peak_mb"] is not None else "peak      — (JVM)"),
                    flush=True,
                )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bank_tax.bench.batch", description=__doc__)
    parser.add_argument("--firms", type=int, nargs="+", default=[4000, 16000])
    parser.add_argument("--partition-firms", type=int, default=2000)
    parser.add_argument("--out", default="bench-batch.json")
    args = parser.parse_args(argv)
    rows = run(args.firms, partition_firms=args.partition_firms)
    Path(args.out).write_text(json.dumps(rows, indent=2), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
