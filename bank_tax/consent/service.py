"""Granting, superseding, revoking and expiring consents, and reading them back.

Terms never change after granting: a change is a new consent that supersedes the old one. Every state
change is an audit event and a step in the consent's own history.
"""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from bank_tax import clock, metrics
from bank_tax.categories import PURPOSES, from_bits, to_bits
from bank_tax.consent import receipts
from bank_tax.consent.models import Consent, ConsentEvent
from bank_tax.db import is_foreign_key_violation
from bank_tax.errors import Conflict, Invalid, NotFound
from bank_tax.security import audit
from bank_tax.security.models import AuditEvent
from bank_tax.security.roles import BANK_ROLES, Principal

MAX_TERM = dt.timedelta(days=366)


def terms_of(consent: Consent) -> dict:
    """The signed terms of a consent (what the receipt shows)."""
    return {
        "consent_id": consent.id,
        "platform": "bank-tax",
        "uscc": consent.uscc,
        "recipient": "ALL_PARTICIPATING_BANKS" if consent.all_banks else consent.bank_code,
        "purpose": consent.purpose,
        "purpose_text": consent.purpose_text,
        "categories": from_bits(consent.categories),
        "data_window_months": consent.data_window_months,
        "starts_at": consent.starts_at.isoformat(),
        "expires_at": consent.expires_at.isoformat(),
        "mode": consent.mode,
        "data_life_days": consent.data_life_days,
        "granted_at": consent.granted_at.isoformat(),
        "granted_by": consent.granted_by,
        "supersedes": consent.supersedes_id,
    }


def grant(
    session: Session,
    *,
    uscc: str,
    actor: Principal,
    key: Ed25519PrivateKey,
    purpose: str,
    categories: list[str],
    expires_at: dt.datetime,
    bank_code: str | None = None,
    all_banks: bool = False,
    starts_at: dt.datetime | None = None,
    data_window_months: int = 24,
    mode: str = "view",
    data_life_days: int | None = None,
    supersedes: int | None = None,
) -> Consent:
    """Grant a consent (validated terms), sign its receipt, and end the consent it supersedes, if any."""
    now = clock.now()
    starts_at = max(starts_at or now, now - dt.timedelta(minutes=5))
    errors: dict[str, list[str]] = {}
    if all_banks == (bank_code is not None):
        errors["bank_code"] = ["name one bank, or set all_banks (for pre_screen only)"]
    if all_banks and purpose != "pre_screen":
        errors["all_banks"] = ["consent to all participating banks is for pre_screen only"]
    if expires_at <= starts_at:
        errors["expires_at"] = ["must be after the start"]
    elif expires_at > starts_at + MAX_TERM:
        errors["expires_at"] = ["at most one year after the start (授权期限不超过一年)"]
    if (mode == "store") != (data_life_days is not None):
        errors["data_life_days"] = ["required for mode 'store' (how long a stored copy may be kept), else omitted"]
    if errors:
        raise Invalid("The consent terms are not valid. 授权条款无效。", errors)
    old = None
    if supersedes is not None:
        old = session.get(Consent, supersedes, with_for_update=True)
        if old is None or old.uscc != uscc:
            raise NotFound("No such consent of this firm to supersede.")
        if old.status != "active":
            raise Conflict(f"Consent {supersedes} is {old.status}; only an active consent can be superseded.")
    consent = Consent(
        uscc=uscc,
        bank_code=bank_code,
        all_banks=all_banks,
        purpose=purpose,
        purpose_text=" / ".join(PURPOSES[purpose]),
        categories=to_bits(categories),
        data_window_months=data_window_months,
        starts_at=starts_at,
        expires_at=expires_at,
        mode=mode,
        data_life_days=data_life_days,
        granted_at=now,
        granted_by=actor.username,
        supersedes_id=supersedes,
        receipt="",
        signature="",
    )
    try:
        with session.begin_nested():
            session.add(consent)
            session.flush()  # the id is part of the signed terms
    except sa.exc.IntegrityError as exc:
        if is_foreign_key_violation(exc):
            raise Invalid("The consent terms are not valid.", {"bank_code": ["no such participating bank"]}) from exc
        raise
    consent.receipt, consent.signature = receipts.sign(key, terms_of(consent))
    session.add(ConsentEvent(consent_id=consent.id, status="active", reason="granted", actor=actor.username, at=now))
    audit.record(
        session,
        actor=actor,
        action="consent.grant",
        uscc=uscc,
        bank_code=bank_code,
        resource=f"consent/{consent.id}",
        purpose=purpose,
        details={"categories": sorted(categories), "all_banks": all_banks, "expires_at": expires_at.isoformat()},
    )
    if old is not None:
        _end(session, old, status="superseded", reason=f"superseded by consent {consent.id}", actor=actor, at=now)
    metrics.count(metrics.CONSENTS, action="granted")
    return consent


