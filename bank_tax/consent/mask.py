"""The consent mask: for one bank, purpose and moment, which categories it may use for each of many firms.

This is the single place consent turns into access. Every bank-facing read of firm data and every
pipeline stage that works for a bank asks it; :func:`authorize_read` is the one-firm form that also
writes the audit event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import clock
from bank_tax.categories import BIT, CATEGORIES, to_bits
from bank_tax.consent.models import Consent
from bank_tax.errors import Forbidden
from bank_tax.security import audit
from bank_tax.security.roles import Principal

_BITS = np.array([BIT[c] for c in CATEGORIES], dtype=np.int64)


@dataclass(frozen=True)
class Mask:
    """``allowed[i, j]``: may the bank use category ``CATEGORIES[j]`` of firm ``usccs[i]``.

    ``window_months[i]`` is the longest data window of the firm's consents in force (0 when none) and
    ``consent_id[i]`` the most recent consent relied on (-1 when none).
    """

    usccs: np.ndarray
    allowed: np.ndarray
    window_months: np.ndarray
    consent_id: np.ndarray

    def column(self, category: str) -> np.ndarray:
        """The boolean column of one category."""
        return self.allowed[:, CATEGORIES.index(category)]


def in_force(bank_code: str, purpose: str, at: dt.datetime):
    """SQL condition: consents the bank may rely on for ``purpose`` at time ``at``."""
    recipient = Consent.bank_code == bank_code
    if purpose == "pre_screen":
        recipient = sa.or_(recipient, Consent.all_banks)
    return sa.and_(
        recipient,
        Consent.purpose == purpose,
        Consent.starts_at <= at,
        Consent.expires_at > at,
        sa.or_(Consent.ended_at.is_(None), Consent.ended_at > at),
    )


def consent_mask(session: Session, *, bank_code: str, purpose: str, usccs, at: dt.datetime | None = None) -> Mask:
    """The mask for many firms at once: one query, then whole-array numpy (10⁵ firms well under a second)."""
    at = at or clock.now()
    usccs = np.asarray(usccs, dtype="U18")
    rows = session.execute(
        sa.select(Consent.uscc, Consent.categories, Consent.data_window_months, Consent.id)
        .where(in_force(bank_code, purpose, at))
        .order_by(Consent.id)
    ).all()
    uniq, inverse = np.unique(usccs, return_inverse=True)  # sorted, and repeated firms share one row
    n = uniq.shape[0]
    bits = np.zeros(n, dtype=np.int64)
    window = np.zeros(n, dtype=np.int64)
    cid = np.full(n, -1, dtype=np.int64)
    if rows and n:
        codes, cats, months, ids = (np.array(col) for col in zip(*rows, strict=True))
        pos = np.minimum(np.searchsorted(uniq, codes.astype("U18")), n - 1)
        hit = uniq[pos] == codes
        target = pos[hit]
        np.bitwise_or.at(bits, target, cats[hit].astype(np.int64))
        np.maximum.at(window, target, months[hit].astype(np.int64))
        np.maximum.at(cid, target, ids[hit].astype(np.int64))  # the most recent consent relied on
    bits, window, cid = bits[inverse], window[inverse], cid[inverse]
    allowed = (bits[:, None] & _BITS[None, :]) != 0
    return Mask(usccs=usccs, allowed=allowed, window_months=window, consent_id=cid)


def authorize_read(
    session: Session,
    *,
    principal: Principal,
    uscc: str,
    purpose: str,
    categories: list[str],
    resource: str,
    at: dt.datetime | None = None,
) -> Mask:
    """Let a bank user read ``categories`` of one firm for ``purpose``, or raise 403; audit the read.

    An empty ``categories`` asks for the firm's registration only: any category in force will do.
    """
    mask = consent_mask(session, bank_code=principal.bank_code, purpose=purpose, usccs=[uscc], at=at)
    have = mask.allowed[0]
    need = to_bits(categories)
    granted = int((have * np.array([BIT[c] for c in CATEGORIES])).sum())
    if (need and (granted & need) != need) or (not need and not granted):
        raise Forbidden("该企业未授权贵行以此目的使用这些数据 / the firm has not consented to this use of its data")
    audit.record(
        session,
        actor=principal,
        action="firmdata.read",
        uscc=uscc,
        resource=resource,
        purpose=purpose,
        details={
            "categories": categories or [c for c, ok in zip(CATEGORIES, have, strict=True) if ok],
            "consent_id": int(mask.consent_id[0]),
        },
    )
    return mask


def require_firm_read(
    session: Session,
    *,
    principal: Principal | None,
    uscc: str,
    purpose: str | None,
    categories: list[str],
    resource: str,
) -> Mask | None:
    """The gate of every read of one firm's data: who may read, and the audit record of the read.

    Banks go through the consent mask for ``purpose`` (403 without consent); the firm itself, staff and
    analysts go through the access policy. Every read except the firm's own is audited. Returns the
    bank's mask (None for non-bank readers, who see everything the policy lets them).
    """
    from bank_tax.security import policy

    if principal is not None and principal.is_bank:
        return authorize_read(
            session,
            principal=principal,
            uscc=uscc,
            purpose=purpose or "underwriting",
            categories=categories,
            resource=resource,
        )
    policy.require(principal, "firmdata.read_direct", uscc=uscc)
    if principal.uscc != uscc:
        audit.record(
            session,
            actor=principal,
            action="firmdata.read",
            uscc=uscc,
            resource=resource,
            purpose=purpose or "supervision",
            details={"categories": categories},
        )
    return None
