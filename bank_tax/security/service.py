"""Users, passwords, bearer tokens and login throttling: plain functions over an explicit session."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import re
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from bank_tax import clock
from bank_tax.db import is_foreign_key_violation, is_unique_violation
from bank_tax.errors import Conflict, Invalid, TooManyAttempts
from bank_tax.security import audit
from bank_tax.security.models import ApiToken, LoginAttempt, User
from bank_tax.security.roles import BANK_ROLES, Principal, Role

TOKEN_PREFIX = "bt_"  # noqa: S105 (a public prefix, not a secret)
# scrypt's cost N with r=8, p=1: OWASP's minimum (2^17; 128 MiB per hash, werkzeug raises hashlib's maxmem
# to fit). Settings: PASSWORD_HASH_N; stored hashes below it are upgraded at the next successful login.
PASSWORD_COST = 2**17
SCRYPT_R, SCRYPT_P = 8, 1


def password_problems(password: str, *, min_length: int = 10) -> list[str]:
    """Return what is wrong with ``password`` under the policy (empty when it is acceptable)."""
    problems = []
    if len(password) < min_length:
        problems.append(f"at least {min_length} characters (至少 {min_length} 位)")
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        problems.append("letters and digits (须同时包含字母和数字)")
    return problems


def hash_password(password: str, *, cost: int = PASSWORD_COST) -> str:
    """scrypt hash of ``password`` (werkzeug format, salted)."""
    return generate_password_hash(password, method=f"scrypt:{cost}:{SCRYPT_R}:{SCRYPT_P}")


def needs_rehash(stored: str, *, cost: int = PASSWORD_COST) -> bool:
    """Whether a stored hash is weaker than scrypt at ``cost`` (another method, a smaller N, r or p)."""
    method, *params = stored.split("$", 1)[0].split(":")
    if method != "scrypt":
        return True
    n, r, p = (int(x) for x in params) if params else (2**15, 8, 1)  # werkzeug's bare "scrypt"
    return n < cost or r < SCRYPT_R or p < SCRYPT_P


@functools.cache
def _dummy_hash(cost: int) -> str:
    """A hash to check unknown names against, at the cost real users' hashes have (same time either way)."""
    return hash_password("not-a-real-password", cost=cost)


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role | str,
    uscc: str | None = None,
    bank_code: str | None = None,
    display_name: str = "",
    actor: Principal | None = None,
    min_length: int = 10,
    cost: int = PASSWORD_COST,
) -> User:
    """Create a user after checking the password policy and the role's binding; audited.

    Raises :class:`Invalid` (422) for a weak password or a role without its firm/bank, and
    :class:`Conflict` (409) when the username is taken.
    """
    role = Role(role)
    errors: dict[str, list[str]] = {}
    if problems := password_problems(password, min_length=min_length):
        errors["password"] = ["Password needs " + "; ".join(problems)]
    if (role == Role.ENTERPRISE) != (uscc is not None):
        errors["uscc"] = ["an enterprise user is bound to exactly one firm; other roles to none"]
    if (role in BANK_ROLES) != (bank_code is not None):
        errors["bank_code"] = ["a bank user is bound to exactly one bank; other roles to none"]
    if errors:
        raise Invalid("The user is not valid.", errors)
    user = User(
        username=username.strip(),
        password_hash=hash_password(password, cost=cost),
        role=str(role),
        uscc=uscc,
        bank_code=bank_code,
        display_name=display_name,
    )
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except sa.exc.IntegrityError as exc:
        if is_unique_violation(exc):
            raise Conflict("This username is taken.", {"username": ["already exists"]}) from exc
        if is_foreign_key_violation(exc):
            field = "uscc" if uscc is not None else "bank_code"
            raise Invalid("The user is not valid.", {field: ["no such firm or bank is registered"]}) from exc
        raise
    audit.record(
        session,
        actor=actor,
        action="user.create",
        uscc=uscc,
        bank_code=bank_code,
        resource=f"user/{user.id}",
        details={"username": user.username, "role": user.role},
    )
    return user


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def password_stamp(user: User, secret_key: str) -> str:
    """A short keyed digest of the password hash, kept in the page session so that a password change
    ends every session, without putting any of the hash itself in the (readable) cookie."""
    return hmac.new(secret_key.encode(), user.password_hash.encode(), hashlib.sha256).hexdigest()[:16]


