"""Users, passwords, bearer tokens and login throttling: plain functions over an explicit session."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from bank_tax import clock
from bank_tax.db import is_foreign_key_violation, is_unique_violation
from bank_tax.errors import Conflict, Invalid, TooManyAttempts, Unauthorized
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


@dataclass(frozen=True)
class Throttle:
    """How failed logins slow down the next ones (the ``LOGIN_*`` settings).

    Failures slow down the pair they come from, a name *and* an address: after ``pair_failures`` failures
    of the pair since its last success, each next attempt of the pair must wait ``first_delay``, doubling
    with every further failure up to ``max_delay``; until then it is refused (429 with Retry-After) before
    the password is looked at. Nobody else is slowed: not the name from another address (an attacker
    cannot lock a user out), not another name from the address (an office behind one NAT).

    An address with ``per_address`` failures within ``window`` (many names guessed from one place) is
    flooding: there a pair waits from its first failure, and a wrong password is answered 429 with the
    pair's wait instead of 401. A right password from a pair with no failures of its own still logs in:
    the address-wide limit never refuses a correct password. Failures older than ``memory`` are
    forgotten, and purged (:func:`purge_login_attempts`).
    """

    pair_failures: int = 5
    first_delay: dt.timedelta = dt.timedelta(seconds=2)
    max_delay: dt.timedelta = dt.timedelta(minutes=15)
    per_address: int = 30
    window: dt.timedelta = dt.timedelta(minutes=15)
    memory: dt.timedelta = dt.timedelta(hours=24)

    @classmethod
    def from_config(cls, cfg: Mapping) -> Throttle:
        """The throttle the app's settings describe."""
        return cls(
            pair_failures=cfg["LOGIN_MAX_FAILURES"],
            first_delay=dt.timedelta(seconds=cfg["LOGIN_DELAY_SECONDS"]),
            max_delay=dt.timedelta(minutes=cfg["LOGIN_MAX_DELAY_MINUTES"]),
            per_address=cfg["LOGIN_MAX_FAILURES_PER_IP"],
            window=dt.timedelta(minutes=cfg["LOGIN_WINDOW_MINUTES"]),
            # a memory shorter than the longest wait or the window would forget failures still counted
            memory=max(
                dt.timedelta(hours=cfg["LOGIN_MEMORY_HOURS"]),
                dt.timedelta(minutes=cfg["LOGIN_MAX_DELAY_MINUTES"]),
                dt.timedelta(minutes=cfg["LOGIN_WINDOW_MINUTES"]),
            ),
        )

    def wait(self, failures: int, *, flooding: bool) -> dt.timedelta:
        """How long a pair with ``failures`` (since its last success) waits between attempts."""
        free = 1 if flooding else max(self.pair_failures, 1)
        if failures < free:
            return dt.timedelta(0)
        return min(self.first_delay * 2 ** min(failures - free, 32), self.max_delay)


@dataclass(frozen=True)
class PairState:
    """What the throttle knows of a (name, address) pair and of its address, now."""

    failures: int  # of the pair since its last success, within the throttle's memory
    last_failure: dt.datetime | None
    flooding: bool  # the address as a whole

    def retry_after(self, throttle: Throttle, now: dt.datetime) -> int:
        """Seconds until the pair may try again (0: now)."""
        if self.last_failure is None:
            return 0
        left = self.last_failure + throttle.wait(self.failures, flooding=self.flooding) - now
        return max(0, int(-(-left.total_seconds() // 1)))  # rounded up: never "0" while still refused


def pair_state(session: Session, *, username: str, ip: str, throttle: Throttle) -> PairState:
    """The failures of the pair (``username``, ``ip``) since its last success, and whether ``ip`` floods."""
    now = clock.now()
    since = now - throttle.memory
    pair = sa.and_(LoginAttempt.username == username[:64], LoginAttempt.ip == ip[:64], LoginAttempt.at >= since)
    last_ok = session.scalar(sa.select(sa.func.max(LoginAttempt.at)).where(pair, LoginAttempt.success.is_(True)))
    failed = sa.and_(pair, LoginAttempt.success.is_(False))
    if last_ok is not None:
        failed = sa.and_(failed, LoginAttempt.at > last_ok)
    failures, last = session.execute(sa.select(sa.func.count(), sa.func.max(LoginAttempt.at)).where(failed)).one()
    by_address = session.scalar(
        sa.select(sa.func.count()).where(
            LoginAttempt.ip == ip[:64], LoginAttempt.success.is_(False), LoginAttempt.at >= now - throttle.window
        )
    )
    return PairState(failures=failures, last_failure=last, flooding=by_address >= throttle.per_address)


def _too_many(seconds: int) -> TooManyAttempts:
    return TooManyAttempts(
        f"Too many failed logins; try again in {seconds} seconds. 登录失败次数过多，请 {seconds} 秒后再试。",
        retry_after=seconds,
    )


def check_login_allowed(session: Session, *, username: str, ip: str, throttle: Throttle) -> PairState:
    """Raise :class:`TooManyAttempts` (429) while the pair (``username``, ``ip``) must still wait after its
    failures (see :class:`Throttle`); otherwise return its state. The password plays no part."""
    state = pair_state(session, username=username, ip=ip, throttle=throttle)
    if (seconds := state.retry_after(throttle, clock.now())) > 0:
        raise _too_many(seconds)
    return state


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


def log_in(
    session: Session, *, username: str, password: str, ip: str, throttle: Throttle, cost: int = PASSWORD_COST
) -> User:
    """The throttled login: the user, or :class:`TooManyAttempts` (429) / :class:`Unauthorized` (401).

    The caller commits whatever this raises or returns: a failed attempt must count though it is refused.
    """
    state = check_login_allowed(session, username=username, ip=ip, throttle=throttle)
    user = authenticate(session, username=username, password=password, ip=ip, cost=cost)
    if user is not None:
        return user
    if state.flooding:  # wrong, from a flooding address: this pair now waits from its first failure
        now = clock.now()
        raise _too_many(PairState(state.failures + 1, now, flooding=True).retry_after(throttle, now))
    raise Unauthorized("Wrong username or password. 用户名或密码错误。")


def purge_login_attempts(session: Session, *, before: dt.datetime, limit: int = 10_000) -> int:
    """Delete up to ``limit`` login attempts older than ``before`` (oldest first); return how many.

    The throttle reads nothing older than its memory, so rows past it only grow the table."""
    oldest = sa.select(LoginAttempt.id).where(LoginAttempt.at < before).order_by(LoginAttempt.id).limit(limit)
    stmt = sa.delete(LoginAttempt).where(LoginAttempt.id.in_(oldest.scalar_subquery()))
    return session.execute(stmt.execution_options(synchronize_session=False)).rowcount


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
