"""``flask --app app demo``: load the synthetic demo province into an empty database.

The demo tells the programme's story at its dates: banks and their products at the programme's launch,
then, day by day, firms registering, consenting (renewing before a consent's year is up, revoking, or
letting it lapse), applying, being reviewed and decided by the banks' officers, and the loans of the
approved applications disbursed, all written through the services with the clock moved to the moment
each happened (``clock.travel``), so the effect report, monitoring and whitelist changes of any past
quarter show a believable programme. Then, at the load moment: every agency file through the real
ingestion path (quarantine reports included), the banks' outcome events of the loans, a few open
applications for officers, and demo users (their passwords are generated once into
``instance/demo-logins.txt`` and printed). Later issues add scoring here, each through the same paths
production data takes.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import secrets
from decimal import Decimal
from pathlib import Path

import click
import numpy as np
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from bank_tax import clock
from bank_tax.banks import service as banks
from bank_tax.categories import CATEGORIES
from bank_tax.consent import receipts
from bank_tax.consent import service as consents
from bank_tax.consent.models import Consent
from bank_tax.db import db
from bank_tax.enterprises import service as enterprises
from bank_tax.enterprises.models import Enterprise
from bank_tax.enterprises.uscc import UsccError, validate
from bank_tax.lending import loans as lending_loans
from bank_tax.lending import service as lending
from bank_tax.products import service as products
from bank_tax.products.lpr import lpr_on
from bank_tax.security import service as security
from bank_tax.security.roles import Principal, Role
from bank_tax.sources import ingest
from bank_tax.sources.models import CreditGrade
from bank_tax.sources.specs import SOURCES

demo_cli = AppGroup("demo", help="The synthetic demo province.")


def _logins_file() -> Path:
    return Path(current_app.instance_path) / "demo-logins.txt"


def _demo_password() -> str:
    return f"Demo-{secrets.token_urlsafe(8)}-{secrets.randbelow(90) + 10}"  # letters and digits, always


AGENCY_FILES = {
    "vat_declarations": "tax/vat_declarations.csv",
    "cit_annual": "tax/cit_annual.csv",
    "credit_grades": "tax/credit_grades.csv",
    "tax_arrears": "tax/arrears.csv",
    "social_insurance": "social_insurance/monthly.csv",
    "housing_fund": "housing_fund/monthly.csv",
    "utilities": "utilities/monthly.jsonl",
    "public_credit": "public_credit/list_entries.csv",
}


def _yuan(text: str) -> int:
    return int(Decimal(text) * 100)


def _read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _read_registry(out_dir: Path) -> tuple[list[dict], list[dict], list[tuple[str, str]]]:
    """The bank rows, the firm rows whose USCC validates, and the refused (code, check) pairs."""
    bank_rows = _read_csv(out_dir / "banks" / "banks.csv")
    firm_rows, rejected = [], []
    for row in _read_csv(out_dir / "registry" / "enterprises.csv"):
        try:
            row["uscc"] = validate(row["uscc"]).code
        except UsccError as exc:
            rejected.append((row["uscc"], exc.check))
            continue
        row["established_on"] = dt.date.fromisoformat(row["established_on"])
        firm_rows.append(row)
    return bank_rows, firm_rows, rejected


def _create_banks(session, bank_rows: list[dict]) -> None:
    for row in bank_rows:
        banks.create(session, code=row["code"], name=row["name"], name_en=row["name_en"], actor=None)


def _product_documents(out_dir: Path) -> list[dict]:
    return json.loads((out_dir / "banks" / "products.json").read_text(encoding="utf-8"))


def _ingest_agency_files(session, out_dir: Path) -> None:
    for source, rel in AGENCY_FILES.items():
        batch, _ = ingest.ingest(
            session, source=SOURCES[source], data=(out_dir / rel).read_bytes(), filename=rel, actor=None
        )
        c = ingest.counts(batch)
        click.echo(f"ingested {rel}: " + " ".join(f"{k}={v}" for k, v in c.items()))


def _disburse(session, r: dict, application_id: int | None = None) -> None:
    """One historical loan of loans.csv, of its approved application or (without one) of firm and product."""
    named = {} if application_id else {"uscc": r["uscc"], "product_code": r["product_code"]}
    lending_loans.report_disbursement(
        session,
        bank_code=r["bank_code"],
        actor=None,
        contract_no=r["contract_no"],
        principal=_yuan(r["principal"]),
        rate=float(r["rate"]),
        start_date=dt.date.fromisoformat(r["start_date"]),
        maturity_date=dt.date.fromisoformat(r["maturity_date"]),
        application_id=application_id,
        **named,
    )


def _record_loan_events(session, out_dir: Path) -> dict:
    """The banks' outcome events of the historical loans, one feedback batch per bank."""
    event_rows = _read_csv(out_dir / "lending" / "loan_events.csv")
    totals = {"inserted": 0, "duplicate": 0, "rejected": 0}
    for bank in sorted({r["bank_code"] for r in event_rows}):
        rows = [(i + 2, r) for i, r in enumerate(event_rows) if r["bank_code"] == bank]
        columns = {f.name: np.array([r[f.name] for _, r in rows], dtype=str) for f in lending_loans.EVENT_FIELDS}
        report = lending_loans.record_events(
            session, bank_code=bank, columns=columns, lines=np.array([i for i, _ in rows]), actor=None
        )
        for k in totals:
            totals[k] += report[k]
    return totals


