"""Every request has an id (the caller's X-Request-ID when it is a plain token, else a new one), returned
with the answer, on one JSON log line without personal data, and on the audit events the request wrote."""

from __future__ import annotations

import json
import logging

import sqlalchemy as sa

from bank_tax.security.models import AuditEvent
from bank_tax.security.roles import Role
from tests import factories
from tests.consent.test_consents import grant_body


def _lines(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "bank_tax.request"]


def test_the_callers_id_is_kept_and_a_bad_one_replaced(client, caplog):
    caplog.set_level(logging.INFO, logger="bank_tax.request")
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.1:2"})
    replaced = client.get("/healthz", headers={"X-Request-ID": "no spaces <or> tags"})
    fresh = client.get("/healthz")
    assert kept.headers["X-Request-ID"] == "lb-7f3a.1:2"
    assert replaced.headers["X-Request-ID"] not in ("", "no spaces <or> tags")
    assert fresh.headers["X-Request-ID"] != replaced.headers["X-Request-ID"]
    lines = _lines(caplog)
    assert [line["request_id"] for line in lines] == [r.headers["X-Request-ID"] for r in (kept, replaced, fresh)]
    assert set(lines[0]) == {"at", "request_id", "method", "route", "status", "duration_ms", "role"}
    assert lines[0]["route"] == "/healthz" and lines[0]["status"] == 200 and lines[0]["role"] == "anonymous"


def test_the_log_line_has_the_role_and_route_but_no_personal_data(client, session, caplog):
    headers, user = factories.auth(session, Role.ENTERPRISE, uscc=factories.enterprise(session).uscc)
    caplog.set_level(logging.INFO, logger="bank_tax.request")
    resp = client.get(f"/api/v1/enterprises/{user.uscc}", headers=headers)
    assert resp.status_code == 200
    (line,) = _lines(caplog)
    assert line["role"] == "enterprise" and line["route"] == "/api/v1/enterprises/<string:uscc>"
    text = json.dumps(line, ensure_ascii=False)
    assert user.uscc not in text and user.username not in text


def test_audit_events_of_a_request_carry_its_id(client, session):
    uscc = factories.enterprise(session).uscc
    headers, _ = factories.auth(session, Role.ENTERPRISE, uscc=uscc)
    bank = factories.bank(session)
    body = grant_body(bank.code)
    resp = client.post(
        f"/api/v1/enterprises/{uscc}/consents", json=body, headers={**headers, "X-Request-ID": "req-consent-1"}
    )
    assert resp.status_code == 201, resp.get_json()
    events = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "consent.grant", AuditEvent.uscc == uscc))
    assert [json.loads(e.details)["request_id"] for e in events] == ["req-consent-1"]
