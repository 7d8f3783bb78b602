"""``make soak``: the long form of the hardening battery. gunicorn with several workers on PostgreSQL; a
bounded mixed workload from a second process on loopback for a fixed time — firms reading their matches
and granting / revoking consents, the bank's officer reading firms (allowed or not by those consents),
the bank posting outcome events, an ingestion batch and a pipeline run in the middle — then the checks:
every accepted write is present exactly once, the audit chain verifies, and no bank read succeeded after
the revocation that forbade it. Prints throughput, p50/p99 per request kind and the errors.

Each firm's consent and the officer's reads of it are driven by one client thread, so the order of
grant, revoke and read is known exactly for the revocation check.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlalchemy as sa

from bank_tax import clock
from bank_tax.bench import load

REPO = Path(__file__).resolve().parents[2]


def _call(base: str, method: str, path: str, token: str | None, body=None, data: bytes | None = None, ctype=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is not None:
        data, ctype = json.dumps(body).encode(), "application/json"
    if ctype:
        headers["Content-Type"] = ctype
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, payload = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, payload = e.code, e.read()
    except OSError:
        status, payload = 0, b""
    return status, payload, (time.perf_counter() - t0) * 1000


def _prepare(firms: int, holders: int, loans: int):
    """The benchmark province on a fresh PostgreSQL database, users with tokens, and booked loans."""
    from bank_tax.bench import matching as bench
    from bank_tax.db import db
    from bank_tax.enterprises.models import Enterprise
    from bank_tax.lending import loans as lending
    from bank_tax.security import service as security
    from bank_tax.security.roles import Role

    url = load._postgres_url()
    if url is None:
        raise SystemExit("make soak needs PostgreSQL (BANK_TAX_TEST_DATABASE; make soak starts a cluster)")
    app = bench.build(firms, url=url)

    def token(s, role, name, **kw):
        user = security.create_user(
            s, username=name, password=secrets.token_urlsafe(16) + "-Aa1", role=role, actor=None, cost=2**10, **kw
        )
        return security.issue_token(s, user=user, kind="api", ttl=dt.timedelta(days=1))[0]

    with app.app_context(), db.scope() as s:
        usccs = s.scalars(sa.select(Enterprise.uscc).order_by(Enterprise.uscc).limit(holders)).all()
        tokens = {u: token(s, Role.ENTERPRISE, f"soak-{u[-8:]}", uscc=u) for u in usccs}
        officer = token(s, Role.BANK_OFFICER, "soak-officer", bank_code=bench.BANK)
        operator = token(s, Role.OPERATOR, "soak-operator")
        contracts = []
        for k, u in enumerate(usccs[:loans]):
            lending.report_disbursement(
                s,
                bank_code=bench.BANK,
                actor=None,
                contract_no=f"SOAK-{k:04d}",
                principal=10_000_000,
                rate=4.0,
                start_date=dt.date(2026, 1, 5),
                maturity_date=dt.date(2027, 1, 5),
                uscc=u,
                product_code="P00",
            )
            contracts.append(f"SOAK-{k:04d}")
    return app, bench.BANK, tokens, officer, operator, contracts


def run(seconds: int, workers: int, clients: int, firms: int) -> dict:
    from bank_tax.consent.models import Consent
    from bank_tax.db import db
    from bank_tax.lending.models import LoanEvent
    from bank_tax.security import audit
    from bank_tax.sources.models import IngestBatch

    app, bank, tokens, officer, operator, contracts = _prepare(firms, holders=clients * 8, loans=40)
    port = load._free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "MODEL_DIR": app.config["MODEL_DIR"],
        "BANK_TAX_INSTANCE_PATH": app.instance_path,
        "SECRET_KEY": "soak",
        "BANK_TAX_MATCH_CACHE_FIRMS": "256",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning", "app:app"],
        env=env,
        cwd=REPO,
    )
    for _ in range(150):
        if _call(base, "GET", "/api/v1/consents/public-key", None)[0] == 200:
            break
        time.sleep(0.2)
    timings: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    granted: list[int] = []
    events: list[str] = []
    violations: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    firms_of = [list(tokens)[i::clients] for i in range(clients)]

    def note(kind, status, ms, ok=(200, 201)):
        with lock:
            timings[kind].append(ms)
            statuses[kind][status] += 1
            if status not in ok:
                errors[f"{kind} {status}"] += 1

    def client(i: int) -> None:
        rng = random.Random(i)
        consent_of: dict[str, int | None] = {u: None for u in firms_of[i]}
        n = 0
        while time.monotonic() < deadline:
            u = rng.choice(firms_of[i])
            roll = rng.random()
            if roll < 0.35:
                st, _, ms = _call(base, "GET", f"/api/v1/enterprises/{u}/matches", tokens[u])
                note("firm: matches", st, ms)
            elif roll < 0.6:
                st, _, ms = _call(base, "GET", f"/api/v1/enterprises/{u}?purpose=underwriting", officer)
                note("bank: read firm", st, ms, ok=(200, 403))
                if st == 200 and consent_of[u] is None:  # revoked (or never granted) before this read began
                    with lock:
                        violations.append(u)
            elif roll < 0.8:
                if consent_of[u] is None:
                    expires = (clock.now() + dt.timedelta(days=90)).isoformat()
                    body = {"bank_code": bank, "purpose": "underwriting", "categories": ["tax"], "expires_at": expires}
                    st, payload, ms = _call(base, "POST", f"/api/v1/enterprises/{u}/consents", tokens[u], body)
                    note("firm: grant", st, ms)
                    if st == 201:
                        consent_of[u] = json.loads(payload)["id"]
                        with lock:
                            granted.append(consent_of[u])
                else:
                    path = f"/api/v1/enterprises/{u}/consents/{consent_of[u]}/revoke"
                    st, _, ms = _call(base, "POST", path, tokens[u], {"reason": "soak"})
                    note("firm: revoke", st, ms)
                    if st == 200:
                        consent_of[u] = None
            else:
                n += 1
                event_id = f"SOAK-{i}-{n}"
                ev = {
                    "event_id": event_id,
                    "contract_no": rng.choice(contracts),
                    "event_type": "repayment",
                    "event_date": "2026-06-05",
                    "amount": 100.0,
                    "dpd": 0,
                }
                st, payload, ms = _call(base, "POST", f"/api/v1/banks/{bank}/loan-events", officer, {"events": [ev]})
                note("bank: outcome event", st, ms)
                if st == 200 and json.loads(payload)["inserted"] == 1:
                    with lock:
                        events.append(event_id)

    def background() -> None:
        time.sleep(min(5, seconds / 4))
        rows = "uscc,period,version,taxable_sales,tax_payable,tax_paid,is_zero,due_date,filed_on,received_at\n"
        rows += "".join(f"{u},2026-09,9,1000.00,30.00,30.00,0,2026-10-15,2026-10-10,\n" for u in list(tokens)[:50])
        boundary = "soakboundary"
        data = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="vat.csv"\r\n'
            f"Content-Type: text/csv\r\n\r\n{rows}\r\n--{boundary}--\r\n"
        ).encode()
        st, _, ms = _call(
            base,
            "POST",
            "/api/v1/ingest/vat_declarations",
            operator,
            data=data,
            ctype=f"multipart/form-data; boundary={boundary}",
        )
        note("agency: ingest batch", st, ms)
        t0 = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", "pipeline", "run", "--no-ingest"],
            env=env,
            cwd=REPO,
            capture_output=True,
        )
        note("pipeline run", 200 if done.returncode == 0 else 500, (time.perf_counter() - t0) * 1000)

    t_start = time.perf_counter()
    with ThreadPoolExecutor(clients + 1) as pool:
        futures = [pool.submit(client, i) for i in range(clients)] + [pool.submit(background)]
        for f in futures:
            f.result()
    elapsed = time.perf_counter() - t_start
    server.terminate()
    server.wait(timeout=30)

    with app.app_context(), db.scope() as s:
        stored = s.scalars(sa.select(Consent.id).where(Consent.id.in_(granted))).all() if granted else []
        stored_events = s.scalars(sa.select(LoanEvent.event_id).where(LoanEvent.event_id.like("SOAK-%"))).all()
        chain = audit.verify(s)
        batches = s.scalar(sa.select(sa.func.count()).select_from(IngestBatch))
    checks = {
        "accepted consents stored exactly once": sorted(stored) == sorted(granted)
        and len(set(granted)) == len(granted),
        "accepted outcome events stored exactly once": sorted(stored_events) == sorted(events),
        "audit chain verifies": chain.ok,
        "no bank read after the revocation that forbade it": not violations,
        "the ingestion batch landed": batches >= 1,
    }
    total = sum(len(v) for v in timings.values())
    print(f"\nsoak: gunicorn {workers} workers on PostgreSQL, {clients} clients × {seconds} s, {firms} firms")
    print(f"{'kind':<24}{'requests':>9}{'p50 ms':>9}{'p99 ms':>9}  answers")
    for kind, ms in sorted(timings.items()):
        ms = sorted(ms)
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
        answers = ", ".join(f"{code}×{k}" for code, k in sorted(statuses[kind].items()))
        print(f"{kind:<24}{len(ms):>9}{statistics.median(ms):>9.1f}{p99:>9.1f}  {answers}")
    print(f"throughput: {total / elapsed:.1f} requests/s; errors: {dict(errors) or 'none'}")
    print(f"audit events checked: {chain.checked}")
    for name, ok in checks.items():
        print(f"  {'ok ' if ok else 'FAIL'} {name}")
    return {
        "checks": checks,
        "errors": dict(errors),
        "throughput": total / elapsed,
        "timings": {k: {"n": len(v), "p50": statistics.median(v)} for k, v in timings.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bank_tax.bench.soak", description=__doc__)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--firms", type=int, default=1000)
    args = parser.parse_args(argv)
    result = run(args.seconds, args.workers, args.clients, args.firms)
    return 0 if all(result["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
