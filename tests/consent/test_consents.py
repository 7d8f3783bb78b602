"""Consents over the API: grant, signed receipts (tamper-evident), validation, revocation, expiry, supersession."""

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from bank_tax import clock
from bank_tax.consent import receipts
from bank_tax.consent import service as consents
from bank_tax.consent.models import Consent
from tests import factories

pytestmark = pytest.mark.dated  # make test-moments runs it at every moment of tests/moments.py


@pytest.fixture
def firm(session):
    f = factories.enterprise(session)
    headers, _ = factories.auth(session, "enterprise", uscc=f.uscc)
    bank = factories.bank(session)
    return {"uscc": f.uscc, "headers": headers, "bank": bank.code}


def grant_body(bank, **kw):
    body = {
        "bank_code": bank,
        "purpose": "underwriting",
        "categories": ["tax", "social_insurance"],
        "expires_at": (clock.now() + dt.timedelta(days=180)).isoformat(),
    }
    body.update(kw)
    return body


def grant(client, firm, **kw):
    return client.post(
        f"/api/v1/enterprises/{firm['uscc']}/consents", json=grant_body(firm["bank"], **kw), headers=firm["headers"]
    )


def test_grant_and_verify_the_receipt_offline(client, firm):
    resp = grant(client, firm)
    assert resp.status_code == 201, resp.get_json()
    consent = resp.get_json()
    assert consent["status"] == "active" and consent["categories"] == ["tax", "social_insurance"]
    receipt = client.get(
        f"/api/v1/enterprises/{firm['uscc']}/consents/{consent['id']}/receipt", headers=firm["headers"]
    ).get_json()
    key = client.get("/api/v1/consents/public-key").get_json()
    assert receipt["key_id"] == key["key_id"] and receipt["algorithm"] == "Ed25519"
    assert receipt["terms"]["uscc"] == firm["uscc"] and receipt["terms"]["recipient"] == firm["bank"]
    assert receipts.verify(receipt, key["public_key_pem"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("uscc", "91350100M000100Y43"),
        ("recipient", "OTHER-BANK"),
        ("purpose", "pre_screen"),
        ("categories", ["tax", "social_insurance", "utilities"]),
        ("data_window_months", 60),
        ("expires_at", "2099-01-01T00:00:00+00:00"),
        ("mode", "store"),
        ("consent_id", 999999),
    ],
)
def test_tampering_with_any_field_breaks_verification(client, firm, field, value):
    cid = grant(client, firm).get_json()["id"]
    receipt = client.get(
        f"/api/v1/enterprises/{firm['uscc']}/consents/{cid}/receipt", headers=firm["headers"]
    ).get_json()
    pem = client.get("/api/v1/consents/public-key").get_json()["public_key_pem"]
    forged = json.loads(json.dumps(receipt))
    forged["terms"][field] = value
    assert not receipts.verify(forged, pem)
    assert receipts.verify(receipt, pem)


def test_the_recipient_bank_can_download_the_receipt_another_bank_cannot(client, session, firm):
    cid = grant(client, firm).get_json()["id"]
    mine, _ = factories.auth(session, "bank_officer", bank_code=firm["bank"])
    other, _ = factories.auth(session, "bank_officer")
    url = f"/api/v1/enterprises/{firm['uscc']}/consents/{cid}/receipt"
    assert client.get(url, headers=mine).status_code == 200
    assert client.get(url, headers=other).status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"expires_at": (clock.now() + dt.timedelta(days=400)).isoformat()}, "expires_at"),
        ({"expires_at": (clock.now() - dt.timedelta(days=1)).isoformat()}, "expires_at"),
        ({"expires_at": None}, "expires_at"),
        ({"expires_at": "2027-01-01T00:00:00"}, "expires_at"),  # naive time: which zone?
        ({"categories": []}, "categories"),
        ({"categories": ["tax", "tax"]}, "categories"),
        ({"categories": ["credit_card"]}, "categories"),
        ({"purpose": "marketing"}, "purpose"),
        ({"mode": "store"}, "data_life_days"),
        ({"data_life_days": 30}, "data_life_days"),
        ({"bank_code": None}, "bank_code"),
        ({"bank_code": None, "all_banks": True}, "all_banks"),  # all banks: pre_screen only
        ({"data_window_months": 0}, "data_window_months"),
    ],
)
def test_invalid_terms_are_422(client, firm, change, field):
    resp = grant(client, firm, **change)
    assert resp.status_code == 422, resp.get_json()
    assert field in resp.get_json()["errors"]


def test_all_banks_pre_screen(client, firm):
    resp = grant(client, firm, bank_code=None, all_banks=True, purpose="pre_screen")
    assert resp.status_code == 201 and resp.get_json()["all_banks"] is True


def test_only_the_firm_grants(client, session, firm):
    headers, _ = factories.auth(session, "operator")
    resp = client.post(f"/api/v1/enterprises/{firm['uscc']}/consents", json=grant_body(firm["bank"]), headers=headers)
    assert resp.status_code == 403
    other, _ = factories.auth(session, "enterprise")
    resp = client.post(f"/api/v1/enterprises/{firm['uscc']}/consents", json=grant_body(firm["bank"]), headers=other)
    assert resp.status_code == 403


