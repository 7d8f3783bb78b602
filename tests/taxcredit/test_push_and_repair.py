"""Targeted push: newly eligible firms are told once, again only after dropping out and coming back.
Credit repair: submit, approve (the list entry gets its removal date and matching follows), reject, all
on the audit record and in the firm's inbox. The at-risk list."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from bank_tax import clock
from bank_tax.batch import daily
from bank_tax.errors import Conflict, Forbidden
from bank_tax.matching import service as matching
from bank_tax.security import service as security
from bank_tax.security.models import AuditEvent
from bank_tax.taxcredit import inbox, push, repair
from bank_tax.taxcredit.models import Notification
from tests import factories
from tests.factories import _staff
from tests.matching.helpers import firm, land, last_published_year

pytestmark = pytest.mark.dated  # make test-moments runs it at every moment of tests/moments.py


def _notified(session, uscc) -> list[str]:
    return [n.kind for n in session.scalars(sa.select(Notification).where(Notification.uscc == uscc))]


def _grade(session, uscc, grade, version_year):
    land(
        session,
        "credit_grades",
        [
            {
                "uscc": uscc,
                "year": str(version_year),
                "grade": grade,
                "score": "85",
                "rule_set": "2025",
                "evaluated_on": f"{version_year + 1}-04-15",
                "received_at": clock.now().isoformat(timespec="seconds"),
            }
        ],
    )


def _last_published_year() -> int:
    return last_published_year(clock.today())


@pytest.fixture
def bank(session):
    b = factories.bank(session)
    factories.product(session, b.code, "YSD")  # A/B/M
    session.flush()
    return b


def test_a_newly_eligible_firm_is_told_once_and_again_only_after_coming_back(app, session, champion, bank):
    good, weak = firm(session, grade="A"), firm(session, grade="C")
    with app.app_context():
        first = daily.push(session)
        assert first["notified"] >= 1
        assert _notified(session, good.uscc) == ["product_eligible"] and _notified(session, weak.uscc) == []
        assert daily.push(session)["notified"] == 0  # nothing new: nobody is told twice

        _grade(session, weak.uscc, "B", _last_published_year())  # the bureau corrects the grade
        again = daily.push(session)
        assert again["notified"] == 1 and _notified(session, weak.uscc) == ["product_eligible"]

        land(  # the good firm is listed as seriously dishonest: it drops out
            session,
            "public_credit",
            [
                {
                    "entry_id": "E-PUSH-1",
                    "uscc": good.uscc,
                    "list_type": "serious_dishonesty",
                    "reason": "测试",
                    "authority": "测试局",
                    "listed_on": "2025-01-10",
                }
            ],
        )
        assert daily.push(session)["no_longer_eligible"] == 1
        assert daily.push(session)["notified"] == 0
    events = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "taxcredit.push")).all()
    assert len(events) == 5


def test_the_push_by_partitions_tells_the_firms_one_push_would(app, session, champion, bank):
    from bank_tax.batch import runner

    firms = [firm(session, grade=g) for g in "ACBAC"]
    moment = clock.now()

    def told():
        rows = session.execute(sa.select(Notification.uscc, Notification.title_zh).order_by(Notification.uscc))
        return [tuple(r) for r in rows]

    with app.app_context():
        nested = session.begin_nested()
        whole = runner.run("push", session=session, as_of=moment, partition_firms=100)
        once = told()
        nested.rollback()
        by_parts = runner.run("push", session=session, as_of=moment, partition_firms=2)
    assert whole.partitions == 1 and by_parts.partitions == 3
    assert told() == once and len(once) == 3  # the A and B firms, once each
    assert by_parts.totals == whole.totals == {"eligible": 3, "notified": 3, "no_longer_eligible": 0}
    assert {u for u, _ in once} == {f.uscc for f in firms if f is not firms[1] and f is not firms[4]}
    audit = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "taxcredit.push")).all()
    assert len(audit) == 1 and json.loads(audit[0].details)["newly_eligible"] == 3  # one line: the totals


def test_a_firm_newly_eligible_for_several_products_gets_one_message(app, session, champion, bank):
    factories.product(session, bank.code, "YSD2")
    good = firm(session, grade="A")
    with app.app_context():
        counts = daily.push(session)
    titles = session.scalars(sa.select(Notification.title_zh).where(Notification.uscc == good.uscc)).all()
    assert counts["notified"] == 2 and len(titles) == 1 and "等2款产品" in titles[0]


def test_a_repair_removes_the_list_entry_and_the_firm_matches_again(app, session, champion, bank):
    f = firm(session, grade="A", lists=["serious_dishonesty"])
    owner = security.principal_of(factories.user(session, "enterprise", uscc=f.uscc))
    entry_id = f"E-{f.uscc[-8:]}-0"  # the helper's entry
    operator = _staff()

    def eligible():
        body = matching.firm_matches(session, principal=operator, uscc=f.uscc)
        return body["eligible_count"]

    with app.app_context():
        assert eligible() == 0
        with pytest.raises(Forbidden):
            repair.submit(
                session, principal=operator, uscc=f.uscc, entry_id=entry_id, commitment="x" * 12, evidence="yy"
            )
        r = repair.submit(
            session,
            principal=owner,
            uscc=f.uscc,
            entry_id=entry_id,
            commitment="已纠正失信行为并履行全部义务",
            evidence="缴款凭证",
        )
        with pytest.raises(Conflict):  # one open application per entry
            repair.submit(
                session, principal=owner, uscc=f.uscc, entry_id=entry_id, commitment="再次申请修复承诺", evidence="zz"
            )
        repair.decide(session, principal=operator, repair_id=r.id, decision="approved", reply="材料齐全，准予修复")
        session.flush()
        assert r.status == "approved" and r.removed_on == clock.today()
        assert eligible() == 1  # the entry has its removal date: matching follows at once
        with pytest.raises(Conflict):
            repair.decide(session, principal=operator, repair_id=r.id, decision="rejected", reply="重复")
    actions = session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.resource == f"credit-repair/{r.id}").order_by(AuditEvent.id)
    ).all()
    assert actions == ["repair.submit", "repair.approve"]
    (note,) = inbox.messages(session, principal=owner, uscc=f.uscc)
    assert note.kind == "repair_decided" and note.read_at is None and inbox.unread(session, f.uscc) == 1
    inbox.mark_read(session, principal=owner, uscc=f.uscc, notification_id=note.id)
    assert inbox.unread(session, f.uscc) == 0


def test_a_rejected_repair_leaves_the_entry_and_the_red_list_is_not_repairable(app, session, champion, bank):
    f = firm(session, grade="A", lists=["key_watch", "red_list"])
    owner = security.principal_of(factories.user(session, "enterprise", uscc=f.uscc))
    with app.app_context():
        r = repair.submit(
            session,
            principal=owner,
            uscc=f.uscc,
            entry_id=f"E-{f.uscc[-8:]}-0",
            commitment="承诺按期履行全部义务",
            evidence="说明",
        )
        repair.decide(session, principal=_staff(), repair_id=r.id, decision="rejected", reply="材料不足")
        assert r.status == "rejected" and r.removed_on is None
        with pytest.raises(Conflict):
            repair.submit(
                session,
                principal=owner,
                uscc=f.uscc,
                entry_id=f"E-{f.uscc[-8:]}-1",
                commitment="红名单无需修复的承诺",
                evidence="-",
            )


def test_the_api_for_repairs_and_the_inbox(client, session, champion, bank):
    f = firm(session, grade="A", lists=["serious_dishonesty"])
    own = factories.user(session, "enterprise", uscc=f.uscc)
    firm_h = {"Authorization": f"Bearer {factories.token(session, own)}"}
    op_h = {"Authorization": f"Bearer {factories.token(session, factories.user(session, 'operator'))}"}
    bad = client.post(f"/api/v1/enterprises/{f.uscc}/credit-repairs", json={"entry_id": "E-1"}, headers=firm_h)
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"commitment", "evidence"}
    body = {"entry_id": f"E-{f.uscc[-8:]}-0", "commitment": "已纠正失信行为并履行义务", "evidence": "缴款凭证"}
    made = client.post(f"/api/v1/enterprises/{f.uscc}/credit-repairs", json=body, headers=firm_h)
    assert made.status_code == 201, made.get_json()
    assert [r["id"] for r in client.get("/api/v1/credit-repairs", headers=op_h).get_json()] == [made.get_json()["id"]]
    assert client.get("/api/v1/credit-repairs", headers=firm_h).status_code == 403
    decided = client.post(
        f"/api/v1/credit-repairs/{made.get_json()['id']}/decision",
        json={"decision": "approved", "reply": "准予修复"},
        headers=op_h,
    )
    assert decided.status_code == 200 and decided.get_json()["removed_on"]
    notes = client.get(f"/api/v1/enterprises/{f.uscc}/notifications", headers=firm_h).get_json()
    assert [n["kind"] for n in notes] == ["repair_decided"]
    read = client.post(f"/api/v1/enterprises/{f.uscc}/notifications/{notes[0]['id']}/read", headers=firm_h)
    assert read.status_code == 200 and read.get_json()["read_at"]
    assert client.get(f"/api/v1/enterprises/{f.uscc}/notifications", headers=op_h).status_code == 403


def test_firms_graded_a_last_year_that_slip_this_year_are_at_risk(session):
    """At any moment: the latest published grades (last year's from April on, else the year before's)
    against the year after them (this year's running score, or from January to April last year's, about
    to be published), over the returns already due."""
    from tests.taxcredit import helpers

    now, today = clock.now(), clock.today()
    published = last_published_year(today)
    year = published + 1
    slipping, steady = helpers.firm(session), helpers.firm(session)
    for f in (slipping, steady):
        _grade(session, f.uscc, "A", published)
        helpers.annual_return(session, f.uscc, year - 1)
    due = [m for m in range(1, 13) if helpers.due_of(year, m) + dt.timedelta(days=3) < today]
    helpers.vat_year(session, steady.uscc, year, months=due)
    helpers.vat_year(session, slipping.uscc, year, months=due, late={m: 20 for m in due[:2]})  # −10 if due
    helpers.arrear(session, slipping.uscc, year, 1)  # −5
    rows = push.at_risk(session, now=now)
    at = {r["uscc"]: r for r in rows}
    assert len(due) >= 2  # from 17 April this year's January and February returns are due; before, all of last year's
    assert steady.uscc not in at and slipping.uscc in at
    assert at[slipping.uscc]["last_grade"] == "A" and at[slipping.uscc]["running_grade"] != "A"
    # two returns 20 days late (−5 each), a new arrear (−5) still open (−6 more, as at the year end)
    assert at[slipping.uscc]["deductions"] == {"late_filing": 10.0, "arrear_new": 5.0, "arrear_open_at_year_end": 6.0}
