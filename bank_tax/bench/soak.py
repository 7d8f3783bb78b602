"""``make soak``: the long form of the hardening battery, with two banks. gunicorn with several workers on
PostgreSQL; a bounded mixed workload from a second process on loopback for a fixed time, then the checks.

The workload: firms read their matches and grant / revoke consents to each bank independently (some to
bank A only, some to B only, some to both, some to none); each bank's officer reads those firms'
registration, records and score with and without its bank's consent, and, concurrently, its own and the
other bank's applications (by id), loans, products, whitelist editions and consent receipts (by id, by
code and through the list endpoints, under its own path and under the other bank's), posts outcome
events (to its own contracts, and to the other bank's, which must be rejected); an ingestion batch and a
pipeline run in the middle. Each firm's consents and the officers' reads of it are driven by one client
thread, so the order of grant, revoke and read is known exactly.

The checks: every accepted write is present exactly once, the audit chain verifies, and isolation
(:mod:`bank_tax.bench.isolation`): no read of a firm answered without the reading bank's consent for that
purpose and category at that moment, no object of the other bank answered, no answer carrying the other
bank's objects, every firm read audited against a consent of the reader's bank. Prints throughput,
p50/p99 per request kind, the reads per kind and bank (allowed, refused, violations) and the errors;
exits non-zero when a check fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
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
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from bank_tax import clock
from bank_tax.bench import isolation, load
from bank_tax.bench.isolation import Grant, Read, Revoke, Unknown

REPO = Path(__file__).resolve().parents[2]
MARKS = ("SOAKA", "SOAKB")  # on each bank's own products, contracts, applications and officer
PURPOSES = ("underwriting", "post_loan_monitoring")  # what the firms grant during the run
GRANTS = (("tax",), ("social_insurance",), ("tax", "social_insurance"))
READ_SOURCES = ("vat_declarations", "social_insurance")
PATTERNS = ((), (0,), (1,), (0, 1))
FIRM_KINDS = (
    "firm profile",
    "firm records",
    "firm score",
    "applicant's profile",
)  # judged by consent  # which banks (by index) a firm grants to: none, A, B, both
# the officers' reads besides their firms': kind → weight
OFFICER_READS = {
    "application (own)": 3,
    "application (other's id)": 3,
    "queue": 2,
    "loans": 2,
    "products": 1,
    "product (own code)": 1,
    "product (other's code)": 1,
    "consents": 1,
    "receipt (own)": 1,
    "receipt (other's)": 1,
    "whitelists": 1,
    "whitelist (own id)": 1,
    "whitelist (other's id)": 2,
    "whitelist latest": 1,
    "other bank's path": 3,
    "applicant's profile": 4,
}
RULES = {  # each bank's own product: the applications' and loans' (its code carries the bank's mark)
    "amount_min": 10_000,
    "amount_max": 1_000_000,
    "terms_months": [12],
    "rate_spread_min": 0.2,
    "rate_spread_max": 1.5,
    "repayment_style": "interest_monthly_principal_at_maturity",
    "grades": ["A", "B", "M"],
    "min_months_operating": 12,
    "min_tax_12m": 3_000,
    "max_pd": None,
    "regions": [],
    "excluded_industries": [],
    "consent_categories": ["tax"],
    "limit_rule": {"basis": "tax", "multiple": 8.0, "window_months": 12, "risk_adjusted": False},
}


def _call(
    base: str,
    method: str,
    path: str,
    token: str | None,
    body=None,
    data: bytes | None = None,
    ctype=None,
    request_id: str | None = None,
):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is not None:
        data, ctype = json.dumps(body).encode(), "application/json"
    if ctype:
        headers["Content-Type"] = ctype
    if request_id:
        headers["X-Request-ID"] = request_id  # on the read's audit event: the audit check finds it by this
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, payload = r.status, r.read()
    except urllib.error.HTTPError as e:
        with e:
            status, payload = e.code, e.read()
    except OSError:
        status, payload = 0, b""
    return status, payload, (time.perf_counter() - t0) * 1000


@dataclass
class Seed:
    """The soak's world: the app on its database, the banks and what each owns, the users' tokens."""

    app: object
    banks: tuple[str, str]
    owned: isolation.Owned
    firm_tokens: dict[str, str]  # the firms driving consents → token
    patterns: dict[str, tuple[str, ...]]  # such a firm → the banks it grants to
    applicants: list[str]  # firms with applications (their consents do not change during the run)
    officers: dict[str, str]  # bank → its officer's token
    operator: str
    contracts: dict[str, list[str]]  # bank → contracts outcome events are posted to
    receipts: dict[str, list[tuple[str, int]]]  # bank → (firm, consent id) of real consents to it
    initial: list[Grant] = field(default_factory=list)  # consents in force as the run starts


def _prepare(firms: int, *, products: int, holders: int, applicants: int, loans: int) -> Seed:
    """The benchmark province with two banks on a fresh PostgreSQL database; each bank's own product,
    applications in every state (through the lending service, the firm granting its consent as it applies),
    loans of the approved ones and loans to post outcome events to, a whitelist edition, an officer; the
    firms' and the operator's tokens."""
    from bank_tax.batch import daily
    from bank_tax.bench import matching as bench
    from bank_tax.categories import from_bits
    from bank_tax.consent import receipts as signing
    from bank_tax.consent.models import Consent
    from bank_tax.db import db
    from bank_tax.enterprises.models import Enterprise
    from bank_tax.lending import loans as lending_loans
    from bank_tax.lending import service as lending
    from bank_tax.products import service as product_service
    from bank_tax.products.lpr import lpr_on
    from bank_tax.security import service as security
    from bank_tax.security.roles import Principal, Role

    url = load._postgres_url()
    if url is None:
        raise SystemExit("make soak needs PostgreSQL (BANK_TAX_TEST_DATABASE; make soak starts a cluster)")
    app = bench.build(firms, url=url, n_banks=2, n_products=products)
    banks = tuple(bench.bank_codes(2))
    mark = dict(zip(banks, MARKS, strict=True))
    owned = isolation.Owned(
        banks=banks,
        marks=mark,
        applications={b: set() for b in banks},
        contracts={b: set() for b in banks},
        editions={b: set() for b in banks},
    )
    contracts: dict[str, list[str]] = {b: [] for b in banks}

    def user(s, role, name, **kw):
        return security.create_user(
            s, username=name, password=secrets.token_urlsafe(16) + "-Aa1", role=role, actor=None, cost=2**10, **kw
        )

    def token(u):
        return security.issue_token(s, user=u, kind="api", ttl=dt.timedelta(days=1))[0]

    with app.app_context(), db.scope() as s:
        usccs = s.scalars(sa.select(Enterprise.uscc).order_by(Enterprise.uscc).limit(holders + applicants)).all()
        holder_firms, applicant_firms = list(usccs[:holders]), list(usccs[holders:])
        firm_tokens = {u: token(user(s, Role.ENTERPRISE, f"soak-{u[-8:]}", uscc=u)) for u in holder_firms}
        patterns = {u: tuple(banks[k] for k in PATTERNS[i % len(PATTERNS)]) for i, u in enumerate(holder_firms)}
        officer_users = {b: user(s, Role.BANK_OFFICER, f"{mark[b].lower()}-officer", bank_code=b) for b in banks}
        officers = {b: token(officer_users[b]) for b in banks}
        operator = token(user(s, Role.OPERATOR, "soak-operator"))
        key = signing.platform_key()
        for b in banks:
            product_service.create(s, bank_code=b, code=f"{mark[b]}-P1", name=f"浸泡{mark[b]}", rules=RULES, actor=None)
        today = clock.today()
        lpr = lpr_on(today)
        for k, u in enumerate(applicant_firms):
            firm = Principal(0, f"soak-applicant-{u[-6:].lower()}", Role.ENTERPRISE, uscc=u)
            # each applies to one bank, every third to both: the other bank must still not read it
            for b in [banks[k % 2]] + ([banks[1 - k % 2]] if k % 3 == 0 else []):
                officer = security.principal_of(officer_users[b])
                application = lending.submit(
                    s,
                    uscc=u,
                    actor=firm,
                    key=key,
                    bank_code=b,
                    product_code=f"{mark[b]}-P1",
                    amount=50_000_000,
                    term_months=12,
                    purpose_of_funds=f"{mark[b]} 周转资金 {k}",
                    grant_consent=True,
                )
                owned.applications[b].add(application.id)
                stage = len(owned.applications[b]) % 4  # submitted, in review, declined, approved and lent
                if stage >= 1:
                    lending.act(s, app=application, action="review", actor=officer)
                if stage == 2:
                    lending.decide(
                        s, app=application, decision="declined", actor=officer, reason_code="other", reason=""
                    )
                if stage == 3:
                    rate = round(lpr + RULES["rate_spread_min"], 4)
                    lending.decide(
                        s,
                        app=application,
                        decision="approved",
                        actor=officer,
                        reason_code=None,
                        reason="",
                        amount=application.amount,
                        term_months=12,
                        rate=rate,
                    )
                    contract = f"{mark[b]}-A{application.id:05d}"
                    lending_loans.report_disbursement(
                        s,
                        bank_code=b,
                        actor=officer,
                        contract_no=contract,
                        principal=application.amount,
                        rate=rate,
                        start_date=today,
                        maturity_date=today + dt.timedelta(days=365),
                        application_id=application.id,
                    )
                    owned.contracts[b].add(contract)
        for b in banks:
            for k, u in enumerate(holder_firms[:loans]):
                contract = f"{mark[b]}-L{k:04d}"
                lending_loans.report_disbursement(
                    s,
                    bank_code=b,
                    actor=None,
                    contract_no=contract,
                    principal=10_000_000,
                    rate=4.0,
                    start_date=today - dt.timedelta(days=30),
                    maturity_date=today + dt.timedelta(days=335),
                    uscc=u,
                    product_code=f"{mark[b]}-P1",
                )
                owned.contracts[b].add(contract)
                contracts[b].append(contract)
    with app.app_context(), db.scope() as s:
        for b in banks:
            owned.editions[b].add(daily.whitelist(s, bank_code=b, actor=None).id)
    with app.app_context(), db.scope() as s:
        rows = s.execute(
            sa.select(
                Consent.id,
                Consent.uscc,
                Consent.bank_code,
                Consent.all_banks,
                Consent.purpose,
                Consent.categories,
                Consent.status,
                Consent.starts_at,
                Consent.expires_at,
            )
        ).all()
    db.engine_of(app).dispose()  # after the session gave its connection back: the server has its own
    read = set(holder_firms) | set(applicant_firms)
    now = clock.now()
    initial = []
    receipts: dict[str, list[tuple[str, int]]] = {b: [] for b in banks}
    for r in rows:
        owned.consents[r.id] = (r.bank_code, bool(r.all_banks), r.purpose)
        if r.uscc in read and r.status == "active" and r.starts_at <= now < r.expires_at:
            initial.append(
                Grant(r.uscc, r.id, r.bank_code, bool(r.all_banks), r.purpose, tuple(from_bits(r.categories)))
            )
        if r.uscc in applicant_firms and r.purpose == "underwriting":  # signed as they applied (the seeded are not)
            receipts[r.bank_code].append((r.uscc, r.id))
    return Seed(
        app=app,
        banks=banks,
        owned=owned,
        firm_tokens=firm_tokens,
        patterns=patterns,
        applicants=applicant_firms,
        officers=officers,
        operator=operator,
        contracts=contracts,
        receipts=receipts,
        initial=initial,
    )


class _Recorder:
    """What the clients saw: the trace for the isolation check, and latencies and answers per request kind."""

    def __init__(self, initial: list[Grant]):
        self.lock = threading.Lock()
        self.trace: list[isolation.Event] = list(initial)
        self.timings: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.errors: Counter = Counter()
        self.granted: list[int] = []
        self.events: list[str] = []
        self.unrecognised: Counter = Counter()  # answers of own objects the scan would not flag at the other bank

    def note(self, kind: str, status: int, ms: float, ok=(200, 201)) -> None:
        with self.lock:
            self.timings[kind].append(ms)
            self.statuses[kind][status] += 1
            if status not in ok:
                self.errors[f"{kind} {status}"] += 1

    def add(self, event: isolation.Event) -> None:
        with self.lock:
            self.trace.append(event)


def run(
    seconds: int,
    workers: int,
    clients: int,
    firms: int,
    *,
    officers: int = 2,
    products: int = 50,
    applicants: int = 48,
    quiet: bool = False,
) -> dict:
    """Prepare, serve, drive ``clients`` firm threads and ``officers`` threads per bank for ``seconds``,
    check; return the checks, counts and timings (and print the summary unless ``quiet``)."""
    from bank_tax.consent.models import Consent
    from bank_tax.db import db
    from bank_tax.lending.models import LoanEvent
    from bank_tax.security import audit
    from bank_tax.security.models import AuditEvent
    from bank_tax.sources.models import IngestBatch
    from bank_tax.sources.specs import SOURCES

    seed = _prepare(firms, products=products, holders=clients * 8, applicants=applicants, loans=40)
    app, banks, owned = seed.app, seed.banks, seed.owned
    other = {banks[0]: banks[1], banks[1]: banks[0]}
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
    server_log = Path(app.instance_path).parent / "soak-server.log"  # the request log: one line per request
    with server_log.open("wb") as log_file:
        server = subprocess.Popen(
            [str(gunicorn), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning", "app:app"],
            env=env,
            cwd=REPO,
            stderr=log_file,
        )
    for _ in range(150):
        if _call(base, "GET", "/api/v1/consents/public-key", None)[0] == 200:
            break
        time.sleep(0.2)
    rec = _Recorder(seed.initial)
    ids = itertools.count()
    deadline = time.monotonic() + seconds
    holders = list(seed.firm_tokens)
    firms_of = [holders[i::clients] for i in range(clients)]
    client_end: list[float] = []

    def read_firm(kind: str, bank: str, u: str, purpose: str, source: str | None = None) -> None:
        rid = f"soak-{next(ids)}"
        category = None
        if source is not None:
            path, category = (
                f"/api/v1/enterprises/{u}/records/{source}?purpose={purpose}&limit=24",
                SOURCES[source].category,
            )
        elif kind == "firm score":
            path = f"/api/v1/enterprises/{u}/score?purpose={purpose}"
        else:
            path = f"/api/v1/enterprises/{u}?purpose={purpose}"
        st, payload, ms = _call(base, "GET", path, seed.officers[bank], request_id=rid)
        rec.note(f"bank: {kind}", st, ms, ok=(200, 403))
        seen, leaks = (), ()
        if 200 <= st < 300:
            leaks = isolation.scan(payload, bank=bank, owned=owned, firm=u)
            try:
                doc = json.loads(payload)
                if kind == "firm score":
                    seen = tuple(doc["categories_used"])
                elif source is not None:
                    seen = tuple(sorted({SOURCES[r["source"]].category for r in doc}))
            except (ValueError, KeyError, TypeError):
                leaks += ("an answer that is not the documented JSON",)
        rec.add(
            Read(kind, bank, st, firm=u, purpose=purpose, category=category, seen=seen, leaks=leaks, request_id=rid)
        )

    def outcome_event(rng: random.Random, tag: str, n: int) -> None:
        bank = rng.choice(banks)
        foreign = rng.random() < 0.2  # another bank's contract: must be rejected, never recorded
        contract = rng.choice(seed.contracts[other[bank]] if foreign else seed.contracts[bank])
        event_id = f"SOAK-{tag}-{n}"
        ev = {
            "event_id": event_id,
            "contract_no": contract,
            "event_type": "repayment",
            "event_date": clock.today().isoformat(),
            "amount": 100.0,
            "dpd": 0,
        }
        path = f"/api/v1/banks/{bank}/loan-events"
        st, payload, ms = _call(base, "POST", path, seed.officers[bank], {"events": [ev]})
        rec.note("bank: outcome event", st, ms)
        inserted = st == 200 and json.loads(payload)["inserted"] == 1
        if inserted:
            with rec.lock:
                rec.events.append(event_id)
        if foreign:  # as a read of the other bank's loan: 2xx when it landed, 404 when it was rejected
            status = 201 if inserted else (404 if st == 200 else st)
            rec.add(Read("outcome event (other's contract)", bank, status, owner=other[bank]))

    def firm_client(i: int) -> None:
        rng = random.Random(i)
        held: dict[tuple[str, str], int] = {}  # (firm, bank) → the consent this client granted and holds
        blind: set[tuple[str, str]] = set()
        n = 0
        while time.monotonic() < deadline:
            u = rng.choice(firms_of[i])
            roll = rng.random()
            toggles = [b for b in seed.patterns[u] if (u, b) not in blind]
            if roll < 0.2:
                st, _, ms = _call(base, "GET", f"/api/v1/enterprises/{u}/matches", seed.firm_tokens[u])
                rec.note("firm: matches", st, ms)
            elif roll < 0.4 and toggles:
                bank = rng.choice(toggles)
                if (u, bank) not in held:
                    purpose, categories = rng.choice(PURPOSES), list(rng.choice(GRANTS))
                    expires = (clock.now() + dt.timedelta(days=90)).isoformat()
                    body = {"bank_code": bank, "purpose": purpose, "categories": categories, "expires_at": expires}
                    st, payload, ms = _call(
                        base, "POST", f"/api/v1/enterprises/{u}/consents", seed.firm_tokens[u], body
                    )
                    rec.note("firm: grant", st, ms)
                    if st == 201:
                        doc = json.loads(payload)
                        held[(u, bank)] = doc["id"]
                        owned.consents[doc["id"]] = (bank, False, purpose)
                        with rec.lock:
                            rec.granted.append(doc["id"])
                        rec.add(Grant(u, doc["id"], bank, False, purpose, tuple(doc["categories"])))
                        continue
                else:
                    path = f"/api/v1/enterprises/{u}/consents/{held[(u, bank)]}/revoke"
                    st, _, ms = _call(base, "POST", path, seed.firm_tokens[u], {"reason": "soak"})
                    rec.note("firm: revoke", st, ms)
                    if st == 200:
                        rec.add(Revoke(u, held.pop((u, bank))))
                        continue
                if st == 0 or st >= 500:  # did it land? Nobody knows: this bank's reads of the firm are not judged
                    blind.add((u, bank))
                    rec.add(Unknown(u, bank))
            elif roll < 0.88:
                bank, kind = (
                    rng.choice(banks),
                    rng.choice(("firm profile", "firm profile", "firm records", "firm score")),
                )
                purpose = rng.choice(("underwriting", "underwriting", "post_loan_monitoring", "pre_screen"))
                source = rng.choice(READ_SOURCES) if kind == "firm records" else None
                read_firm(kind, bank, u, purpose, source)
            else:
                n += 1
                outcome_event(rng, f"f{i}", n)
        with rec.lock:
            client_end.append(time.perf_counter())

    def officer_target(rng: random.Random, kind: str, bank: str) -> tuple[str, str]:
        """The path of one of the officer's reads and the bank owning what it names."""
        them, mine = other[bank], f"/api/v1/banks/{bank}"
        if kind == "application (own)":
            return f"/api/v1/applications/{rng.choice(sorted(owned.applications[bank]))}", bank
        if kind == "application (other's id)":
            return f"/api/v1/applications/{rng.choice(sorted(owned.applications[them]))}", them
        if kind == "queue":
            status = rng.choice(("", "?status=submitted", "?status=in_review", "?status=approved", "?status=declined"))
            return f"{mine}/applications{status}", bank
        if kind == "loans":
            return f"{mine}/loans", bank
        if kind == "products":
            return f"{mine}/products", bank
        if kind == "product (own code)":
            return f"{mine}/products/{owned.marks[bank]}-P1", bank
        if kind == "product (other's code)":
            return f"{mine}/products/{owned.marks[them]}-P1", them
        if kind == "consents":
            return f"{mine}/consents", bank
        if kind in ("receipt (own)", "receipt (other's)"):
            whose = bank if kind == "receipt (own)" else them
            u, consent = rng.choice(seed.receipts[whose])
            return f"/api/v1/enterprises/{u}/consents/{consent}/receipt", whose
        if kind == "whitelists":
            return f"{mine}/whitelists", bank
        if kind == "whitelist (own id)":
            return f"{mine}/whitelists/{rng.choice(sorted(owned.editions[bank]))}?per_page=50&page=1", bank
        if kind == "whitelist (other's id)":
            edition = rng.choice(sorted(owned.editions[them]))
            return f"{mine}/whitelists/{edition}" + rng.choice(("?per_page=50", "/diff")), them
        if kind == "whitelist latest":
            return f"{mine}/whitelists/latest?per_page=50&page=1", bank
        edition = rng.choice(sorted(owned.editions[them]))
        code = f"{owned.marks[them]}-P1"
        tail = rng.choice(
            ("applications", "loans", "products", f"products/{code}", "whitelists", f"whitelists/{edition}", "consents")
        )
        return f"/api/v1/banks/{them}/{tail}", them

    def officer_client(bank: str, j: int) -> None:
        rng = random.Random(f"{bank}-{j}")
        kinds, weights = list(OFFICER_READS), list(OFFICER_READS.values())
        while time.monotonic() < deadline:
            kind = rng.choices(kinds, weights)[0]
            if kind == "applicant's profile":
                read_firm(kind, bank, rng.choice(seed.applicants), rng.choice(PURPOSES))
                continue
            path, owner = officer_target(rng, kind, bank)
            rid = f"soak-{next(ids)}"
            st, payload, ms = _call(base, "GET", path, seed.officers[bank], request_id=rid)
            rec.note(f"bank: {kind}", st, ms, ok=(200, 403, 404))
            leaks = isolation.scan(payload, bank=bank, owned=owned) if 200 <= st < 300 else ()
            rec.add(Read(kind, bank, st, owner=owner, leaks=leaks, request_id=rid))
            if leaks == () and 200 <= st < 300 and payload.strip() != b"[]":
                # the scan is not blind: shown to the other bank, this answer would have been flagged
                if not isolation.scan(payload, bank=other[bank], owned=owned):
                    with rec.lock:
                        rec.unrecognised[kind] += 1
        with rec.lock:
            client_end.append(time.perf_counter())

    def background() -> None:
        time.sleep(min(5, seconds / 4))
        rows = "uscc,period,version,taxable_sales,tax_payable,tax_paid,is_zero,due_date,filed_on,received_at\n"
        rows += "".join(f"{u},2026-09,9,1000.00,30.00,30.00,0,2026-10-15,2026-10-10,\n" for u in holders[:50])
        boundary = "soakboundary"
        data = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="vat.csv"\r\n'
            f"Content-Type: text/csv\r\n\r\n{rows}\r\n--{boundary}--\r\n"
        ).encode()
        st, _, ms = _call(
            base,
            "POST",
            "/api/v1/ingest/vat_declarations",
            seed.operator,
            data=data,
            ctype=f"multipart/form-data; boundary={boundary}",
        )
        rec.note("agency: ingest batch", st, ms)
        t0 = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", "pipeline", "run", "--no-ingest"],
            env=env,
            cwd=REPO,
            capture_output=True,
        )
        rec.note("pipeline run", 200 if done.returncode == 0 else 500, (time.perf_counter() - t0) * 1000)

    t_start = time.perf_counter()
    try:
        with ThreadPoolExecutor(clients + officers * len(banks) + 1) as pool:
            futures = [pool.submit(firm_client, i) for i in range(clients)]
            futures += [pool.submit(officer_client, b, j) for b in banks for j in range(officers)]
            futures.append(pool.submit(background))
            for f in futures:
                f.result()
    finally:
        server.terminate()
        server.wait(timeout=30)
    elapsed = max(client_end) - t_start

    with app.app_context(), db.scope() as s:
        stored = s.scalars(sa.select(Consent.id).where(Consent.id.in_(rec.granted))).all() if rec.granted else []
        stored_events = s.scalars(sa.select(LoanEvent.event_id).where(LoanEvent.event_id.like("SOAK-%"))).all()
        chain = audit.verify(s)
        batches = s.scalar(sa.select(sa.func.count()).select_from(IngestBatch))
        reads = s.execute(
            sa.select(AuditEvent.bank_code, AuditEvent.uscc, AuditEvent.purpose, AuditEvent.details).where(
                AuditEvent.action == "firmdata.read", AuditEvent.bank_code.in_(banks)
            )
        ).all()
    db.engine_of(app).dispose()
    audits: dict[str, list[dict]] = defaultdict(list)
    for r in reads:
        details = json.loads(r.details)
        audits[details.get("request_id", "")].append(
            {"bank": r.bank_code, "uscc": r.uscc, "purpose": r.purpose, "consent_id": details.get("consent_id")}
        )
    verdict = isolation.judge(rec.trace)
    gaps = isolation.audit_gaps(rec.trace, audits, owned)
    firm_reads = {b: Counter() for b in banks}
    for (kind, bank), c in verdict.counts.items():
        if kind in FIRM_KINDS:
            firm_reads[bank] += c
    server_errors = sum(k for st in rec.statuses.values() for code, k in st.items() if code == 0 or code >= 500)
    checks = {
        "accepted consents stored exactly once": sorted(stored) == sorted(rec.granted)
        and len(set(rec.granted)) == len(rec.granted),
        "accepted outcome events stored exactly once": sorted(stored_events) == sorted(rec.events),
        "audit chain verifies": chain.ok,
        "the ingestion batch landed": batches >= 1,
        "no server error or dropped request": server_errors == 0,
        "both banks read firms with and without consent": all(
            c["allowed"] and c["refused"] for c in firm_reads.values()
        ),
        "isolation: no violation (consent, ownership, bodies)": not verdict.violations,
        "every read with consent, and of the bank's own objects, answered": not verdict.unexpected,
        "every firm read audited, against a consent of the reader's bank": not gaps,
        "the body scan would flag each bank's answers at the other bank": not rec.unrecognised,
    }
    if not quiet:
        _print(seed, rec, verdict, gaps, checks, chain.checked, elapsed, seconds, workers, clients, officers, firms)
        print(f"server log: {server_log}")
    return {
        "checks": checks,
        "errors": dict(rec.errors),
        "throughput": sum(len(v) for v in rec.timings.values()) / elapsed,
        "timings": {k: {"n": len(v), "p50": statistics.median(v)} for k, v in rec.timings.items()},
        "isolation": {f"{kind} | {bank}": dict(c) for (kind, bank), c in verdict.counts.items()},
        "violations": verdict.violations,
        "unexpected": verdict.unexpected,
        "audit_gaps": gaps,
        "judged": verdict.judged,
    }