def test_unknown_bank_is_a_client_error(client, firm):
    resp = grant(client, firm, bank_code="NO-SUCH-BANK")
    assert resp.status_code == 422 and "bank_code" in resp.get_json()["errors"]


def test_revoke_stops_bank_reads_at_once(client, session, firm):
    cid = grant(client, firm).get_json()["id"]
    officer, _ = factories.auth(session, "bank_officer", bank_code=firm["bank"])
    url = f"/api/v1/enterprises/{firm['uscc']}"
    assert client.get(url, headers=officer).status_code == 200
    resp = client.post(f"{url}/consents/{cid}/revoke", json={"reason": "changed bank"}, headers=firm["headers"])
    assert resp.status_code == 200 and resp.get_json()["status"] == "revoked"
    assert client.get(url, headers=officer).status_code == 403
    again = client.post(f"{url}/consents/{cid}/revoke", json={}, headers=firm["headers"])
    assert again.status_code == 200  # idempotent
    detail = client.get(f"{url}/consents/{cid}", headers=firm["headers"]).get_json()
    assert [h["status"] for h in detail["history"]] == ["active", "revoked"]
    assert detail["history"][1]["reason"] == "changed bank"


def test_expiry_is_enforced_at_read_time_and_marked_by_the_job(client, session, firm):
    c = factories.consent(session, uscc=firm["uscc"], bank_code=firm["bank"], days=30)
    officer, _ = factories.auth(session, "bank_officer", bank_code=firm["bank"])
    url = f"/api/v1/enterprises/{firm['uscc']}"
    assert client.get(url, headers=officer).status_code == 200
    session.execute(
        sa.update(Consent)
        .where(Consent.id == c.id)
        .values(expires_at=clock.now() - dt.timedelta(seconds=1), starts_at=clock.now() - dt.timedelta(days=1))
    )
    session.flush()
    assert client.get(url, headers=officer).status_code == 403  # before any job has run
    assert consents.expire_due(session) == 1
    session.expire_all()
    assert session.get(Consent, c.id).status == "expired"
    assert consents.expire_due(session) == 0


def test_expire_cli(app, session, firm):
    c = factories.consent(session, uscc=firm["uscc"], bank_code=firm["bank"])
    session.execute(
        sa.update(Consent)
        .where(Consent.id == c.id)
        .values(expires_at=clock.now() - dt.timedelta(seconds=1), starts_at=clock.now() - dt.timedelta(days=1))
    )
    session.flush()
    result = app.test_cli_runner().invoke(args=["consent", "expire"])
    assert result.exit_code == 0 and "1 consent" in result.output


def test_supersede_changes_terms_by_a_new_consent(client, firm):
    old = grant(client, firm).get_json()
    new = grant(client, firm, categories=["tax"], supersedes=old["id"])
    assert new.status_code == 201 and new.get_json()["supersedes_id"] == old["id"]
    url = f"/api/v1/enterprises/{firm['uscc']}/consents"
    listed = {c["id"]: c for c in client.get(url, headers=firm["headers"]).get_json()}
    assert listed[old["id"]]["status"] == "superseded"
    assert listed[old["id"]]["categories"] == ["tax", "social_insurance"]  # the old terms are untouched
    again = grant(client, firm, supersedes=old["id"])
    assert again.status_code == 409


def test_bank_lists_consents_granted_to_it(client, session, firm):
    grant(client, firm)
    factories.consent(session, uscc=factories.enterprise(session).uscc, purpose="pre_screen")  # all banks
    factories.consent(session, uscc=factories.enterprise(session).uscc, bank_code=factories.bank(session).code)
    officer, _ = factories.auth(session, "bank_officer", bank_code=firm["bank"])
    listed = client.get(f"/api/v1/banks/{firm['bank']}/consents", headers=officer).get_json()
    assert len(listed) == 2 and {c["all_banks"] for c in listed} == {True, False}
    assert client.get("/api/v1/banks/SOMEONE-ELSE/consents", headers=officer).status_code == 403


def test_who_saw_my_data(client, session, firm):
    grant(client, firm)
    officer, officer_user = factories.auth(session, "bank_officer", bank_code=firm["bank"])
    client.get(f"/api/v1/enterprises/{firm['uscc']}?purpose=underwriting", headers=officer)
    log = client.get(f"/api/v1/enterprises/{firm['uscc']}/access-log", headers=firm["headers"]).get_json()
    assert len(log) == 1
    assert log[0]["bank_code"] == firm["bank"] and log[0]["purpose"] == "underwriting"
    assert log[0]["actor"] == officer_user.username and log[0]["categories"] == ["tax", "social_insurance"]
    other, _ = factories.auth(session, "enterprise")
    assert client.get(f"/api/v1/enterprises/{firm['uscc']}/access-log", headers=other).status_code == 403


def test_consent_for_another_purpose_does_not_open_the_door(client, session, firm):
    grant(client, firm, purpose="post_loan_monitoring")
    officer, _ = factories.auth(session, "bank_officer", bank_code=firm["bank"])
    url = f"/api/v1/enterprises/{firm['uscc']}"
    assert client.get(f"{url}?purpose=underwriting", headers=officer).status_code == 403
    assert client.get(f"{url}?purpose=post_loan_monitoring", headers=officer).status_code == 200
