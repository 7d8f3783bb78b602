"""Factories for test objects, made through the real services (no hand-written rows)."""

from __future__ import annotations

import datetime as dt
import itertools

from bank_tax.banks import models as bank_models  # noqa: F401
from bank_tax.banks import service as banks
from bank_tax.enterprises import service as enterprises
from bank_tax.enterprises import uscc
from bank_tax.security import service as security
from bank_tax.security.roles import Role

PASSWORD = "correct-horse-42"
_seq = itertools.count(1)


def new_uscc(division: str = "330106") -> str:
    """A valid, unique USCC."""
    n = next(_seq)
    body = "MA" + "".join(uscc.ALPHABET[(n // 31**k) % 31] for k in range(6))
    return uscc.make(division=division, body8=body)


def bank(session, code: str | None = None):
    code = code or f"B{next(_seq):04d}"
    return banks.create(session, code=code, name=f"测试银行{code}", actor=None)


def enterprise(session, **kw):
    fields = {
        "uscc": new_uscc(),
        "name": "杭州测试科技有限公司",
        "region_code": "330106",
        "industry_code": "C18",
        "established_on": dt.date(2018, 3, 1),
        "size_class": "small",
        "account": None,
    }
    fields.update(kw)
    return enterprises.register(session, actor=_staff(), password_cost=1024, **fields)


def _staff():
    from bank_tax.security.roles import Principal

    return Principal(0, "factory", Role.OPERATOR)


def user(session, role: Role | str, *, uscc: str | None = None, bank_code: str | None = None, username=None):
    """A user of ``role``; creates the firm or bank it must be bound to when none is given."""
    role = Role(role)
    if role == Role.ENTERPRISE and uscc is None:
        uscc = enterprise(session).uscc
    if role in (Role.BANK_OFFICER, Role.BANK_ADMIN) and bank_code is None:
        bank_code = bank(session).code
    return security.create_user(
        session,
        username=username or f"{role.value}-{next(_seq)}",
        password=PASSWORD,
        role=role,
        uscc=uscc,
        bank_code=bank_code,
        actor=None,
        cost=1024,
    )


def token(session, u) -> str:
    """A bearer token for user ``u``."""
    secret, _ = security.issue_token(session, user=u, kind="session", ttl=dt.timedelta(hours=1))
    session.flush()
    return secret


def auth(session, role: Role | str, **kw) -> tuple[dict, object]:
    """Headers with a bearer token for a new user of ``role``, and the user."""
    u = user(session, role, **kw)
    return {"Authorization": f"Bearer {token(session, u)}"}, u


_KEY = None


def key():
    """The signing key the factories use for consent receipts."""
    global _KEY
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    _KEY = _KEY or Ed25519PrivateKey.generate()
    return _KEY


def consent(
    session,
    *,
    uscc: str,
    bank_code: str | None = None,
    purpose: str = "underwriting",
    categories=("tax",),
    days: int = 180,
    **kw,
):
    """A consent granted by the firm itself, signed with a test key."""
    from bank_tax import clock
    from bank_tax.consent import service as consents
    from bank_tax.security.roles import Principal

    firm_user = Principal(0, f"firm-{uscc[-6:]}", Role.ENTERPRISE, uscc=uscc)
    return consents.grant(
        session,
        uscc=uscc,
        actor=firm_user,
        key=key(),
        purpose=purpose,
        categories=list(categories),
        bank_code=bank_code,
        all_banks=bank_code is None,
        expires_at=clock.now() + dt.timedelta(days=days),
        **kw,
    )


RULES = {
    "amount_min": 10_000,
    "amount_max": 3_000_000,
    "terms_months": [12],
    "rate_spread_min": 0.15,
    "rate_spread_max": 2.5,
    "repayment_style": "interest_monthly_principal_at_maturity",
    "grades": ["A", "B", "M"],
    "min_months_operating": 24,
    "min_tax_12m": 5_000,
    "consent_categories": ["tax"],
    "limit_rule": {"basis": "tax", "multiple": 8, "window_months": 12},
}


def product(session, bank_code: str, code: str = "YSD", **rules):
    """A product of ``bank_code`` with valid rules (overridable)."""
    from bank_tax.products import service as products

    return products.create(session, bank_code=bank_code, code=code, name="云税贷", rules={**RULES, **rules}, actor=None)


def champion_registry(app, fitted, folder):
    """A registry in ``folder`` with ``fitted`` registered and promoted champion, used by ``app``."""
    from bank_tax.modelling.registry import Registry

    reg = Registry(folder)
    reg.promote(reg.register(fitted.model, {"data": {"source": "tests"}, "evaluation": fitted.report}))
    app.config["MODEL_DIR"] = str(reg.root)
    return reg