def _end(session: Session, consent: Consent, *, status: str, reason: str, actor: Principal | None, at: dt.datetime):
    consent.status, consent.ended_at = status, at
    metrics.count(metrics.CONSENTS, action=status)  # revoked, expired, superseded
    session.add(
        ConsentEvent(
            consent_id=consent.id, status=status, reason=reason, actor=actor.username if actor else audit.SYSTEM, at=at
        )
    )
    audit.record(
        session,
        actor=actor,
        action=f"consent.{status}",
        uscc=consent.uscc,
        bank_code=consent.bank_code,
        resource=f"consent/{consent.id}",
        purpose=consent.purpose,
        details={"reason": reason},
    )


def revoke(session: Session, *, uscc: str, consent_id: int, actor: Principal, reason: str) -> Consent:
    """Revoke at once: from the commit on, the mask no longer lets any bank use it. Idempotent."""
    consent = session.get(Consent, consent_id, with_for_update=True)
    if consent is None or consent.uscc != uscc:
        raise NotFound("No such consent of this firm.")
    if consent.status == "active":
        _end(session, consent, status="revoked", reason=reason or "revoked by the firm", actor=actor, at=clock.now())
    elif consent.status != "revoked":
        raise Conflict(f"Consent {consent_id} is already {consent.status}.")
    return consent


def expire_due(session: Session, *, now: dt.datetime | None = None) -> int:
    """Mark active consents past their expiry as expired (the scheduled job); return how many."""
    now = now or clock.now()
    due = session.scalars(
        sa.select(Consent).where(Consent.status == "active", Consent.expires_at <= now).with_for_update()
    ).all()
    for consent in due:
        _end(session, consent, status="expired", reason="reached its expiry", actor=None, at=consent.expires_at)
    return len(due)


def list_for_firm(session: Session, uscc: str) -> list[Consent]:
    """A firm's consents, newest first."""
    return list(session.scalars(sa.select(Consent).where(Consent.uscc == uscc).order_by(Consent.id.desc())))


def list_for_bank(session: Session, bank_code: str, *, active_only: bool = True) -> list[Consent]:
    """Consents a bank may rely on: its own, and all-banks pre-screening consents."""
    stmt = sa.select(Consent).where(sa.or_(Consent.bank_code == bank_code, Consent.all_banks)).order_by(Consent.id)
    if active_only:
        now = clock.now()
        stmt = stmt.where(Consent.status == "active", Consent.starts_at <= now, Consent.expires_at > now)
    return list(session.scalars(stmt))


def get(session: Session, *, uscc: str, consent_id: int) -> Consent:
    """One consent of a firm, or 404."""
    consent = session.get(Consent, consent_id)
    if consent is None or consent.uscc != uscc:
        raise NotFound("No such consent of this firm.")
    return consent


def history(session: Session, consent_id: int) -> list[ConsentEvent]:
    """The status history of a consent, oldest first."""
    return list(
        session.scalars(sa.select(ConsentEvent).where(ConsentEvent.consent_id == consent_id).order_by(ConsentEvent.id))
    )


BANK_ACCESS_ACTIONS = ("firmdata.read", "whitelist.deliver", "application.view")


def access_log(session: Session, uscc: str) -> list[dict]:
    """Who saw the firm's data: every access by a bank, newest first, with time, purpose and categories
    (from the audit log)."""
    events = session.scalars(
        sa.select(AuditEvent)
        .where(
            AuditEvent.uscc == uscc,
            AuditEvent.actor_role.in_([str(r) for r in BANK_ROLES]),
            AuditEvent.action.in_(BANK_ACCESS_ACTIONS),
        )
        .order_by(AuditEvent.id.desc())
    )
    return [
        {
            "at": e.at,
            "bank_code": e.bank_code,
            "actor": e.actor,
            "action": e.action,
            "purpose": e.purpose,
            "categories": json.loads(e.details).get("categories", []),
            "resource": e.resource,
        }
        for e in events
    ]
