"""Applications: consent to apply, every legal and illegal transition, one decision wins, plain reasons."""

import threading

import pytest

from bank_tax import clock
from bank_tax.db import db
from bank_tax.products.lpr import lpr_on
from tests import factories
from tests.lending.conftest import apply

pytestmark = pytest.mark.dated  # make test-moments runs it at every moment of tests/moments.py

RATE = round(lpr_on(clock.today()) + 1.0, 2)
APPROVE = {"decision": "approved", "amount": 400000, "term_months": 12, "rate": RATE}
DECLINE = {"decision": "declined", "reason_code": "tax_arrears", "reason": "存在欠税"}
RETURN = {"decision": "returned", "reason_code": "incomplete_information", "reason": "缺少财务报表"}


def test_applying_needs_consent_or_grants_it_explicitly(client, world):
    refused = apply(client, world, grant_consent=False)
    assert refused.status_code == 422 and "grant_consent" in refused.get_json()["errors"]
    ok = apply(client, world)
    assert ok.status_code == 201, ok.get_json()
    body = ok.get_json()
    assert body["status"] == "submitted" and body["snapshot"]["categories"] == ["tax"]
    again = apply(client, world, grant_consent=False)  # the consent granted then now suffices
    assert again.status_code == 201


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": 5}, "amount"),
        ({"term_months": 24}, "term_months"),
        ({"amount": "12.345"}, "amount"),
        ({"product_code": "NOPE"}, None),
    ],
)
def test_application_must_fit_the_product(client, world, change, field):
    resp = apply(client, world, **change)
    if field is None:
        assert resp.status_code == 404
    else:
        assert resp.status_code == 422 and field in resp.get_json()["errors"]


def test_paused_product_takes_no_applications(client, session, world):
    admin, _ = factories.auth(session, "bank_admin", bank_code=world["bank"])
    client.post(f"/api/v1/banks/{world['bank']}/products/YSD/pause", headers=admin)
    assert apply(client, world).status_code == 409


def _to(client, world, app_id, state):
    """Drive an application from submitted to ``state`` through the API."""
    bank = f"/api/v1/banks/{world['bank']}/applications/{app_id}"
    if state == "submitted":
        return
    client.post(f"{bank}/review", headers=world["officer"])
    if state == "in_review":
        return
    if state in ("approved", "declined", "returned"):
        body = {"approved": APPROVE, "declined": DECLINE, "returned": RETURN}[state]
        assert client.post(f"{bank}/decision", json=body, headers=world["officer"]).status_code == 200
    if state == "withdrawn":
        client.post(f"/api/v1/applications/{app_id}/withdraw", json={}, headers=world["firm"])


ACTIONS = {
    "review": lambda c, w, i: c.post(f"/api/v1/banks/{w['bank']}/applications/{i}/review", headers=w["officer2"]),
    "approve": lambda c, w, i: c.post(
        f"/api/v1/banks/{w['bank']}/applications/{i}/decision", json=APPROVE, headers=w["officer2"]
    ),
    "decline": lambda c, w, i: c.post(
        f"/api/v1/banks/{w['bank']}/applications/{i}/decision", json=DECLINE, headers=w["officer2"]
    ),
    "return": lambda c, w, i: c.post(
        f"/api/v1/banks/{w['bank']}/applications/{i}/decision", json=RETURN, headers=w["officer2"]
    ),
    "withdraw": lambda c, w, i: c.post(f"/api/v1/applications/{i}/withdraw", json={}, headers=w["firm"]),
    "resubmit": lambda c, w, i: c.post(f"/api/v1/applications/{i}/resubmit", json={}, headers=w["firm"]),
    "request_review": lambda c, w, i: c.post(f"/api/v1/applications/{i}/request-review", json={}, headers=w["firm"]),
}
STATES = ["submitted", "in_review", "approved", "declined", "returned", "withdrawn"]
# The life cycle as the README and the officers' manual tell it, written out by hand (not read from the
# code): where each action leads from each state; a blank is refused (409).
LIFE_CYCLE = """
state      review     approve   decline   return    withdraw   resubmit   request_review
submitted  in_review  .         .         .         withdrawn  .          .
in_review  .          approved  declined  returned  withdrawn  .          .
approved   .          .         .         .         .          .          .
declined   .          .         .         .         .          .          in_review
returned   .          .         .         .         withdrawn  submitted  .
withdrawn  .          .         .         .         .          .          .
"""
_rows = [line.split() for line in LIFE_CYCLE.strip().splitlines()]
EXPECTED = {
    (r[0], a): (None if to == "." else to) for r in _rows[1:] for a, to in zip(_rows[0][1:], r[1:], strict=True)
}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_transition(client, world, state, action):
    app_id = apply(client, world).get_json()["id"]
    _to(client, world, app_id, state)
    resp = ACTIONS[action](client, world, app_id)
    expected = EXPECTED[(state, action)]
    if expected is None:
        assert resp.status_code == 409, resp.get_json()
    else:
        assert resp.status_code == 200, resp.get_json()
        assert resp.get_json()["status"] == expected