def _print(seed, rec, verdict, gaps, checks, audited, elapsed, seconds, workers, clients, officers, firms) -> None:
    a, b = seed.banks
    print(
        f"\nsoak: gunicorn {workers} workers on PostgreSQL, banks {a} and {b}; {clients} firm clients"
        f" ({len(seed.firm_tokens)} firms driving consents) + {officers} officer clients per bank × {seconds} s;"
        f" {firms} firms, {len(seed.applicants)} applicants"
    )
    print(f"\n{'request kind':<42}{'requests':>9}{'p50 ms':>9}{'p99 ms':>9}  answers")
    for kind, ms in sorted(rec.timings.items()):
        ms = sorted(ms)
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
        answers = ", ".join(f"{code}×{k}" for code, k in sorted(rec.statuses[kind].items()))
        print(f"{kind:<42}{len(ms):>9}{statistics.median(ms):>9.1f}{p99:>9.1f}  {answers}")
    total = sum(len(v) for v in rec.timings.values())
    print(f"throughput: {total / elapsed:.1f} requests/s over {elapsed:.0f} s; errors: {dict(rec.errors) or 'none'}")

    heads = ("reads", "allowed", "refused", "errors", "viol.")
    print(f"\n{'isolation: reads by each officer':<34}" + "".join(f"  {' ' + bank + ' ':-^39}" for bank in seed.banks))
    print(f"{'kind':<34}" + ("  " + "".join(f"{h:>8}" for h in heads[:-1]) + f"{heads[-1]:>7}") * len(seed.banks))
    kinds = sorted({k for k, _ in verdict.counts}, key=lambda k: (k not in FIRM_KINDS, k))
    for kind in kinds:
        cells = []
        for bank in seed.banks:
            c = verdict.counts.get((kind, bank), Counter())
            cells.append("  " + "".join(f"{c[h]:>8}" for h in isolation.OUTCOMES[:-1]) + f"{c['violations']:>7}")
        print(f"{kind:<34}" + "".join(cells))
    totals = sum(verdict.counts.values(), Counter())
    print(
        f"all reads: {totals['reads']}, allowed {totals['allowed']}, refused {totals['refused']}, errors"
        f" {totals['errors']}, violations {totals['violations']}; firm reads judged against consent: {verdict.judged};"
        f" refused though allowed: {len(verdict.unexpected)}; audit gaps: {len(gaps)}; audit events checked: {audited}"
    )
    if rec.unrecognised:
        print(f"answers the scan would not flag at the other bank: {dict(rec.unrecognised)}")
    for line in (verdict.violations + verdict.unexpected + gaps)[:20]:
        print(f"  ! {line}")
    print()
    for name, ok in checks.items():
        print(f"  {'ok ' if ok else 'FAIL'} {name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bank_tax.bench.soak", description=__doc__)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=12, help="firm client threads (8 firms each)")
    parser.add_argument("--officers", type=int, default=2, help="officer client threads per bank")
    parser.add_argument("--firms", type=int, default=1000)
    parser.add_argument("--products", type=int, default=50, help="products per bank besides its own")
    args = parser.parse_args(argv)
    result = run(args.seconds, args.workers, args.clients, args.firms, officers=args.officers, products=args.products)
    return 0 if all(result["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
