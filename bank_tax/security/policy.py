"""The one place that decides who may do what.

Views and services ask :func:`require` (or :func:`allowed`) with an action name and the facts of the
resource (its firm, its bank); no view compares roles itself. The table below is the whole policy, so a
review of access rights is a review of this file. Consent-based access of banks to firm data is decided
by the consent mask (consent domain) on top of this table.
"""

from __future__ import annotations

from collections.abc import Callable

from bank_tax.errors import Forbidden, Unauthorized
from bank_tax.security.roles import Principal, Role

Rule = Callable[[Principal | None, dict], bool]


def _roles(*roles: Role) -> Rule:
    wanted = frozenset(roles)
    return lambda p, _ctx: p is not None and p.role in wanted


def _own_firm_or(*roles: Role) -> Rule:
    """The firm's own users, or any of ``roles``."""
    wanted = frozenset(roles)
    return lambda p, ctx: (
        p is not None
        and (p.role in wanted or (p.role == Role.ENTERPRISE and p.uscc is not None and p.uscc == ctx.get("uscc")))
    )


def _firm_or_its_bank(*roles: Role) -> Rule:
    """The firm's own users, users of the bank named in the context, or any of ``roles``."""
    own_firm = _own_firm_or(*roles)
    return lambda p, ctx: (
        own_firm(p, ctx)
        or (p is not None and p.is_bank and ctx.get("bank_code") is not None and p.bank_code == ctx.get("bank_code"))
    )


def _bank_users_of(*roles: Role) -> Rule:
    """Users of the bank named in the context, or any of ``roles``."""
    wanted = frozenset(roles)
    return lambda p, ctx: p is not None and (p.role in wanted or (p.is_bank and p.bank_code == ctx.get("bank_code")))


def _create_user(p: Principal | None, ctx: dict) -> bool:
    """Admins create anyone; a bank admin creates officers and admins of its own bank."""
    if p is None:
        return False
    if p.role == Role.ADMIN:
        return True
    return (
        p.role == Role.BANK_ADMIN
        and ctx.get("role") in {Role.BANK_OFFICER, Role.BANK_ADMIN}
        and ctx.get("bank_code") == p.bank_code
    )


STAFF = (Role.OPERATOR, Role.ADMIN)

POLICY: dict[str, Rule] = {
    # firm registry
    "enterprise.register": lambda p, _ctx: p is None or p.role in STAFF,  # self-registration or staff
    "enterprise.list": _roles(*STAFF, Role.ANALYST),
    # consents: the firm grants and revokes; staff and the recipient bank may read
    "consent.grant": _own_firm_or(),
    "consent.revoke": _own_firm_or(),
    "consent.read": _own_firm_or(*STAFF),
    "consent.receipt": _firm_or_its_bank(*STAFF),
    "consent.list_for_bank": _bank_users_of(*STAFF),
    "access_log.read": _own_firm_or(*STAFF),
    # firm data: the firm and staff directly; banks only through the consent mask (consent.mask)
    "firmdata.read_direct": _own_firm_or(*STAFF, Role.ANALYST),
    # agency data: operators ingest and resolve disputes; a firm disputes its own records
    "ingest.write": _roles(*STAFF),
    "ingest.read": _roles(*STAFF),
    "dispute.open": _own_firm_or(),
    "dispute.read": _own_firm_or(*STAFF),
    "dispute.resolve": _roles(*STAFF),
    # products: users of the bank read, its admins change; no bank sees another's (isolation)
    "product.read": _bank_users_of(*STAFF, Role.ANALYST),
    "product.manage": lambda p, ctx: (
        p is not None and (p.role == Role.ADMIN or (p.role == Role.BANK_ADMIN and p.bank_code == ctx.get("bank_code")))
    ),
    # applications and loans: the firm applies; users of the application's bank decide (isolation)
    "application.create": lambda p, _ctx: p is not None and p.role == Role.ENTERPRISE and p.uscc is not None,
    "application.read": _firm_or_its_bank(*STAFF),
    "application.firm_action": _own_firm_or(),
    "application.queue": _bank_users_of(*STAFF),
    "application.decide": lambda p, ctx: p is not None and p.is_bank and p.bank_code == ctx.get("bank_code"),
    "loan.report": lambda p, ctx: p is not None and p.is_bank and p.bank_code == ctx.get("bank_code"),
    "loan.read": _bank_users_of(*STAFF),
    # matching: the firm sees its own matches (and staff, to help it); a bank's whitelists are its own
    "match.read": _own_firm_or(*STAFF),
    # tax-credit pre-evaluation and warnings: the firm itself, and staff helping it
    "taxcredit.read": _own_firm_or(*STAFF),
    "taxcredit.at_risk": _roles(*STAFF),
    "notification.read": _own_firm_or(),
    "repair.submit": _own_firm_or(),
    "repair.read": _own_firm_or(*STAFF),
    "repair.decide": _roles(*STAFF),
    "whitelist.read": _bank_users_of(*STAFF),
    "whitelist.generate": _bank_users_of(*STAFF),
    "bank.schedule": lambda p, ctx: (
        p is not None and (p.role == Role.ADMIN or (p.role == Role.BANK_ADMIN and p.bank_code == ctx.get("bank_code")))
    ),
    "scheduler.read": _roles(*STAFF),
    # scoring models: analysts build them, staff oversee them
    "model.read": _roles(*STAFF, Role.ANALYST),
    "model.promote": _roles(Role.ANALYST, Role.ADMIN),
    # reports
    "report.effect": _roles(*STAFF, Role.ANALYST),
    # banks
    "bank.read": lambda p, _ctx: p is not None,
    "bank.manage": _roles(Role.ADMIN),
    # users and tokens
    "user.create": _create_user,
    "api_token.create": _roles(Role.BANK_ADMIN, Role.OPERATOR, Role.ADMIN),
    "self": lambda p, _ctx: p is not None,  # own account and tokens: the service filters by owner
    # audit log
    "audit.read": _roles(Role.ADMIN, Role.OPERATOR),
    "audit.verify": _roles(Role.ADMIN, Role.OPERATOR),
}


def allowed(principal: Principal | None, action: str, **context) -> bool:
    """Whether ``principal`` may perform ``action`` on the resource described by ``context``."""
    try:
        rule = POLICY[action]
    except KeyError:  # an action nobody wrote a rule for is nobody's
        raise LookupError(f"no policy rule for action {action!r}") from None
    return rule(principal, context)


def require(principal: Principal | None, action: str, **context) -> None:
    """Raise 401 for an anonymous caller and 403 for a known one unless :func:`allowed`."""
    if allowed(principal, action, **context):
        return
    if principal is None:
        raise Unauthorized("Log in first (Authorization: Bearer <token>). 请先登录。")
    raise Forbidden("You may not do this. 无权执行此操作。")