def test_decline_explains_in_plain_language_and_review_goes_to_another_officer(client, world):
    app_id = apply(client, world).get_json()["id"]
    _to(client, world, app_id, "declined")
    seen = client.get(f"/api/v1/applications/{app_id}", headers=world["firm"]).get_json()
    assert seen["explanation"]["zh"].startswith("存在欠税") and "arrears" in seen["explanation"]["en"]
    client.post(f"/api/v1/applications/{app_id}/request-review", json={"reason": "欠税已结清"}, headers=world["firm"])
    bank = f"/api/v1/banks/{world['bank']}/applications/{app_id}"
    same = client.post(f"{bank}/decision", json=APPROVE, headers=world["officer"])
    assert same.status_code == 403  # the officer who declined does not review his own decision
    other = client.post(f"{bank}/decision", json=APPROVE, headers=world["officer2"])
    assert other.status_code == 200 and other.get_json()["status"] == "approved"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rate": 99.0}, "rate"),
        ({"rate": 0.5}, "rate"),
        ({"amount": 50_000_000}, "amount"),
        ({"term_months": 6}, "term_months"),
    ],
)
def test_approval_must_fit_the_product_version(client, world, change, field):
    app_id = apply(client, world).get_json()["id"]
    _to(client, world, app_id, "in_review")
    resp = client.post(
        f"/api/v1/banks/{world['bank']}/applications/{app_id}/decision",
        json={**APPROVE, **change},
        headers=world["officer"],
    )
    assert resp.status_code == 422 and field in resp.get_json()["errors"]


def test_decline_needs_a_reason_code(client, world):
    app_id = apply(client, world).get_json()["id"]
    _to(client, world, app_id, "in_review")
    resp = client.post(
        f"/api/v1/banks/{world['bank']}/applications/{app_id}/decision",
        json={"decision": "declined"},
        headers=world["officer"],
    )
    assert resp.status_code == 422 and "reason_code" in resp.get_json()["errors"]


def test_banks_are_isolated(client, session, world):
    app_id = apply(client, world).get_json()["id"]
    other = factories.bank(session)
    officer, _ = factories.auth(session, "bank_officer", bank_code=other.code)
    assert client.get(f"/api/v1/applications/{app_id}", headers=officer).status_code == 404  # not there for it
    assert client.get(f"/api/v1/banks/{world['bank']}/applications", headers=officer).status_code == 403
    assert (
        client.post(f"/api/v1/banks/{world['bank']}/applications/{app_id}/review", headers=officer).status_code == 403
    )
    assert client.post(f"/api/v1/banks/{other.code}/applications/{app_id}/review", headers=officer).status_code == 404
    assert client.get(f"/api/v1/banks/{other.code}/applications", headers=officer).get_json() == []


@pytest.mark.concurrency
def test_two_concurrent_decisions_exactly_one_wins(committing_app):
    app = committing_app
    with app.app_context():
        with db.scope() as s:
            bank = factories.bank(s)
            factories.product(s, bank.code)
            firm = factories.enterprise(s)
            firm_user = factories.user(s, "enterprise", uscc=firm.uscc)
            officers = [factories.user(s, "bank_officer", bank_code=bank.code) for _ in range(2)]
            tokens = [factories.token(s, u) for u in [firm_user, *officers]]
    client = app.test_client()
    world = {"bank": bank.code, "firm": {"Authorization": f"Bearer {tokens[0]}"}}
    app_id = apply(client, world).get_json()["id"]
    base = f"/api/v1/banks/{bank.code}/applications/{app_id}"
    client.post(f"{base}/review", headers={"Authorization": f"Bearer {tokens[1]}"})
    barrier = threading.Barrier(2)
    results = []

    def decide(token, body):
        c = app.test_client()
        barrier.wait()
        results.append(c.post(f"{base}/decision", json=body, headers={"Authorization": f"Bearer {token}"}).status_code)

    threads = [
        threading.Thread(target=decide, args=(tokens[1], APPROVE)),
        threading.Thread(target=decide, args=(tokens[2], DECLINE)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409]
    final = client.get(f"/api/v1/applications/{app_id}", headers=world["firm"]).get_json()
    assert final["status"] in ("approved", "declined")
    assert [h["status"] for h in final["history"]].count(final["status"]) == 1
