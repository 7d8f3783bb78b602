"""Whitelists: only consenting, qualifying firms; revocation hides them from stored editions; diffs,
exports, the audit record of delivery; and a property test over random consent states."""

import datetime as dt
import io

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bank_tax import clock
from bank_tax.batch import daily
from bank_tax.consent import service as consents
from bank_tax.consent.models import Consent
from bank_tax.matching import service
from bank_tax.matching.models import WhitelistEdition
from bank_tax.security.models import AuditEvent
from bank_tax.security.roles import Principal, Role
from tests import factories
from tests.matching.helpers import firm, land

pytestmark = pytest.mark.dated  # make test-moments runs it at every moment of tests/moments.py


@pytest.fixture
def world(session):
    bank = factories.bank(session)
    other_bank = factories.bank(session)
    factories.product(session, bank.code, "YSD")
    factories.product(session, other_bank.code, "YSD")
    firms = [firm(session) for _ in range(4)]
    session.flush()
    return bank, other_bank, firms


def pre_screen(session, uscc, bank_code=None, **kw):
    return factories.consent(session, uscc=uscc, bank_code=bank_code, purpose="pre_screen", categories=("tax",), **kw)


def _headers(session, role, **kw):
    return {"Authorization": f"Bearer {factories.token(session, factories.user(session, role, **kw))}"}


def test_only_firms_consenting_to_pre_screening_appear(client, session, champion, world):
    bank, other_bank, (a, b, c, d) = world
    pre_screen(session, a.uscc, bank.code)
    pre_screen(session, b.uscc)  # to all banks
    pre_screen(session, c.uscc, other_bank.code)  # another bank's
    factories.consent(session, uscc=d.uscc, bank_code=bank.code, purpose="underwriting")  # another purpose
    session.flush()
    headers = _headers(session, "bank_officer", bank_code=bank.code)
    resp = client.post(f"/api/v1/banks/{bank.code}/whitelists", headers=headers)
    assert resp.status_code == 201, resp.get_json()
    edition = resp.get_json()
    assert edition["n_firms"] == 2
    body = client.get(f"/api/v1/banks/{bank.code}/whitelists/latest", headers=headers).get_json()
    assert {e["uscc"] for e in body["entries"]} == {a.uscc, b.uscc}
    entry = body["entries"][0]
    assert entry["product_code"] == "YSD" and entry["limit"] == 340_000 and entry["rank"] == 1
    assert entry["grade"].startswith("R") and entry["consent_id"] > 0 and len(entry["reasons"]) <= 3
    assert set(entry) >= {"uscc", "name", "limit", "rate", "points", "grade", "reasons", "consent_id"}
    # the other bank's users see nothing of it
    outsider = _headers(session, "bank_admin", bank_code=other_bank.code)
    assert client.get(f"/api/v1/banks/{bank.code}/whitelists/latest", headers=outsider).status_code == 403
    assert (
        client.get(f"/api/v1/banks/{other_bank.code}/whitelists/{edition['id']}", headers=outsider).status_code == 404
    )
    # the delivery is in the audit log with the edition's digest
    event = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "whitelist.deliver")).all()[-1]
    assert event.bank_code == bank.code and f'"digest":"{edition["digest"]}"' in event.details


def test_revocation_hides_a_firm_from_stored_editions(client, session, champion, world):
    bank, _, (a, b, _, _) = world
    ca = pre_screen(session, a.uscc, bank.code)
    pre_screen(session, b.uscc, bank.code)
    session.flush()
    headers = _headers(session, "bank_officer", bank_code=bank.code)
    edition_id = client.post(f"/api/v1/banks/{bank.code}/whitelists", headers=headers).get_json()["id"]
    consents.revoke(
        session, uscc=a.uscc, consent_id=ca.id, actor=Principal(0, "firm", Role.ENTERPRISE, uscc=a.uscc), reason=""
    )
    session.flush()
    for path in ("latest", str(edition_id)):
        body = client.get(f"/api/v1/banks/{bank.code}/whitelists/{path}", headers=headers).get_json()
        assert [e["uscc"] for e in body["entries"]] == [b.uscc] and body["withdrawn"] == 1
    csv = client.get(f"/api/v1/banks/{bank.code}/whitelists/latest?format=csv", headers=headers)
    assert a.uscc not in csv.get_data(as_text=True) and b.uscc in csv.get_data(as_text=True)
    # and from every later edition
    later = client.post(f"/api/v1/banks/{bank.code}/whitelists", headers=headers).get_json()
    assert later["n_firms"] == 1