def principal_of(user: User, token_id: int | None = None) -> Principal:
    """The :class:`Principal` a user acts as."""
    return Principal(user.id, user.username, Role(user.role), user.uscc, user.bank_code, token_id)


def check_login_allowed(
    session: Session, *, username: str, ip: str, window_minutes: int, max_failures: int, max_per_ip: int
) -> None:
    """Raise :class:`TooManyAttempts` (429) when recent failures for this name or address reach the limit."""
    since = clock.now() - dt.timedelta(minutes=window_minutes)
    failed = sa.and_(LoginAttempt.success.is_(False), LoginAttempt.at >= since)
    by_name = session.scalar(sa.select(sa.func.count()).where(failed, LoginAttempt.username == username))
    by_ip = session.scalar(sa.select(sa.func.count()).where(failed, LoginAttempt.ip == ip))
    if by_name >= max_failures or by_ip >= max_per_ip:
        raise TooManyAttempts(
            f"Too many failed logins; try again in {window_minutes} minutes. 登录失败次数过多，请稍后再试。",
            retry_after=window_minutes * 60,
        )


def user_by_name(session: Session, username: str) -> User | None:
    """The user called ``username``, if any."""
    return session.scalar(sa.select(User).where(User.username == username))


def authenticate(session: Session, *, username: str, password: str, ip: str, cost: int = PASSWORD_COST) -> User | None:
    """Check a password, record the attempt, and return the active user or None.

    The attempt is recorded in the caller's transaction; the caller commits it even on failure.
    Unknown names cost a hash check at the same ``cost``, so timing does not tell which names exist.
    A right password whose stored hash is weaker than ``cost`` is hashed again at ``cost`` and saved.
    """
    user = user_by_name(session, username)
    ok = check_password_hash(user.password_hash if user else _dummy_hash(cost), password)
    ok = ok and user is not None and user.is_active
    session.add(LoginAttempt(username=username[:64], ip=ip[:64], success=ok))
    if ok and needs_rehash(user.password_hash, cost=cost):
        user.password_hash = hash_password(password, cost=cost)
    return user if ok else None


def issue_token(session: Session, *, user: User, kind: str, ttl: dt.timedelta, name: str = "") -> tuple[str, ApiToken]:
    """Create a bearer token; return the secret (shown once, never stored) and its row."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        token_hash=_hash_token(secret),
        prefix=secret[:10],
        kind=kind,
        name=name,
        expires_at=clock.now() + ttl,
    )
    session.add(row)
    session.flush()
    return secret, row


def resolve_token(session: Session, secret: str) -> Principal | None:
    """Return the principal of a valid, unexpired, unrevoked token of an active user, else None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    row = session.execute(
        sa.select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == _hash_token(secret))
    ).first()
    if row is None:
        return None
    token, user = row
    if token.revoked_at is not None or token.expires_at <= clock.now() or not user.is_active:
        return None
    return principal_of(user, token.id)


def list_tokens(session: Session, *, principal: Principal) -> list[ApiToken]:
    """The caller's own long-lived API tokens (never their secrets)."""
    return list(
        session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == principal.user_id, ApiToken.kind == "api")
            .order_by(ApiToken.id)
        )
    )


def revoke_token(session: Session, *, token_id: int, principal: Principal) -> ApiToken | None:
    """Revoke one of the caller's tokens (admins: anyone's); audited. None if there is no such token."""
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != principal.user_id and principal.role != Role.ADMIN):
        return None
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        audit.record(session, actor=principal, action="token.revoke", resource=f"token/{token.id}")
    return token
