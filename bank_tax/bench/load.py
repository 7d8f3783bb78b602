"""Load benchmark: the per-firm match endpoint under gunicorn (2 workers), driven by ``wrk`` from a
second process on loopback at 16 connections for a bounded time, on SQLite and on PostgreSQL; beside it,
a trivial JSON endpoint of the same app (``GET /api/v1/auth/me``, the same bearer-token check) in the
same run. Prints p50/p99 latency and requests/s and the throughput ratio, twice: with every answer
computed (``MATCH_CACHE_FIRMS=0``, the cold path) and with the per-process answer cache of the default
configuration (each measured firm computed once per worker, then served while nothing has changed).

Each database gets the benchmark province of :mod:`bank_tax.bench.matching` (firms with 36 months of
records, 50 products, the benchmark model); PostgreSQL runs when ``BANK_TAX_TEST_DATABASE`` names an
admin URL (``make bench`` starts a throwaway cluster).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import sqlalchemy as sa

FIRMS = 2_000
MEASURED_FIRMS = 500  # requested at random during the measured run
WARM_FIRMS = 50  # requested before it, to load the model and statement caches in both workers
CONNECTIONS = 16
DURATION_S = 15
TARGETS = "p99 ≤ 100 ms; ≥ 30% of the trivial endpoint's throughput"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _postgres_url() -> str | None:
    admin = os.environ.get("BANK_TAX_TEST_DATABASE")
    if not admin or admin == "sqlite":
        return None
    name = f"bt_load_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return sa.engine.make_url(admin).set(database=name).render_as_string(hide_password=False)


def _prepare(url: str | None):
    """A database with the benchmark province and an operator's token; returns (env, token, firms)."""
    from bank_tax.bench import matching as bench

    return _operator(bench.build(FIRMS, url=url))


def _operator(app, *, sample: bool = False):
    """An operator's token in ``app``'s database and the firms to ask for (the first ones, or with ``sample``
    a random draw over the whole province, so a big database is read where it is cold); returns
    (env, token, firms)."""
    from bank_tax.db import db
    from bank_tax.enterprises.models import Enterprise
    from bank_tax.security import service as security
    from bank_tax.security.roles import Role

    wanted = WARM_FIRMS + MEASURED_FIRMS
    with app.app_context(), db.scope() as s:
        password = secrets.token_urlsafe(16) + "-Aa1"
        user = security.create_user(
            s, username=f"load-{secrets.token_hex(3)}", password=password, role=Role.OPERATOR, actor=None, cost=2**10
        )
        token, _ = security.issue_token(s, user=user, kind="api", ttl=dt.timedelta(days=1))
        order = sa.func.random() if sample else Enterprise.uscc
        firms = s.scalars(sa.select(Enterprise.uscc).order_by(order).limit(wanted)).all()
        db.engine_of(app).dispose()
    env = {
        **os.environ,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "MODEL_DIR": app.config["MODEL_DIR"],
        "BANK_TAX_INSTANCE_PATH": app.instance_path,
        "SECRET_KEY": "load-bench",
    }
    return env, token, firms


def cold(app) -> dict | None:
    """The match endpoint against ``app``'s (big) database with every answer computed, asking for firms
    drawn over the whole province: the province benchmark's load row (target p99 ≤ 150 ms at 16
    connections). None when wrk or gunicorn is missing."""
    if shutil.which("wrk") is None or not Path(sys.executable).with_name("gunicorn").exists():
        return None
    env, token, firms = _operator(app, sample=True)
    tmp = Path(tempfile.mkdtemp(prefix="bank-tax-load-"))
    try:
        matches, trivial = _serve(env, tmp, token, firms, cache_firms=0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"matches": matches, "trivial": trivial}


def _wrk(port: int, script: Path) -> dict:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{DURATION_S}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(label: str) -> float:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "p50_ms": ms("50"),
        "p99_ms": ms("99"),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "errors": int(non2xx.group(1)) if non2xx else 0,
    }


def _script(tmp: Path, name: str, token: str, paths: list[str]) -> Path:
    lua = tmp / f"{name}.lua"
    quoted = ",".join(f'"{p}"' for p in paths)
    lua.write_text(
        f"local paths = {{{quoted}}}\n"
        "math.randomseed(7)\n"
        "request = function()\n"
        f'  return wrk.format("GET", paths[math.random(#paths)], {{["Authorization"] = "Bearer {token}"}})\n'
        "end\n",
        encoding="utf-8",
    )
    return lua


def _serve(env: dict, tmp: Path, token: str, firms: list[str], *, cache_firms: int) -> tuple[dict, dict]:
    """Start gunicorn with the match-answer cache at ``cache_firms`` (0: every answer computed), warm both
    workers, run wrk on the match endpoint then on the trivial one; returns both measurements."""
    port = _free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", "app:app"],
        env={**env, "BANK_TAX_MATCH_CACHE_FIRMS": str(cache_firms)},
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/consents/public-key", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        # warm both workers (model load, statement caches) on firms outside the measured set
        warm = _script(tmp, "warm", token, [f"/api/v1/enterprises/{u}/matches" for u in firms[:WARM_FIRMS]])
        subprocess.run(["wrk", "-t2", "-c4", "-d3s", "-s", str(warm), f"http://127.0.0.1:{port}"], capture_output=True)
        paths = [f"/api/v1/enterprises/{u}/matches" for u in firms[WARM_FIRMS:]]
        matches = _wrk(port, _script(tmp, "matches", token, paths))
        trivial = _wrk(port, _script(tmp, "trivial", token, ["/api/v1/auth/me"]))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return matches, trivial


def run_backend(name: str, url: str | None) -> list[dict]:
    """Two rows for one database: answers computed on every request, then with the answer cache (the
    default; each of the measured firms is computed once per worker, then served while nothing changes)."""
    env, token, firms = _prepare(url)
    tmp = Path(tempfile.mkdtemp(prefix="bank-tax-load-"))
    rows = []
    try:
        for mode, cache_firms in (("computed", 0), ("cached", 1024)):
            matches, trivial = _serve(env, tmp, token, firms, cache_firms=cache_firms)
            rows.append(
                {
                    "backend": name,
                    "mode": mode,
                    "matches": matches,
                    "trivial": trivial,
                    "throughput_ratio": round(matches["rps"] / trivial["rps"], 3) if trivial["rps"] else None,
                }
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def run() -> list[dict]:
    """Both backends (PostgreSQL when available); [] when wrk or gunicorn is missing."""
    if shutil.which("wrk") is None or not Path(sys.executable).with_name("gunicorn").exists():
        print("load benchmark skipped: needs wrk and gunicorn (make bench installs them)")
        return []
    rows = run_backend("sqlite", None)
    pg = _postgres_url()
    if pg:
        rows += run_backend("postgresql", pg)
    print(
        f"\nmatch endpoint under load: gunicorn 2 workers, wrk {CONNECTIONS} connections × {DURATION_S} s ({TARGETS})"
    )
    head = f"{'backend':<12}{'answers':<10}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}{'errors':>8}"
    print(f"{head}   trivial: {'p50':>6}{'p99':>7}{'req/s':>9}  ratio")
    for r in rows:
        m, t = r["matches"], r["trivial"]
        print(
            f"{r['backend']:<12}{r['mode']:<10}"
            f"{m['p50_ms']:>9.1f}{m['p99_ms']:>9.1f}{m['rps']:>9.0f}{m['errors']:>8}   "
            f"{'':9}{t['p50_ms']:>6.1f}{t['p99_ms']:>7.1f}{t['rps']:>9.0f}  {r['throughput_ratio']:.2f}"
        )
    return rows