def test_diff_against_the_previous_edition(client, session, champion, world):
    bank, _, (a, b, c, _) = world
    pre_screen(session, a.uscc, bank.code)
    pre_screen(session, b.uscc, bank.code)
    session.flush()
    headers = _headers(session, "bank_admin", bank_code=bank.code)
    first = client.post(f"/api/v1/banks/{bank.code}/whitelists", headers=headers).get_json()
    pre_screen(session, c.uscc, bank.code)  # new
    land(  # b's arrears: it no longer qualifies (dropped)
        session,
        "tax_arrears",
        [
            {
                "arrear_id": f"A-{b.uscc[-6:]}",
                "uscc": b.uscc,
                "tax_type": "vat",
                "period": "2026-01",
                "amount": "500.00",
                "arisen_on": (clock.today() - dt.timedelta(days=20)).isoformat(),
                "received_at": (clock.now() - dt.timedelta(days=19)).isoformat(),
            }
        ],
    )
    session.flush()
    second = client.post(f"/api/v1/banks/{bank.code}/whitelists", headers=headers).get_json()
    diff = client.get(f"/api/v1/banks/{bank.code}/whitelists/{second['id']}/diff", headers=headers).get_json()
    assert [e["uscc"] for e in diff["new"]] == [c.uscc]
    assert [e["uscc"] for e in diff["dropped"]] == [b.uscc]
    assert diff["changed"] == [] and diff["previous_id"] == first["id"]


def test_exports_are_spreadsheet_safe(client, session, champion, world):
    bank, _, _ = world
    evil = firm(session, name='=HYPERLINK("http://x")有限公司')
    pre_screen(session, evil.uscc, bank.code)
    session.flush()
    headers = _headers(session, "bank_officer", bank_code=bank.code)
    client.post(f"/api/v1/banks/{bank.code}/whitelists", headers=headers)
    csv = client.get(f"/api/v1/banks/{bank.code}/whitelists/latest?format=csv", headers=headers)
    assert csv.mimetype == "text/csv" and "统一社会信用代码 / uscc" in csv.get_data(as_text=True)
    assert "'=HYPERLINK" in csv.get_data(as_text=True)
    xlsx = client.get(f"/api/v1/banks/{bank.code}/whitelists/latest?format=xlsx", headers=headers)
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(xlsx.data)).active
    name = ws.cell(2, 3)  # shown as the firm wrote it, but a string cell: never run as a formula
    assert ws.max_row == 2 and name.value == evil.name and name.data_type == "s" and name.quotePrefix
    filtered = client.get(f"/api/v1/banks/{bank.code}/whitelists/latest?grade=R9", headers=headers)
    assert filtered.status_code == 422


# -- property: a non-consenting firm never appears ---------------------------------------------------------
STATES = ["none", "bank", "all_banks", "other_bank", "underwriting", "revoked", "expired"]


def _in_force_slow(session, uscc, bank_code, at):
    """Reference: walk the firm's consents one by one."""
    for c in session.scalars(sa.select(Consent).where(Consent.uscc == uscc)):
        recipient_ok = c.bank_code == bank_code or c.all_banks
        live = c.starts_at <= at < c.expires_at and (c.ended_at is None or c.ended_at > at)
        if recipient_ok and c.purpose == "pre_screen" and live:
            return True
    return False


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(states=st.lists(st.sampled_from(STATES), min_size=4, max_size=4))
def test_whitelists_hold_exactly_the_consenting_qualifying_firms(app, session, champion, world, states):
    bank, other_bank, firms = world
    nested = session.begin_nested()
    try:
        for f, state in zip(firms, states, strict=True):
            if state == "bank":
                pre_screen(session, f.uscc, bank.code)
            elif state == "all_banks":
                pre_screen(session, f.uscc)
            elif state == "other_bank":
                pre_screen(session, f.uscc, other_bank.code)
            elif state == "underwriting":
                factories.consent(session, uscc=f.uscc, bank_code=bank.code, purpose="underwriting")
            elif state == "revoked":
                c = pre_screen(session, f.uscc, bank.code)
                firm_user = Principal(0, "f", Role.ENTERPRISE, uscc=f.uscc)
                consents.revoke(session, uscc=f.uscc, consent_id=c.id, actor=firm_user, reason="")
            elif state == "expired":
                c = pre_screen(session, f.uscc, bank.code)
                c.starts_at, c.expires_at = clock.now() - dt.timedelta(days=10), clock.now() - dt.timedelta(seconds=1)
        session.flush()
        with app.app_context():
            edition = daily.whitelist(session, bank_code=bank.code, actor=None)
            listed = {e["uscc"] for e in service.entries(session, edition)[0]}
        at = clock.now()
        expected = {f.uscc for f in firms if _in_force_slow(session, f.uscc, bank.code, at)}
        assert listed == expected  # every firm qualifies on its data, so consent alone decides
        assert session.get(WhitelistEdition, edition.id).n_firms == len(expected)
    finally:
        nested.rollback()


def test_the_cli_generates_for_banks_without_an_edition(app, session, champion, world):
    bank, other_bank, (a, *_) = world
    pre_screen(session, a.uscc)
    session.flush()
    runner = app.test_cli_runner()
    out = runner.invoke(args=["whitelist", "generate", "--bank", bank.code, "--bank", other_bank.code, "--if-none"])
    assert out.exit_code == 0, out.output
    assert f"{bank.code}: edition" in out.output and "with 1 firms" in out.output
    again = runner.invoke(args=["whitelist", "generate", "--bank", bank.code, "--if-none"])
    assert "has an edition already" in again.output
