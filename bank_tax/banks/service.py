"""Adding and listing participating banks."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax.banks.models import Bank
from bank_tax.errors import Conflict, NotFound
from bank_tax.security import audit
from bank_tax.security.roles import Principal


def create(
    session: Session,
    *,
    code: str,
    name: str,
    name_en: str = "",
    whitelist_cron: str = "0 6 1 * *",
    actor: Principal | None,
) -> Bank:
    """Add a bank; 409 when the code is taken. Audited."""
    if session.get(Bank, code) is not None:
        raise Conflict("This bank code is taken.", {"code": ["already exists"]})
    bank = Bank(code=code, name=name, name_en=name_en, whitelist_cron=whitelist_cron)
    session.add(bank)
    session.flush()
    audit.record(session, actor=actor, action="bank.create", bank_code=code, resource=f"bank/{code}")
    return bank


def list_all(session: Session) -> list[Bank]:
    """Every participating bank, by code."""
    return list(session.scalars(sa.select(Bank).order_by(Bank.code)))


def set_schedule(session: Session, *, bank_code: str, whitelist_cron: str, actor: Principal | None) -> Bank:
    """Change when the scheduler sends the bank its whitelist (the running scheduler picks it up within
    ten minutes). Audited."""
    bank = session.get(Bank, bank_code)
    if bank is None:
        raise NotFound("no such bank")
    bank.whitelist_cron = whitelist_cron
    audit.record(
        session,
        actor=actor,
        action="bank.schedule",
        bank_code=bank_code,
        resource=f"bank/{bank_code}",
        details={"whitelist_cron": whitelist_cron},
    )
    session.flush()
    return bank