def load_history(session, out_dir: Path) -> None:
    """Products, the province's historical loans and their outcome events (through the banks' feedback
    paths), all at the present moment and without applications: the quick path for training sets and
    benchmarks (the demo itself writes the history at its dates, see :func:`load`)."""
    for doc in _product_documents(out_dir):
        products.create(session, actor=None, **doc)
    loan_rows = _read_csv(out_dir / "lending" / "loans.csv")
    for r in loan_rows:
        _disburse(session, r)
    totals = _record_loan_events(session, out_dir)
    click.echo(f"lending: {len(loan_rows)} historical loans, events " + " ".join(f"{k}={v}" for k, v in totals.items()))


def load_records(session, out_dir: Path) -> tuple[list[dict], list[dict]]:
    """Banks, the firm registry and every agency file of the province in ``out_dir``; return the bank
    and firm rows.

    Registry rows whose USCC fails validation are not registered; they are counted and reported here
    (the registry file the synthetic province writes has none; agency files do, for the quarantine).
    """
    bank_rows, firm_rows, rejected = _read_registry(out_dir)
    _create_banks(session, bank_rows)
    inserted = enterprises.register_many(session, firm_rows, actor=None)
    click.echo(f"registry: {inserted} firms registered, {len(rejected)} rows refused for an invalid USCC")
    for code, check in rejected:
        click.echo(f"  refused {code}: {check}")
    _ingest_agency_files(session, out_dir)
    return bank_rows, firm_rows


# ---------------------------------------------------------------------------------------------------
# The programme's history, written through the services at the moments it happened

DECLINE_CODES = {"额度测算不足": "insufficient_tax_history", "综合评分未达准入标准": "risk_assessment"}
FUNDS = ("采购原材料、支付货款", "支付员工工资及日常经营周转", "扩大生产、购置设备", "支付租金及水电费用", "备货周转")
REGISTRATION_LEAD_DAYS = (30, 91)  # a firm registers 1–3 months before its first application
CONSENT_TERM_DAYS = (330, 366)  # each grant runs about a year (the most allowed: 授权期限不超过一年)
RENEWAL_LEAD_DAYS = (3, 21)  # a firm that stays renews a few days to three weeks before expiry
ORDER = {"register": 0, "expire": 1, "grant": 2, "revoke": 3, "submit": 4, "review": 5, "decide": 6, "disburse": 7}


def _at(day: dt.date, minute: int) -> dt.datetime:
    """``minute`` minutes after midnight of ``day`` in China, as a UTC moment."""
    return clock.day_start(day) + dt.timedelta(minutes=int(minute))


def _firm(uscc: str) -> Principal:
    return Principal(0, f"firm-{uscc[-6:].lower()}", Role.ENTERPRISE, uscc=uscc)


