"""Fuzzing that reaches deep: every operation, drawn by schemathesis from our OpenAPI document, called by
each role with its own objects in the path (the firm's USCC, consents, applications and messages; the
bank's code, applications, product codes and whitelist editions; an operator's batch), so calls get past
403/404 to the views' real work. No answer may be a server error or break its documented status codes
and schema. Reports, per operation and role, how many calls reached 2xx (``test-artifacts/fuzz-2xx-<role>.tsv``
and the test's output).

The stateless run (tests/test_fuzz.py) covers random ids and fresh users; this one the owners' paths."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from bank_tax.sources.models import IngestBatch
from tests import factories

EXAMPLES = int(os.environ.get("BANK_TAX_FUZZ_EXAMPLES", "2"))  # per operation and role (make soak: 25)
REPORTS = Path(__file__).resolve().parents[2] / "test-artifacts"  # fuzz-2xx-<role>.tsv, written fresh each run
SELF_REVOKING = {("DELETE", "/api/v1/auth/token")}
ROLES = {"enterprise": "firm", "bank_officer": "officer", "bank_admin": "admin", "operator": None}


def _own_parameters(world, session, role: str) -> dict:
    mine = dict(world["objects"][""])
    mine["batch_id"] = session.query(IngestBatch.id).order_by(IngestBatch.id).first()[0]
    mine["source"] = None  # the drawn source (an enum of the document) is as good as any
    return mine


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_reaches_deep_with_its_own_objects(app, session, world, role, capsys):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [
        op
        for op in (result.ok() for result in schema.get_all_operations())
        if (op.method.upper(), op.path) not in SELF_REVOKING
    ]
    user = world["users"][ROLES[role]] if ROLES[role] else factories.user(session, role)
    headers = {"Authorization": f"Bearer {factories.token(session, user)}"}
    own = _own_parameters(world, session, role)
    session.commit()
    failures: list[str] = []
    reached: Counter = Counter()
    called: Counter = Counter()

    @settings(max_examples=1, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def fuzz(data):
        for op in operations:
            for _ in range(EXAMPLES):
                case = data.draw(op.as_strategy())
                for name in case.path_parameters:
                    if own.get(name) is not None:
                        case.path_parameters[name] = own[name]
                response = case.call(headers=headers)
                called[op.label] += 1
                reached[op.label] += 200 <= response.status_code < 300
                try:
                    case.validate_response(
                        response, checks=[not_a_server_error, status_code_conformance, response_schema_conformance]
                    )
                except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 (collect them all)
                    failures.append(f"{op.label} as {role} → {response.status_code}: {str(exc)[:400]}")

    fuzz()
    REPORTS.mkdir(parents=True, exist_ok=True)
    with (REPORTS / f"fuzz-2xx-{role}.tsv").open("w", encoding="utf-8") as fh:
        for label in sorted(called):
            fh.write(f"{role}\t{label}\t{reached[label]}\t{called[label]}\n")
    deep = sum(1 for label in called if reached[label])
    with capsys.disabled():
        print(
            f"\n{role}: {deep} of {len(called)} operations reached 2xx ({sum(reached.values())} of "
            f"{sum(called.values())} calls)"
        )
    assert not failures, "\n".join(sorted(set(failures))[:40])
    assert deep >= {"enterprise": 12, "bank_officer": 10, "bank_admin": 10, "operator": 20}[role]
