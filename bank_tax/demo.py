"""``flask --app app demo``: load the synthetic demo province into an empty database.

Stages that exist so far: banks, the firm registry, every agency file through the real ingestion path
(quarantine reports included), a realistic mix of consents granted through the consent service, and
banks' products, historical loans with their outcome events fed back through the banks' paths, a few open
applications, and demo users (their passwords are generated once into ``instance/demo-logins.txt`` and
printed). Later issues add scoring here, each through the same paths production data takes.
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


def grant_consents(session, firms: list[str], bank_codes: list[str], seed: int) -> tuple[int, int]:
    """A realistic mix, granted through the consent service as each firm would: most firms consent to one
    or two banks for underwriting (tax always, other categories often), many also to all banks for
    pre-screening, some to nobody, and a few revoke one later."""
    rng = np.random.default_rng(seed)
    key = receipts.platform_key()
    now = clock.now()
    granted = revoked = 0
    for uscc in firms:
        if rng.random() < 0.15:
            continue  # this firm shares nothing
        firm = Principal(0, f"firm-{uscc[-6:].lower()}", Role.ENTERPRISE, uscc=uscc)
        extra = [c for c in CATEGORIES[1:] if rng.random() < 0.6]
        expires = now + dt.timedelta(days=int(rng.integers(150, 360)))
        made = []
        if rng.random() < 0.45:
            made.append(
                consents.grant(
                    session,
                    uscc=uscc,
                    actor=firm,
                    key=key,
                    purpose="pre_screen",
                    all_banks=True,
                    categories=["tax", *extra],
                    expires_at=expires,
                )
            )
        for bank in rng.choice(bank_codes, 1 if rng.random() < 0.7 else 2, replace=False):
            made.append(
                consents.grant(
                    session,
                    uscc=uscc,
                    actor=firm,
                    key=key,
                    purpose="underwriting",
                    bank_code=str(bank),
                    categories=["tax", *extra],
                    expires_at=expires,
                    data_window_months=int(rng.choice([12, 24, 36])),
                )
            )
        granted += len(made)
        if rng.random() < 0.08:
            consents.revoke(session, uscc=uscc, consent_id=made[-1].id, actor=firm, reason="改选其他银行")
            revoked += 1
    return granted, revoked


def _yuan(text: str) -> int:
    return int(Decimal(text) * 100)


def load_history(session, out_dir: Path) -> None:
    """Products, the province's historical loans and their outcome events (through the banks' feedback
    paths)."""
    for doc in json.loads((out_dir / "banks" / "products.json").read_text(encoding="utf-8")):
        products.create(session, actor=None, **doc)
    with open(out_dir / "lending" / "loans.csv", encoding="utf-8", newline="") as fh:
        loan_rows = list(csv.DictReader(fh))
    for r in loan_rows:
        lending_loans.report_disbursement(
            session,
            bank_code=r["bank_code"],
            actor=None,
            contract_no=r["contract_no"],
            uscc=r["uscc"],
            product_code=r["product_code"],
            principal=_yuan(r["principal"]),
            rate=float(r["rate"]),
            start_date=dt.date.fromisoformat(r["start_date"]),
            maturity_date=dt.date.fromisoformat(r["maturity_date"]),
        )
    with open(out_dir / "lending" / "loan_events.csv", encoding="utf-8", newline="") as fh:
        event_rows = list(csv.DictReader(fh))
    totals = {"inserted": 0, "duplicate": 0, "rejected": 0}
    for bank in sorted({r["bank_code"] for r in event_rows}):
        rows = [(i + 2, r) for i, r in enumerate(event_rows) if r["bank_code"] == bank]
        columns = {f.name: np.array([r[f.name] for _, r in rows], dtype=str) for f in lending_loans.EVENT_FIELDS}
        report = lending_loans.record_events(
            session, bank_code=bank, columns=columns, lines=np.array([i for i, _ in rows]), actor=None
        )
        for k in totals:
            totals[k] += report[k]
    click.echo(f"lending: {len(loan_rows)} historical loans, events " + " ".join(f"{k}={v}" for k, v in totals.items()))


def load_lending(session, out_dir: Path, seed: int) -> None:
    """The lending history, then a few open applications for officers to decide."""
    load_history(session, out_dir)
    # open applications: some consenting firms with a good published grade apply now
    rng = np.random.default_rng(seed + 1)
    graded = sa.select(CreditGrade.uscc).where(CreditGrade.grade.in_(["A", "B"])).distinct()
    firms = session.scalars(
        sa.select(Enterprise.uscc).where(Enterprise.uscc.in_(graded)).order_by(Enterprise.uscc)
    ).all()
    key = receipts.platform_key()
    documents = json.loads((out_dir / "banks" / "products.json").read_text(encoding="utf-8"))
    opened = 0
    for uscc in rng.choice(firms, min(12, len(firms)), replace=False):
        doc = documents[int(rng.integers(0, len(documents)))]
        firm = Principal(0, f"firm-{uscc[-6:].lower()}", Role.ENTERPRISE, uscc=str(uscc))
        amount = int(rng.integers(5, 50)) * 1_000_000  # 5–50 万元, in 分
        app = lending.submit(
            session,
            uscc=str(uscc),
            actor=firm,
            key=key,
            bank_code=doc["bank_code"],
            product_code=doc["code"],
            amount=amount,
            term_months=12,
            purpose_of_funds="采购原材料、支付货款",
            grant_consent=True,
        )
        if opened % 3 == 0:  # a third already taken into review
            officer = Principal(0, f"{doc['bank_code'].lower()}-officer", Role.BANK_OFFICER, bank_code=doc["bank_code"])
            lending.act(session, app=app, action="review", actor=officer)
        opened += 1
    click.echo(f"applications: {opened} open for officers to decide")


def load_records(session, out_dir: Path) -> tuple[list[dict], list[dict]]:
    """Banks, the firm registry and every agency file of the province in ``out_dir``; return the bank
    and firm rows.

    Registry rows whose USCC fails validation are not registered; they are counted and reported here
    (the registry file the synthetic province writes has none; agency files do, for the quarantine).
    """
    with open(out_dir / "banks" / "banks.csv", encoding="utf-8", newline="") as fh:
        bank_rows = list(csv.DictReader(fh))
    for row in bank_rows:
        banks.create(session, code=row["code"], name=row["name"], name_en=row["name_en"], actor=None)
    with open(out_dir / "registry" / "enterprises.csv", encoding="utf-8", newline="") as fh:
        firm_rows, rejected = [], []
        for row in csv.DictReader(fh):
            try:
                row["uscc"] = validate(row["uscc"]).code
            except UsccError as exc:
                rejected.append((row["uscc"], exc.check))
                continue
            row["established_on"] = dt.date.fromisoformat(row["established_on"])
            firm_rows.append(row)
    inserted = enterprises.register_many(session, firm_rows, actor=None)
    click.echo(f"registry: {inserted} firms registered, {len(rejected)} rows refused for an invalid USCC")
    for code, check in rejected:
        click.echo(f"  refused {code}: {check}")
    for source, rel in AGENCY_FILES.items():
        batch, _ = ingest.ingest(
            session, source=SOURCES[source], data=(out_dir / rel).read_bytes(), filename=rel, actor=None
        )
        c = ingest.counts(batch)
        click.echo(f"ingested {rel}: " + " ".join(f"{k}={v}" for k, v in c.items()))
    return bank_rows, firm_rows


def load(session, out_dir: Path, seed: int = 0) -> list[tuple[str, str, str]]:
    """Load the province written in ``out_dir`` and create demo users; return (role, username, password)."""
    bank_rows, firm_rows = load_records(session, out_dir)
    granted, revoked = grant_consents(session, [r["uscc"] for r in firm_rows], [r["code"] for r in bank_rows], seed)
    click.echo(f"consents: {granted} granted, {revoked} of them revoked")
    load_lending(session, out_dir, seed)

    cost = current_app.config.get("PASSWORD_HASH_N", 2**15)
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