def _officer(bank_code: str) -> Principal:
    return Principal(0, f"{bank_code.lower()}-officer", Role.BANK_OFFICER, bank_code=bank_code)


class _History:
    """The demo province's past as a list of dated steps (registrations, consents and their renewals,
    revocations and expiries, applications, reviews, decisions, disbursements), planned from the synthetic
    province's files and then written in date order, each through its service with the clock moved to its
    moment, so every stamp the services take (registered_at, granted_at, submitted_at, decided_at, the
    audit chain's) is the day it happened. Everything is relative to ``now``, the load moment."""

    def __init__(self, session, *, now: dt.datetime, seed: int, bank_rows, firm_rows, documents, apps, loans):
        self.session, self.now, self.today = session, now, clock.business_date(now)
        self.rng = np.random.default_rng(seed)
        self.key = None  # the platform's signing key, taken when the history is written
        self.bank_rows, self.firm_rows, self.documents = bank_rows, firm_rows, documents
        self.apps, self.loans = apps, loans
        self.needed = {d["bank_code"]: d["rules"]["consent_categories"] for d in documents}
        self.steps: list[tuple] = []
        self.counts = dict.fromkeys(
            ("registered", "granted", "renewed", "revoked", "expired", "applications", "declined", "linked"), 0
        )
        self.unlinked: list[str] = []  # contract numbers disbursed without their application, and why

    def step(self, moment: dt.datetime, kind: str, fn, *args) -> None:
        """Plan ``fn(*args)`` at ``moment`` (steps of one moment run in the order of :data:`ORDER`)."""
        self.steps.append((moment, ORDER[kind], len(self.steps), fn, args))

    def daytime(self, day: dt.date, lo: int = 9 * 60, hi: int = 18 * 60) -> dt.datetime:
        """A moment in office hours of ``day`` (minutes from midnight in [lo, hi))."""
        return _at(day, int(self.rng.integers(lo, hi)))

    # planning ------------------------------------------------------------------------------------
    def plan(self) -> None:
        """Plan every step; nothing is written yet."""
        rng = self.rng
        apps_of: dict[str, list[dict]] = {}
        for a in self.apps:
            a["applied_on"] = dt.date.fromisoformat(a["applied_on"])
            a["decided_on"] = dt.date.fromisoformat(a["decided_on"])
            apps_of.setdefault(a["uscc"], []).append(a)
        self._pair_loans()
        # registration: applicants some weeks before their first application, the others spread over the
        # programme, more of them lately (the programme grows)
        reg_day = {}
        for f in self.firm_rows:
            own = apps_of.get(f["uscc"])
            if own:
                first = min(a["applied_on"] for a in own)
                reg_day[f["uscc"]] = first - dt.timedelta(days=int(rng.integers(*REGISTRATION_LEAD_DAYS)))
        earliest = min(reg_day.values(), default=self.today - dt.timedelta(days=3 * 365))
        self.launch = min(earliest, self.today - dt.timedelta(days=365)) - dt.timedelta(days=14)
        span = (self.today - self.launch).days
        for f in self.firm_rows:
            if f["uscc"] not in reg_day:
                day = self.launch + dt.timedelta(days=1 + int(span * rng.random() ** 0.6))
                reg_day[f["uscc"]] = day
            day = max(reg_day[f["uscc"]], f["established_on"] + dt.timedelta(days=1))
            reg_day[f["uscc"]] = min(day, self.today - dt.timedelta(days=1))
        by_day: dict[dt.date, list[dict]] = {}
        for f in self.firm_rows:
            by_day.setdefault(reg_day[f["uscc"]], []).append(f)
        self.step(_at(self.launch, 9 * 60), "register", self._launch)
        for day in sorted(by_day):
            self.step(_at(day, 8 * 60), "register", self._register, by_day[day])
        month = clock.add_months(self.launch, 1)
        while _at(month, 60) < self.now:  # the hourly expiry job, seen monthly
            self.step(_at(month, 60), "expire", self._expire)
            month = clock.add_months(month, 1)
        for loan in self.loans:
            if "app" not in loan:  # disbursed at its date all the same, of firm and product
                at = self.past(self.daytime(dt.date.fromisoformat(loan["start_date"])))
                self.step(at, "disburse", self._disburse_unlinked, loan)
        bank_codes = [b["code"] for b in self.bank_rows]
        for f in self.firm_rows:
            self._plan_firm(f["uscc"], reg_day[f["uscc"]], apps_of.get(f["uscc"], []), bank_codes)

    def _pair_loans(self) -> None:
        """Each approved application of applications.csv is the loan of the same rank in loans.csv (the
        synthetic lender writes one loan per approval, in order); check that it is the same firm and product."""
        approved = [a for a in self.apps if a["decision"] == "approved"]
        for a, loan in zip(approved, self.loans, strict=False):
            key = ("uscc", "bank_code", "product_code")
            if [a[k] for k in key] != [loan[k] for k in key]:
                continue
            rules = self._rules(a["bank_code"])
            principal, term = _yuan(loan["principal"]), int(loan["term_months"])
            if rules["amount_min"] * 100 <= principal <= rules["amount_max"] * 100 and term in rules["terms_months"]:
                a["loan"], loan["app"] = loan, a
            else:  # an approval the product's rules would refuse: the loan stands, without its application
                a["skip"], loan["why"] = True, "principal or term outside the product's rules"

    def past(self, moment: dt.datetime) -> dt.datetime:
        """``moment``, or just before the load when it would be later (nothing is written in the future)."""
        return min(moment, self.now - dt.timedelta(minutes=1))

    def _plan_firm(self, uscc: str, reg: dt.date, own: list[dict], bank_codes: list[str]) -> None:
        rng = self.rng
        own = [a for a in own if not a.get("skip")]
        extra = [c for c in CATEGORIES[1:] if rng.random() < 0.6]
        window = int(rng.choice([12, 24, 36]))
        if not own and rng.random() < 0.4:
            return  # this firm registered but shares nothing (applicants all consented to apply)
        first = reg + dt.timedelta(days=int(rng.integers(0, 15)))
        if rng.random() < 0.45:  # to every bank, for pre-screening (whitelists)
            spec = {"purpose": "pre_screen", "all_banks": True, "categories": ["tax", *extra]}
            tail = "keep" if rng.random() < 0.85 else "lapse"
            self._plan_chain(uscc, spec, [(self.past(self.daytime(first)), None)], tail)
        by_bank: dict[str, list[dict]] = {}
        for a in own:
            by_bank.setdefault(a["bank_code"], []).append(a)
        if not own:  # one or two banks for underwriting, granted early and kept, mostly
            picked = rng.choice(bank_codes, 1 if rng.random() < 0.7 else 2, replace=False)
            by_bank = {str(b): [] for b in picked}
        for bank, bank_apps in by_bank.items():
            categories = [c for c in CATEGORIES if c in {"tax", *extra, *self.needed.get(bank, [])}]
            spec = {
                "purpose": "underwriting",
                "bank_code": bank,
                "categories": categories,
                "data_window_months": window,
            }
            needs, live_loan = [], False  # (from, to): when the bank must be able to see the firm
            for a in sorted(bank_apps, key=lambda a: a["applied_on"]):
                a["submit_at"] = self.daytime(a["applied_on"], 8 * 60, 22 * 60)
                lead = (
                    dt.timedelta(minutes=int(rng.integers(5, 90)))
                    if rng.random() < 0.7
                    else dt.timedelta(days=int(rng.integers(1, 10)))
                )
                # the bank sees the firm from the application to the decision (to the disbursement when
                # approved); a firm whose loan runs on keeps its consent for the bank's monitoring
                until = dt.date.fromisoformat(a["loan"]["start_date"]) if "loan" in a else a["decided_on"]
                needs.append((a["submit_at"] - lead, _at(until, 23 * 60)))
                if "loan" in a and dt.date.fromisoformat(a["loan"]["maturity_date"]) > self.today:
                    live_loan = True
                self._plan_application(a)
            if not needs:
                needs = [(self.past(self.daytime(first)), None)]
            u = rng.random()
            tail = "keep" if live_loan or u < (0.35 if bank_apps else 0.8) else "revoke" if u < 0.5 else "lapse"
            self._plan_chain(uscc, spec, needs, tail)

    def _plan_chain(self, uscc: str, spec: dict, needs: list[tuple], tail: str) -> None:
        """Consents of one firm for one purpose and bank, covering every span in ``needs``: granted at the
        start of a span (unless one is still in force), renewed before expiry while a span lasts, then
        kept renewing until now (``keep``), revoked once the last span is over (``revoke``), or left to
        expire (``lapse``)."""
        rng = self.rng
        chain = {"uscc": uscc, "spec": spec, "id": None}
        expires = None
        last_grant = None

        def term(start):
            return start + dt.timedelta(days=int(rng.integers(*CONSENT_TERM_DAYS)))

        def cover(until, expires, last_grant):
            while expires < until:
                day = clock.business_date(expires) - dt.timedelta(days=int(rng.integers(*RENEWAL_LEAD_DAYS)))
                at = max(self.daytime(day), last_grant + dt.timedelta(hours=1))
                new_expiry = term(at)
                self.step(at, "grant", self._grant, chain, new_expiry, True)
                expires, last_grant = new_expiry, at
            return expires, last_grant

        for start, end in sorted(needs, key=lambda n: n[0]):
            if expires is None or start >= expires:  # nothing in force: a new grant
                expires, last_grant = term(start), start
                self.step(start, "grant", self._grant, chain, expires, False)
            if end is not None:
                expires, last_grant = cover(end, expires, last_grant)
        if tail == "keep":
            cover(self.now + dt.timedelta(days=1), expires, last_grant)
        elif tail == "revoke":
            end = max(e or s for s, e in needs)
            day = clock.business_date(end) + dt.timedelta(days=int(rng.integers(1, 60)))
            at = self.daytime(day)
            if at < min(expires, self.now):
                self.step(at, "revoke", self._revoke, chain)

    def _plan_application(self, a: dict) -> None:
        review_day = min(a["applied_on"] + dt.timedelta(days=1), a["decided_on"])
        review_at = max(self.daytime(review_day, 9 * 60, 11 * 60), a["submit_at"] + dt.timedelta(minutes=30))
        decide_at = max(self.daytime(a["decided_on"], 13 * 60, 17 * 60), review_at + dt.timedelta(minutes=30))
        self.step(a["submit_at"], "submit", self._submit, a)
        self.step(review_at, "review", self._review, a)
        self.step(decide_at, "decide", self._decide, a)
        if "loan" in a:
            start = dt.date.fromisoformat(a["loan"]["start_date"])
            at = max(min(self.daytime(start), self.now - dt.timedelta(minutes=1)), decide_at + dt.timedelta(minutes=1))
            self.step(at, "disburse", self._disburse_loan, a["loan"])

    # writing ------------------------------------------------------------------------------------------
    def run(self) -> None:
        """Write every planned step in date order, each at its moment."""
        self.key = receipts.platform_key()
        for moment, _, _, fn, args in sorted(self.steps, key=lambda s: s[:3]):
            with clock.travel(moment):
                fn(*args)

    def _launch(self) -> None:
        _create_banks(self.session, self.bank_rows)
        for doc in self.documents:
            products.create(self.session, actor=None, **doc)

    def _register(self, rows: list[dict]) -> None:
        self.counts["registered"] += enterprises.register_many(self.session, rows, actor=None)

    def _expire(self) -> None:
        self.counts["expired"] += consents.expire_due(self.session)

    def _grant(self, chain: dict, expires_at: dt.datetime, renewal: bool) -> None:
        consent = consents.grant(
            self.session,
            uscc=chain["uscc"],
            actor=_firm(chain["uscc"]),
            key=self.key,
            expires_at=expires_at,
            supersedes=chain["id"] if renewal else None,
            **chain["spec"],
        )
        chain["id"] = consent.id
        self.counts["renewed" if renewal else "granted"] += 1

    def _revoke(self, chain: dict) -> None:
        consents.revoke(
            self.session, uscc=chain["uscc"], consent_id=chain["id"], actor=_firm(chain["uscc"]), reason="改选其他银行"
        )
        self.counts["revoked"] += 1

    def _rules(self, bank_code: str) -> dict:
        return next(d["rules"] for d in self.documents if d["bank_code"] == bank_code)

    def _submit(self, a: dict) -> None:
        rules = self._rules(a["bank_code"])
        # the synthetic lender asks up to 1.2× its limit; the platform's form caps it at the product's range
        amount = min(max(_yuan(a["amount_requested"]), rules["amount_min"] * 100), rules["amount_max"] * 100)
        a["record"] = lending.submit(
            self.session,
            uscc=a["uscc"],
            actor=_firm(a["uscc"]),
            key=self.key,
            bank_code=a["bank_code"],
            product_code=a["product_code"],
            amount=amount,
            term_months=int(rules["terms_months"][0]),
            purpose_of_funds=str(self.rng.choice(FUNDS)),
        )
        self.counts["applications"] += 1

    def _review(self, a: dict) -> None:
        lending.act(self.session, app=a["record"], action="review", actor=_officer(a["bank_code"]))

    def _decide(self, a: dict) -> None:
        officer, app = _officer(a["bank_code"]), a["record"]
        if a["decision"] != "approved":
            text = a["reason"].split(" / ")[0]
            code = DECLINE_CODES.get(text, "other")
            lending.decide(self.session, app=app, decision="declined", actor=officer, reason_code=code, reason=text)
            self.counts["declined"] += 1
            return
        loan, rules = a.get("loan"), self._rules(a["bank_code"])
        if loan is None:  # an approval without a loan in the files (not written so far): grant what was asked
            amount, term, rate = app.amount, app.term_months, None
        else:
            amount, term, rate = _yuan(loan["principal"]), int(loan["term_months"]), float(loan["rate"])
        lpr = lpr_on(clock.today())
        lo, hi = round(lpr + rules["rate_spread_min"], 4), round(lpr + rules["rate_spread_max"], 4)
        # the contract's rate follows the LPR of its start date; offered a few days earlier, it is quoted
        # on that day's LPR (the same unless the LPR moved in between)
        offered = min(max(rate if rate is not None else lo, lo), hi)
        lending.decide(
            self.session,
            app=app,
            decision="approved",
            actor=officer,
            reason_code=None,
            reason="",
            amount=amount,
            term_months=term,
            rate=round(offered, 4),
        )

    def _disburse_loan(self, loan: dict) -> None:
        _disburse(self.session, loan, application_id=loan["app"]["record"].id)
        self.counts["linked"] += 1

    def _disburse_unlinked(self, loan: dict) -> None:
        _disburse(self.session, loan)
        self.unlinked.append(f"{loan['contract_no']} ({loan.get('why', 'no matching application')})")


