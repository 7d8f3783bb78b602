"""The hash-chained audit log: appends chain, and an edited or deleted row is found, by service and CLI."""

import sqlalchemy as sa

from bank_tax.security import audit
from bank_tax.security.models import AuditEvent
from bank_tax.security.roles import Principal, Role

OFFICER = Principal(7, "officer-1", Role.BANK_OFFICER, bank_code="B1")


def _append(session, n=5):
    return [
        audit.record(
            session,
            actor=OFFICER,
            action="enterprise.read",
            uscc=f"U{i}",
            purpose="underwriting",
            details={"categories": ["tax"], "i": i},
        )
        for i in range(n)
    ]


def test_events_chain(session):
    start = audit.verify(session).checked
    events = _append(session)
    assert [e.id for e in events] == list(range(start + 1, start + 6))
    for prev, nxt in zip(events, events[1:], strict=False):
        assert nxt.prev_hash == prev.hash
    assert events[0].bank_code == "B1"  # a bank actor's reads are attributed to its bank
    result = audit.verify(session)
    assert result.ok and result.checked == start + 5


def test_an_edited_row_is_found(session):
    events = _append(session)
    session.execute(sa.update(AuditEvent).where(AuditEvent.id == events[2].id).values(purpose="marketing"))
    session.expire_all()
    result = audit.verify(session)
    assert not result.ok and result.broken_at == events[2].id
    assert "content" in result.reason


def test_a_deleted_row_is_found(session):
    events = _append(session)
    session.execute(sa.delete(AuditEvent).where(AuditEvent.id == events[1].id))
    session.expire_all()
    result = audit.verify(session)
    assert not result.ok and result.broken_at == events[1].id


def test_deleting_the_last_row_is_found(session):
    events = _append(session)
    session.execute(sa.delete(AuditEvent).where(AuditEvent.id == events[-1].id))
    session.expire_all()
    assert not audit.verify(session).ok


def test_a_rehashed_forgery_still_breaks_the_next_link(session):
    """Recomputing the edited row's own hash is not enough: the next row still points at the old one."""
    events = _append(session)
    victim = session.get(AuditEvent, events[2].id)
    victim.purpose = "marketing"
    victim.hash = audit._digest(audit._fields(victim), victim.prev_hash)
    session.flush()
    session.expire_all()
    result = audit.verify(session)
    assert not result.ok and result.broken_at == events[3].id


def test_cli_verify(app, session):
    events = _append(session, 2)
    session.flush()
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "chain intact" in ok.output
    session.execute(sa.update(AuditEvent).where(AuditEvent.id == events[0].id).values(actor="someone-else"))
    bad = runner.invoke(args=["audit", "verify"])
    assert bad.exit_code == 1 and f"BROKEN at event {events[0].id}" in bad.output


def test_registration_and_user_creation_are_audited(client, session):
    from tests.factories import new_uscc

    code = new_uscc()
    resp = client.post(
        "/api/v1/enterprises",
        json={
            "uscc": code,
            "name": "杭州审计测试有限公司",
            "region_code": "330106",
            "industry_code": "I65",
            "established_on": "2019-05-01",
            "size_class": "micro",
            "account": {"username": "audit-firm", "password": "audit-pass-123"},
        },
    )
    assert resp.status_code == 201, resp.get_json()
    actions = session.scalars(sa.select(AuditEvent.action).where(AuditEvent.uscc == code).order_by(AuditEvent.id)).all()
    assert actions == ["enterprise.register", "user.create"]


def test_staff_reads_of_a_firm_are_audited_own_reads_are_not(client, session):
    from tests import factories

    firm = factories.enterprise(session)
    own, _ = factories.auth(session, "enterprise", uscc=firm.uscc)
    staff, analyst = factories.auth(session, "analyst")

    def reads():
        return session.scalars(
            sa.select(AuditEvent.actor).where(AuditEvent.uscc == firm.uscc, AuditEvent.action == "firmdata.read")
        ).all()

    assert client.get(f"/api/v1/enterprises/{firm.uscc}", headers=own).status_code == 200
    assert reads() == []
    assert client.get(f"/api/v1/enterprises/{firm.uscc}", headers=staff).status_code == 200
    assert reads() == [analyst.username]
