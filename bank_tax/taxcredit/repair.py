"""Credit repair (信用修复) of public-credit list entries: the firm submits its commitment and evidence,
an operator approves or rejects; approval lands a new version of the list entry with its removal date
(through ingestion, like an agency correction), so features, matching and whitelists reflect it from
then on. Every step is in the audit log and the firm is told in its inbox."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import clock
from bank_tax.errors import Conflict, NotFound
from bank_tax.security import audit, policy
from bank_tax.security.roles import Principal
from bank_tax.sources import service as sources
from bank_tax.sources.specs import SOURCES
from bank_tax.taxcredit.models import CreditRepair, Notification

LISTS = SOURCES["public_credit"]
REPAIRABLE = ("serious_dishonesty", "key_watch", "admin_penalty", "abnormal_operation")  # not the red list


def _entry(session: Session, uscc: str, entry_id: str) -> dict:
    """The current version of the firm's list entry ``entry_id``, or 404."""
    for row in sources.records(session, source=LISTS, uscc=uscc, limit=1000):
        if row["data"]["entry_id"] == entry_id:
            return {"id": row["id"], **row["data"]}
    raise NotFound("没有该名单记录 / no such list entry of this firm", {"entry_id": ["unknown"]})


def submit(
    session: Session, *, principal: Principal | None, uscc: str, entry_id: str, commitment: str, evidence: str
) -> CreditRepair:
    """The firm applies to repair one of its list entries (one open application per entry)."""
    policy.require(principal, "repair.submit", uscc=uscc)
    entry = _entry(session, uscc, entry_id)
    if entry["removed_on"] is not None:
        raise Conflict("该记录已移出名单 / the entry is already removed", {"entry_id": ["already removed"]})
    if entry["list_type"] not in REPAIRABLE:
        raise Conflict("该名单无需修复 / this list needs no repair", {"entry_id": [entry["list_type"]]})
    if session.scalar(
        sa.select(CreditRepair.id).where(CreditRepair.entry_id == entry_id, CreditRepair.status == "submitted")
    ):
        raise Conflict("该记录已有待审核的修复申请 / a repair of this entry is already under review")
    repair = CreditRepair(
        uscc=uscc,
        entry_id=entry_id,
        list_type=entry["list_type"],
        commitment=commitment,
        evidence=evidence,
        submitted_by=principal.username,
    )
    session.add(repair)
    session.flush()
    audit.record(
        session,
        actor=principal,
        action="repair.submit",
        uscc=uscc,
        resource=f"credit-repair/{repair.id}",
        details={"entry_id": entry_id, "list_type": entry["list_type"]},
    )
    return repair


def decide(
    session: Session,
    *,
    principal: Principal | None,
    repair_id: int,
    decision: str,
    reply: str,
    removed_on: dt.date | None = None,
) -> CreditRepair:
    """Approve (the entry is removed from the list on ``removed_on``, today by default) or reject."""
    policy.require(principal, "repair.decide")
    repair = session.get(CreditRepair, repair_id, with_for_update=True)
    if repair is None:
        raise NotFound("没有该修复申请 / no such repair")
    if repair.status != "submitted":
        raise Conflict(f"该申请已处理 / already {repair.status}")
    now = clock.now()
    if decision == "approved":
        removed_on = removed_on or clock.business_date(now)
        entry = _entry(session, repair.uscc, repair.entry_id)
        sources.correct_record(
            session,
            source=LISTS,
            record=sources.record_by_id(session, LISTS, entry["id"]),
            changes={"removed_on": removed_on.isoformat()},
            actor=principal,
            filename=f"credit-repair-{repair.id}-{now:%Y%m%d%H%M%S%f}.csv",
        )
        repair.removed_on = removed_on
    repair.status, repair.reply = decision, reply
    repair.decided_by, repair.decided_at = principal.username, now
    approved = decision == "approved"
    session.add(
        Notification(
            uscc=repair.uscc,
            kind="repair_decided",
            title_zh=f"信用修复申请{'已通过' if approved else '未通过'}",
            title_en=f"Your credit repair was {'approved' if approved else 'rejected'}",
            body_zh=(f"名单记录 {repair.entry_id} 已于 {removed_on} 移出。" if approved else "") + reply,
            body_en=(f"List entry {repair.entry_id} removed on {removed_on}. " if approved else "") + reply,
            link="/firm/repairs",
            created_at=now,
        )
    )
    audit.record(
        session,
        actor=principal,
        action=f"repair.{'approve' if approved else 'reject'}",
        uscc=repair.uscc,
        resource=f"credit-repair/{repair.id}",
        details={"entry_id": repair.entry_id, "removed_on": str(removed_on) if approved else None},
    )
    return repair


def of_firm(session: Session, uscc: str) -> list[CreditRepair]:
    """The firm's repair applications, newest first."""
    return list(
        session.scalars(sa.select(CreditRepair).where(CreditRepair.uscc == uscc).order_by(CreditRepair.id.desc()))
    )


def to_decide(session: Session) -> list[CreditRepair]:
    """Applications waiting for a decision, oldest first."""
    return list(
        session.scalars(sa.select(CreditRepair).where(CreditRepair.status == "submitted").order_by(CreditRepair.id))
    )
