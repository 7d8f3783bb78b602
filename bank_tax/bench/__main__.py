"""``python -m bank_tax.bench``: run every benchmark case, print a table, write bench-results.json."""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

from bank_tax.bench import cases  # noqa: F401  (registers the cases)
from bank_tax.bench import consent as consent_bench  # noqa: F401
from bank_tax.bench import features as features_bench  # noqa: F401
from bank_tax.bench import matching as matching_bench  # noqa: F401
from bank_tax.bench import modelling as modelling_bench  # noqa: F401
from bank_tax.bench import sources as sources_bench  # noqa: F401
from bank_tax.bench.harness import CASES, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bank_tax.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--case", action="append", choices=sorted(CASES), help="run only these cases")
    parser.add_argument("--out", default="bench-results.json")
    parser.add_argument("--load", action="store_true", help="also the load test under gunicorn (make bench)")
    parser.add_argument("--pages", action="store_true", help="also every page's render time on the demo province")
    parser.add_argument(
        "--province",
        type=int,
        nargs="+",
        metavar="N",
        help="only the daily batch of provinces of N firms (bench.province)",
    )
    parser.add_argument("--partition-firms", type=int, default=25_000, help="with --province: firms per partition")
    args = parser.parse_args(argv)
    if args.province:
        from bank_tax.bench import province

        out = ["--out", "bench-province.json", "--partition-firms", str(args.partition_firms)]
        return province.main(["--firms", *map(str, args.province), *out])
    rows = run(args.case, quick=args.quick)
    header = (
        f"{'case':<26}{'n':>10}  {'ours s':>9}  {'reference s':>11}  {'ratio':>7}  {'ours/s':>12}  agree  reference"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['case']:<26}{r['n']:>10}  {r['ours_s']:>9.4f}  {r['reference_s']:>11.4f}  {r['ratio']:>7.3f}  "
            f"{r['ours_per_s']:>12,}  {'yes' if r['agree'] else 'NO':<5}  {r['reference']}"
        )
    load_rows = []
    if args.load:
        from bank_tax.bench import load

        load_rows = load.run()
    page_rows = []
    if args.pages:
        from bank_tax.bench import pages as page_bench

        page_rows = page_bench.run()
    Path(args.out).write_text(
        json.dumps(
            {
                "python": platform.python_version(),
                "quick": args.quick,
                "results": rows,
                "load": load_rows,
                "pages": page_rows,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    print(f"wrote {args.out}")
    return 0 if all(r["agree"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
