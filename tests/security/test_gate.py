"""The API's gate: the caller is known (401) and may be at this firm's or bank's path (403) before the
body is validated (422), for every operation of the OpenAPI document, so a caller who may not call learns
nothing of what a valid body looks like."""

from __future__ import annotations

import re

import pytest

from tests import factories

BAD = {"no_such_field": ["x" * 300], "amount": "not a number"}


def _operations(client):
    spec = client.get("/api/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "delete", "patch"):
                yield method.upper(), path, op.get("security", spec.get("security", []))


def _fill(path: str, **values) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: str(values.get(m.group(1), 1)), path)


PUBLIC = {
    ("POST", "/api/v1/auth/token"),  # logging in
    ("POST", "/api/v1/enterprises"),  # a firm registers itself
    ("GET", "/api/v1/consents/public-key"),  # the key receipts are verified with
}


def test_anonymous_callers_get_401_before_any_validation(client, session):
    checked = 0
    for method, path, security in _operations(client):
        if security == [] or {} in security:
            assert (method, path) in PUBLIC, f"{method} {path} is open to anonymous callers"
            continue
        resp = client.open(_fill(path, uscc="91330106MA1000001X", bank="ANY"), method=method, json=BAD)
        assert resp.status_code == 401, (method, path, resp.status_code, resp.get_json())
        assert resp.get_json()["errors"] == {}, (method, path)  # nothing about the body
        checked += 1
    assert checked > 50


def test_a_firm_or_bank_elsewhere_gets_403_before_validation(client, session):
    bank, elsewhere = factories.bank(session), factories.bank(session)
    firm, other = factories.enterprise(session), factories.enterprise(session)
    firm_user, _ = factories.auth(session, "enterprise", uscc=firm.uscc)
    officer, _ = factories.auth(session, "bank_admin", bank_code=bank.code)
    session.commit()
    checked = 0
    for method, path, _security in _operations(client):
        if "{bank}" in path:
            callers = {"firm": firm_user, "another bank": officer}
            target = _fill(path, bank=elsewhere.code, uscc=firm.uscc)
        elif "{uscc}" in path:
            callers = {"another firm": firm_user}
            target = _fill(path, uscc=other.uscc)
        else:
            continue
        for who, headers in callers.items():
            resp = client.open(target, method=method, json=BAD, headers=headers)
            assert resp.status_code == 403, (who, method, path, resp.status_code, resp.get_json())
            checked += 1
    assert checked > 30


@pytest.mark.parametrize("header", ["Bearer bt_not-a-token", "Basic dXNlcjpwYXNz", "Bearer "])
def test_a_bad_credential_is_401_not_422(client, header):
    resp = client.post("/api/v1/applications", json=BAD, headers={"Authorization": header})
    assert resp.status_code == 401


def test_a_firm_reaches_its_own_path_however_it_writes_its_code(client, session):
    """The gate reads the path's USCC as the views do (full-width, spaces, hyphens, lower case)."""
    firm = factories.enterprise(session)
    headers, _ = factories.auth(session, "enterprise", uscc=firm.uscc)
    session.commit()
    code = firm.uscc
    for written in (
        code.lower(),
        f"{code[:6]}-{code[6:]}",
        code.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
    ):
        assert client.get(f"/api/v1/enterprises/{written}", headers=headers).status_code == 200, written
    assert client.head(f"/api/v1/enterprises/{code}", headers=headers).status_code == 200
