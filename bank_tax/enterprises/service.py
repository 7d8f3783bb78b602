"""The firm registry: registration (one firm, or many from the market-regulation registry file) and reads."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax.db import is_unique_violation
from bank_tax.enterprises.models import Enterprise
from bank_tax.errors import Conflict, Invalid, NotFound
from bank_tax.security import audit, pii
from bank_tax.security import service as security
from bank_tax.security.roles import Principal, Role


def register(
    session: Session,
    *,
    uscc: str,
    name: str,
    region_code: str,
    industry_code: str,
    established_on: dt.date,
    size_class: str,
    account: dict | None,
    actor: Principal | None,
    legal_rep_name: str = "",
    legal_rep_id: str | None = None,
    legal_rep_phone: str | None = None,
    password_min_length: int = 10,
    password_cost: int = security.PASSWORD_COST,
) -> Enterprise:
    """Register a firm (already-validated fields) and, when given, its first enterprise user; audited.

    A firm registering itself (``actor`` None) must bring an account. A taken USCC is a 409 even when two
    registrations race: the unique index decides, and the loser's insert fails.
    """
    if actor is None and account is None:
        raise Invalid("Registering yourself needs an account.", {"account": ["required when not logged in"]})
    firm = Enterprise(
        uscc=uscc,
        name=name.strip(),
        region_code=region_code,
        industry_code=industry_code,
        established_on=established_on,
        size_class=size_class,
        source="self" if actor is None else "operator",
        legal_rep_name=legal_rep_name.strip(),
        legal_rep_id_sealed=pii.seal(legal_rep_id and legal_rep_id.strip().upper(), uscc=uscc),
        legal_rep_phone_sealed=pii.seal(legal_rep_phone, uscc=uscc),
    )
    try:
        with session.begin_nested():
            session.add(firm)
            session.flush()
    except sa.exc.IntegrityError as exc:
        if is_unique_violation(exc):
            raise Conflict(
                "该统一社会信用代码已注册 / this USCC is already registered", {"uscc": ["already registered"]}
            ) from exc
        raise
    audit.record(
        session,
        actor=actor,
        action="enterprise.register",
        uscc=uscc,
        resource=f"enterprise/{uscc}",
        details={"name": firm.name, "source": firm.source},
    )
    if account is not None:
        security.create_user(
            session,
            username=account["username"],
            password=account["password"],
            role=Role.ENTERPRISE,
            uscc=uscc,
            display_name=firm.name,
            actor=actor,
            min_length=password_min_length,
            cost=password_cost,
        )
    return firm


def register_many(session: Session, rows: list[dict], *, actor: Principal | None) -> int:
    """Register firms from the registry file in one statement, skipping USCCs already known.

    Rows are validated by the caller. Returns how many were new. One audit event covers the batch.
    """
    if not rows:
        return 0
    codes = [r["uscc"] for r in rows]
    known: set[str] = set()
    for i in range(0, len(codes), 1000):  # bounded IN lists: SQLite caps bound parameters
        known.update(session.scalars(sa.select(Enterprise.uscc).where(Enterprise.uscc.in_(codes[i : i + 1000]))))
    new = [{**r, "source": "registry"} for r in rows if r["uscc"] not in known]
    if new:
        session.execute(sa.insert(Enterprise), new)
    audit.record(
        session,
        actor=actor,
        action="enterprise.register_batch",
        resource="enterprise",
        details={"received": len(rows), "inserted": len(new)},
    )
    return len(new)


def get(session: Session, uscc: str) -> Enterprise:
    """The firm with this USCC, or :class:`NotFound`."""
    firm = session.scalar(sa.select(Enterprise).where(Enterprise.uscc == uscc))
    if firm is None:
        raise NotFound("没有该企业 / no firm with this USCC is registered")
    return firm


def public(firm: Enterprise, principal: Principal | None, *, own: bool = False) -> SimpleNamespace:
    """A firm for output: its legal representative's ID number and phone opened for the firm itself and
    the platform's operators, masked for everyone else (banks above all: every output goes through here).
    ``own``: the answer to the firm's own registration."""
    id_number = pii.unseal(firm.legal_rep_id_sealed, uscc=firm.uscc)
    phone = pii.unseal(firm.legal_rep_phone_sealed, uscc=firm.uscc)
    opened = own or (
        principal is not None and (principal.uscc == firm.uscc or principal.role in (Role.OPERATOR, Role.ADMIN))
    )
    if not opened:
        id_number, phone = pii.mask_id(id_number), pii.mask_phone(phone)
    return SimpleNamespace(**firm.model_dump(), legal_rep_id=id_number, legal_rep_phone=phone)


def search(session: Session, *, q: str | None = None, region_prefix: str | None = None) -> sa.Select:
    """A query for firms matching a name/USCC fragment and a region prefix, ordered by USCC."""
    stmt = sa.select(Enterprise).order_by(Enterprise.uscc)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(sa.or_(Enterprise.name.like(like), Enterprise.uscc.like(like.upper())))
    if region_prefix:
        stmt = stmt.where(Enterprise.region_code.like(region_prefix + "%"))
    return stmt
