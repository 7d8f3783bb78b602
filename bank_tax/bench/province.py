"""``python -m bank_tax.bench.province --firms N``: the daily batch of a province of N firms, stage by stage.

The province (N firms × 36 months of every category, 4 banks × 50 products, pre-screening consents from
70% of firms) is bulk-loaded into PostgreSQL when ``BANK_TAX_TEST_DATABASE`` names a server (``make bench``
runs under ``tests/with-postgres.sh``), else into SQLite. Each stage then runs in a process of its own, as
the CLI would run it, so each process's peak memory is its own: scores (features and the champion's
scores, on the pool), whitelists for the 4 banks in one run and for 1 bank alone (the reference of the
shared reads: target ≤ 1.3×), the targeted push, the province export and the Spark job over it on
``local[2]`` (beside the pool, not a target), and the match endpoint under load against the province's
database (gunicorn, wrk at 16 connections, every answer computed, firms drawn over the whole province:
target p99 ≤ 150 ms). Printed per stage: seconds, firms per second, milliseconds
per firm and the peak resident memory of every process that worked (target ≤ 2 GB, flat in N).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bank_tax.bench.harness import timed

REPO = Path(__file__).resolve().parents[2]


def _database(tmp: Path) -> str:
    admin = os.environ.get("BANK_TAX_TEST_DATABASE")
    if admin and admin != "sqlite":
        from bank_tax.bench.sources import _fresh_postgres

        return _fresh_postgres(admin)
    return f"sqlite:///{tmp / 'province.sqlite'}"


def stage(name: str, *, workers: int, partition_firms: int, banks: list[str] | None = None) -> dict:
    """Run one stage in this process (the app from the environment) and return what it did."""
    from bank_tax import create_app
    from bank_tax.batch import runner
    from bank_tax.batch.runner import peak_rss_mb

    app = create_app()
    with app.app_context():
        t0 = time.perf_counter()
        params = {"banks": banks, "trigger": "bench"} if banks else None
        summary = runner.run(name, as_of=None, workers=workers, partition_firms=partition_firms, params=params)
        seconds = time.perf_counter() - t0
    peaks = {**summary.peak_rss_mb, f"pid {os.getpid()} (driver)": round(peak_rss_mb(), 1)}
    return {
        "status": summary.status,
        "firms": summary.firms,
        "partitions": summary.partitions,
        "seconds": seconds,
        "peak_rss_mb": peaks,
    }


def _stage(env: dict, name: str, *, workers: int, partition_firms: int, banks=None) -> dict:
    args = ["-m", "bank_tax.bench.province", "--stage", name, "--workers", str(workers)]
    args += ["--partition-firms", str(partition_firms)] + (["--banks", *banks] if banks else [])
    _, out = timed(env, *args)
    return json.loads(out.strip().splitlines()[-1])


def province(n: int, *, workers: int, partition_firms: int) -> list[dict]:
    """Build the province and run every stage; one row per stage."""
    from bank_tax.bench.matching import bank_codes, build
    from bank_tax.store import root

    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bank-tax-province-") as tmp:
        url = _database(Path(tmp))
        t0 = time.perf_counter()
        app = build(n, url=url, n_banks=4, progress=True)
        built = time.perf_counter() - t0
        from bank_tax.batch.runner import peak_rss_mb

        print(
            f"{n:>9} firms  built in {built:.0f} s on {url.split(':', 1)[0]}, peak {peak_rss_mb():.0f} MB"
            " (generated and loaded a slice at a time)",
            flush=True,
        )
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "MODEL_DIR": app.config["MODEL_DIR"],
            "BANK_TAX_INSTANCE_PATH": app.instance_path,
        }
        banks = bank_codes(4)
        plan = [
            ("scores", "scores", {}),
            ("whitelists, 4 banks", "whitelists", {"banks": banks}),
            ("whitelists, 1 bank", "whitelists", {"banks": banks[:1]}),
            ("push", "push", {}),
            ("export", "export", {}),
        ]
        for label, name, kw in plan:
            r = _stage(env, name, workers=workers, partition_firms=partition_firms, **kw)
            rows.append({"firms": n, "stage": label, **r})
            _print(rows[-1])
        with app.app_context():
            exports = sorted((root() / "exports").glob("run-*"))
        job = [
            "-m",
            "bank_tax.batch.spark",
            str(exports[-1]),
            "--out",
            str(Path(tmp) / "scored"),
            "--master",
            "local[2]",
        ]
        seconds, _ = timed(env, *job, cwd=REPO)
        rows.append(
            {
                "firms": n,
                "stage": "Spark local[2] over the export",
                "status": "done",
                "seconds": seconds,
                "peak_rss_mb": {},
            }
        )
        _print(rows[-1])
        from bank_tax.bench import load

        served = load.cold(app)
        if served:
            m, t = served["matches"], served["trivial"]
            rows.append({"firms": n, "stage": "match endpoint, cold, 16 connections", "status": "done", **served})
            print(
                f"{n:>9} firms  match endpoint, answers computed, firms drawn over the province, gunicorn 2 workers, "
                f"wrk {load.CONNECTIONS} connections: p50 {m['p50_ms']:.1f} ms, p99 {m['p99_ms']:.1f} ms "
                f"(target ≤ 150 ms), {m['rps']:.0f} req/s, {m['errors']} errors; trivial endpoint p99 "
                f"{t['p99_ms']:.1f} ms",
                flush=True,
            )
        four, one = rows[1]["seconds"], rows[2]["seconds"]
        print(f"{n:>9} firms  whitelists for 4 banks / 1 bank: {four / one:.2f}× (target ≤ 1.3×)", flush=True)
    return rows


def _print(r: dict) -> None:
    peak = max(r["peak_rss_mb"].values(), default=0.0)
    rate = r["firms"] / r["seconds"] if r["seconds"] else 0.0
    print(
        f"{r['firms']:>9} firms  {r['stage']:<32} {r['seconds']:>8.1f} s  {rate:>9,.0f} firms/s  "
        f"{1000 * r['seconds'] / r['firms']:>7.3f} ms/firm  peak {peak:>6.0f} MB ({len(r['peak_rss_mb'])} processes)",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bank_tax.bench.province", description=__doc__)
    parser.add_argument("--firms", type=int, nargs="+", default=[100_000])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--partition-firms", type=int, default=25_000)
    parser.add_argument("--out", default="bench-province.json")
    parser.add_argument("--stage", help=argparse.SUPPRESS)  # one stage in this process (the driver's child)
    parser.add_argument("--banks", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stage:
        print(
            json.dumps(stage(args.stage, workers=args.workers, partition_firms=args.partition_firms, banks=args.banks))
        )
        return 0
    rows = [r for n in args.firms for r in province(n, workers=args.workers, partition_firms=args.partition_firms)]
    Path(args.out).write_text(json.dumps(rows, indent=2), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