def _open_applications(session, documents: list[dict], seed: int) -> int:
    """Open applications: some consenting firms with a good published grade apply now, for officers."""
    rng = np.random.default_rng(seed + 1)
    graded = sa.select(CreditGrade.uscc).where(CreditGrade.grade.in_(["A", "B"])).distinct()
    firms = session.scalars(
        sa.select(Enterprise.uscc).where(Enterprise.uscc.in_(graded)).order_by(Enterprise.uscc)
    ).all()
    key = receipts.platform_key()
    opened = 0
    for uscc in rng.choice(firms, min(12, len(firms)), replace=False):
        doc = documents[int(rng.integers(0, len(documents)))]
        amount = int(rng.integers(5, 50)) * 1_000_000  # 5–50 万元, in 分
        app = lending.submit(
            session,
            uscc=str(uscc),
            actor=_firm(str(uscc)),
            key=key,
            bank_code=doc["bank_code"],
            product_code=doc["code"],
            amount=amount,
            term_months=12,
            purpose_of_funds="采购原材料、支付货款",
            grant_consent=True,
        )
        if opened % 3 == 0:  # a third already taken into review
            lending.act(session, app=app, action="review", actor=_officer(doc["bank_code"]))
        opened += 1
    return opened


def load(session, out_dir: Path, seed: int = 0) -> list[tuple[str, str, str]]:
    """Load the province written in ``out_dir`` and create demo users; return (role, username, password).

    The programme's past is written at its dates (:class:`_History`): banks and products at its launch,
    each firm's registration, consents (renewed, revoked or left to expire), the applications of
    applications.csv with their reviews and decisions, and the loans of loans.csv disbursed from them.
    The agency files, the banks' outcome events and the open applications come in now, at the load.
    """
    now = clock.now()
    bank_rows, firm_rows, rejected = _read_registry(out_dir)
    history = _History(
        session,
        now=now,
        seed=seed,
        bank_rows=bank_rows,
        firm_rows=firm_rows,
        documents=_product_documents(out_dir),
        apps=_read_csv(out_dir / "lending" / "applications.csv"),
        loans=_read_csv(out_dir / "lending" / "loans.csv"),
    )
    history.plan()
    history.run()
    c = history.counts
    click.echo(
        f"registry: {c['registered']} firms registered since {history.launch}, "
        f"{len(rejected)} rows refused for an invalid USCC"
    )
    for code, check in rejected:
        click.echo(f"  refused {code}: {check}")
    _ingest_agency_files(session, out_dir)
    c["expired"] += consents.expire_due(session)
    click.echo(
        f"consents: {c['granted']} granted, {c['renewed']} renewals, {c['revoked']} revoked, {c['expired']} expired"
    )
    totals = _record_loan_events(session, out_dir)
    click.echo(
        f"lending: {c['applications']} historical applications ({c['declined']} declined), "
        f"{len(history.loans)} historical loans ({c['linked']} from their application), events "
        + " ".join(f"{k}={v}" for k, v in totals.items())
    )
    for note in history.unlinked:
        click.echo(f"  disbursed without an application: {note}")
    opened = _open_applications(session, history.documents, seed)
    click.echo(f"applications: {opened} open for officers to decide")

    cost = current_app.config["PASSWORD_HASH_N"]
    logins = []

    def user(role, username, **kw):
        password = _demo_password()
        security.create_user(session, username=username, password=password, role=role, actor=None, cost=cost, **kw)
        logins.append((str(role), username, password))

    user(Role.ADMIN, "admin")
    user(Role.OPERATOR, "operator")
    user(Role.ANALYST, "analyst")
    for row in bank_rows:
        code = row["code"].lower()
        user(Role.BANK_ADMIN, f"{code}-admin", bank_code=row["code"])
        user(Role.BANK_OFFICER, f"{code}-officer", bank_code=row["code"])
    consenting = sa.select(Consent.uscc).where(Consent.status == "active").distinct()
    for firm in session.scalars(
        sa.select(Enterprise).where(Enterprise.uscc.in_(consenting)).order_by(Enterprise.uscc).limit(3)
    ):
        user(Role.ENTERPRISE, f"firm-{firm.uscc[-6:].lower()}", uscc=firm.uscc, display_name=firm.name)
    return logins


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="do nothing when firms are already registered")
def demo_load(if_empty: bool) -> None:
    """Generate the demo province under instance/demo and load it; print the demo logins."""
    from bank_tax.synth.province import SynthParams, generate
    from bank_tax.synth.writers import write_province

    cfg = current_app.config
    with db.scope() as session:
        if if_empty and session.scalar(sa.select(sa.func.count()).select_from(Enterprise)):
            click.echo("demo province already loaded")
            _print_logins()
            return
        out_dir = Path(current_app.instance_path) / "demo"
        params = SynthParams.make(
            firms=cfg["DEMO_FIRMS"],
            months=cfg["DEMO_MONTHS"],
            seed=cfg["DEMO_SEED"],
            application_rate=cfg["DEMO_APPLICATION_RATE"],
        )
        write_province(generate(params, progress=True), out_dir, progress=True)
        logins = load(session, out_dir, seed=cfg["DEMO_SEED"])
    path = _logins_file()
    path.write_text("".join(f"{role}\t{name}\t{pw}\n" for role, name, pw in logins), encoding="utf-8")
    path.chmod(0o600)
    _print_logins()


def _print_logins() -> None:
    path = _logins_file()
    if not path.exists():
        return
    click.echo(f"demo logins (also in {path}):")
    for line in path.read_text(encoding="utf-8").splitlines():
        role, name, pw = line.split("\t")
        click.echo(f"  {role:<13} {name:<28} {pw}")
