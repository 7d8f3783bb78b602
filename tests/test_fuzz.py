"""API fuzzing with schemathesis against our own OpenAPI document, bounded and seeded to fit the suite:
every operation, with every role's token and with none, in the run's database (SQLite or PostgreSQL,
rolled back afterwards). No answer may be a server error, every answer must match its documented status
codes and schema, and every 4xx uses the one error format ``{code, message, errors}``.

Cases are drawn from schemathesis' strategies inside one seeded Hypothesis run per role; every failure is
collected with its curl command, so one run reports them all."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from tests import factories

ROLES = ["anonymous", "enterprise", "bank_officer", "bank_admin", "analyst", "operator", "admin"]
EXAMPLES = int(os.environ.get("BANK_TAX_FUZZ_EXAMPLES", "3"))  # per operation and role (make soak: 25)
SELF_REVOKING = {("DELETE", "/api/v1/auth/token")}  # logging out would end the run's own session


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_within_its_contract(app, connection, session, champion, role):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [
        op
        for op in (result.ok() for result in schema.get_all_operations())
        if (op.method.upper(), op.path) not in SELF_REVOKING
    ]
    assert len(operations) > 50
    token = None if role == "anonymous" else factories.token(session, factories.user(session, role))
    session.commit()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    failures: list[str] = []

    @settings(max_examples=1, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def fuzz(data):
        for op in operations:
            for _ in range(EXAMPLES):
                case = data.draw(op.as_strategy())
                response = case.call(headers=headers)
                try:
                    case.validate_response(
                        response, checks=[not_a_server_error, status_code_conformance, response_schema_conformance]
                    )
                    if 400 <= response.status_code < 500 and response.headers.get("Content-Type", "").startswith(
                        "application/json"
                    ):
                        body = response.json()
                        assert set(body) == {"code", "message", "errors"}, body
                        assert body["code"] == response.status_code, body
                except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 (collect them all, report at the end)
                    failures.append(f"{op.label} as {role} → {response.status_code}: {str(exc)[:400]}")

    fuzz()
    assert not failures, "\n".join(sorted(set(failures))[:40])
