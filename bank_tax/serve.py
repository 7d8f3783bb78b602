"""``python -m bank_tax.serve``: what production runs, in one command (``make run`` calls it).

gunicorn serving the app (:mod:`bank_tax.gunicorn_conf`) and the one scheduler process beside it
(``flask scheduler``), sharing one metrics folder (:mod:`bank_tax.metrics`), started together and
stopped together: a signal to this process (Ctrl+C, SIGTERM) stops both, and should either exit the
other is stopped too, so nothing runs half a system.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MULTIPROC = "PROMETHEUS_MULTIPROC_DIR"  # read by prometheus_client at import: set before the processes start


def _instance() -> Path:
    from bank_tax import DEFAULT_INSTANCE

    return Path(os.environ.get("BANK_TAX_INSTANCE_PATH") or DEFAULT_INSTANCE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bank_tax.serve", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", default=os.environ.get("PORT", "5000"))
    args = parser.parse_args(argv)
    env = {**os.environ, "HOST": args.host, "PORT": str(args.port)}
    # one metrics folder for every process, its files of a previous run removed (their counts are not ours)
    folder = Path(env.get(MULTIPROC) or _instance() / "metrics")
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.db"):  # prometheus_client's files only: the folder may be the operator's
        old.unlink()
    env[MULTIPROC] = str(folder)
    bin_dir = Path(sys.executable).parent
    web = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "-c", "python:bank_tax.gunicorn_conf", "--chdir", str(REPO), "app:app"], env=env
    )
    scheduler = subprocess.Popen([str(bin_dir / "flask"), "--app", "app", "scheduler"], env=env, cwd=REPO)
    procs = {"web": web, "scheduler": scheduler}
    print(f"serving on http://{args.host}:{args.port}  (web pid {web.pid}, scheduler pid {scheduler.pid})", flush=True)
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping and all(p.poll() is None for p in procs.values()):
        time.sleep(0.2)
    for name, p in procs.items():
        if p.poll() is None:
            p.terminate()
        elif not stopping:
            print(f"{name} exited with status {p.returncode}: stopping the rest", file=sys.stderr, flush=True)
    for p in procs.values():
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main())
