"""``flask --app app demo``: load the synthetic demo province into an empty database.

Stages that exist so far: banks, the firm registry, demo users (their passwords are generated once into
``instance/demo-logins.txt`` and printed). Later issues add ingestion, consents, loans and scoring here,
each through the same real paths that production data takes.
"""

from __future__ import annotations

import csv
import datetime as dt
import secrets
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from bank_tax.banks import service as banks
from bank_tax.db import db
from bank_tax.enterprises import service as enterprises
from bank_tax.enterprises.models import Enterprise
from bank_tax.enterprises.uscc import UsccError, validate
from bank_tax.security import service as security
from bank_tax.security.roles import Role

demo_cli = AppGroup("demo", help="The synthetic demo province.")


def _logins_file() -> Path:
    return Path(current_app.instance_path) / "demo-logins.txt"


def _demo_password() -> str:
    return f"Demo-{secrets.token_urlsafe(8)}-{secrets.randbelow(90) + 10}"  # letters and digits, always


def load(session, out_dir: Path) -> list[tuple[str, str, str]]:
    """Load the province written in ``out_dir`` and create demo users; return (role, username, password).

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
    for firm in session.scalars(sa.select(Enterprise).order_by(Enterprise.uscc).limit(3)):
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
        params = SynthParams.make(firms=cfg["DEMO_FIRMS"], months=cfg["DEMO_MONTHS"], seed=cfg["DEMO_SEED"])
        write_province(generate(params, progress=True), out_dir, progress=True)
        logins = load(session, out_dir)
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
