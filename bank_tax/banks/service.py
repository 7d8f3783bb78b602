"""Adding and listing participating banks."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax.banks.models import Bank
from bank_tax.errors import Conflict
from bank_tax.security import audit
from bank_tax.security.roles import Principal


def create(session: Session, *, code: str, name: str, name_en: str = "", actor: Principal | None) -> Bank:
    """Add a bank; 409 when the code is taken. Audited."""
    if session.get(Bank, code) is not None:
        raise Conflict("This bank code is taken.", {"code": ["already exists"]})
    bank = Bank(code=code, name=name, name_en=name_en)
    session.add(bank)
    session.flush()
    audit.record(session, actor=actor, action="bank.create", bank_code=code, resource=f"bank/{code}")
    return bank


def list_all(session: Session) -> list[Bank]:
    """Every participating bank, by code."""
    return list(session.scalars(sa.select(Bank).order_by(Bank.code)))
