"""Ownership on every object route, API and pages: the owner gets its answer; another firm or another
bank gets 404 when it names the object under its own path (an id it does not own is an id that does not
exist for it) and 403 under the owner's path (a firm's or a bank's existence is public: the credit
publicity system lists every firm), and never the object itself in the body.

The rows come from the URL map: every rule with an argument is either in ``OWNED`` or in ``NOT_OWNED``
with the reason, so a new route with an object id fails :func:`test_every_route_with_an_id_has_a_row`
until someone says who owns what it serves.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re

import pytest

from bank_tax import clock
from tests import factories
from tests.factories import PASSWORD, RULES
from tests.security.conftest import OWNER_MARK

# Arguments that name no owned object, with the reason; rules whose every argument is here need no row.
NOT_OBJECTS = {
    "filename": "a static file",
    "source": "a data source's name",
    "code@/lang/<code>": "a language",
}
# Rules with an id of an object no firm or bank owns: staff's, guarded by role (tests/security/test_permissions)
NOT_OWNED = {
    "/api/v1/ingest/batches/<int:batch_id>": "an agency batch: operators'",
    "/api/v1/disputes/<int:dispute_id>/resolve": "operators decide disputes",
    "/api/v1/credit-repairs/<int:repair_id>/decision": "operators decide repairs",
    "/api/v1/models/<string:ref>": "a model card: analysts' and operators'",
    "/ops/ingestion/<int:batch_id>": "an agency batch: operators'",
    "/ops/models/<version>": "a model card: analysts'",
    "/ops/models/<version>/promote": "analysts promote",
    "/firm/apply/<bank_code>/<product_code>": "a published product: any firm may apply",
}


@dataclasses.dataclass(frozen=True)
class Row:
    """Who owns what the rule serves ("firm": firm A's user; "officer"/"admin": bank X's), what the owner
    gets, and a request body builder (the world, a fresh suffix) for methods that take one."""

    owner: str
    status: int
    body: object = None
    form: bool = False  # a page's form post (CSRF token, not JSON)
    upload: bool = False
    query: str = ""


def _grant(w, n):
    return {
        "bank_code": w["bank_x"],
        "purpose": "pre_screen",
        "categories": ["tax"],
        "expires_at": (clock.now() + dt.timedelta(days=30)).isoformat(),
    }


OWNED: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/enterprises/<string:uscc>"): Row("firm", 200),
    ("GET", "/api/v1/enterprises/<string:uscc>/access-log"): Row("firm", 200),
    ("GET", "/api/v1/enterprises/<string:uscc>/consents"): Row("firm", 200),
    ("POST", "/api/v1/enterprises/<string:uscc>/consents"): Row("firm", 201, _grant),
    ("GET", "/api/v1/enterprises/<string:uscc>/consents/<int:consent_id>"): Row("firm", 200),
    ("GET", "/api/v1/enterprises/<string:uscc>/consents/<int:consent_id>/receipt"): Row("firm", 200),
    ("POST", "/api/v1/enterprises/<string:uscc>/consents/<int:consent_id>/revoke"): Row("firm", 200, {}),
    ("GET", "/api/v1/enterprises/<string:uscc>/credit-repairs"): Row("firm", 200),
    ("POST", "/api/v1/enterprises/<string:uscc>/credit-repairs"): Row(
        "firm", 201, lambda w, n: {"entry_id": w["entry"], "commitment": "已纠正失信行为并履行义务", "evidence": "凭证"}
    ),
    ("GET", "/api/v1/enterprises/<string:uscc>/credit-warnings"): Row("firm", 200),
    ("GET", "/api/v1/enterprises/<string:uscc>/disputes"): Row("firm", 200),
    ("POST", "/api/v1/enterprises/<string:uscc>/disputes"): Row(
        "firm", 201, lambda w, n: {"source": "vat_declarations", "record_id": w["record"], "reason": "销售额有误"}
    ),
    ("GET", "/api/v1/enterprises/<string:uscc>/matches"): Row("firm", 200),
    ("GET", "/api/v1/enterprises/<string:uscc>/notifications"): Row("firm", 200),
    ("POST", "/api/v1/enterprises/<string:uscc>/notifications/<int:notification_id>/read"): Row("firm", 200, {}),
    ("GET", "/api/v1/enterprises/<string:uscc>/records/<string:source>"): Row("firm", 200),
    ("GET", "/api/v1/enterprises/<string:uscc>/score"): Row("firm", 200),
    ("GET", "/api/v1/applications/<int:application_id>"): Row("firm", 200),
    ("POST", "/api/v1/applications/<int:application_id>/withdraw"): Row("firm", 200, {}),
    # submitted, not returned or declined: the owner meets the state machine, an intruder never does
    ("POST", "/api/v1/applications/<int:application_id>/resubmit"): Row("firm", 409, {}),
    ("POST", "/api/v1/applications/<int:application_id>/request-review"): Row("firm", 409, {}),
    ("DELETE", "/api/v1/auth/api-tokens/<int:token_id>"): Row("firm", 200),
    ("GET", "/api/v1/banks/<string:bank>/applications"): Row("officer", 200),
    ("POST", "/api/v1/banks/<string:bank>/applications/<int:application_id>/review"): Row("officer", 200, {}),
    ("POST", "/api/v1/banks/<string:bank>/applications/<int:application_id>/decision"): Row(
        "officer", 409, lambda w, n: {"decision": "returned", "reason_code": "other"}
    ),
    ("GET", "/api/v1/banks/<string:bank>/consents"): Row("officer", 200),
    ("POST", "/api/v1/banks/<string:bank>/loan-events"): Row(
        "officer",
        200,
        lambda w, n: {
            "events": [
                {"event_id": f"E{n}", "contract_no": "NONE", "event_type": "repayment", "event_date": "2024-02-01"}
            ]
        },
    ),
    ("POST", "/api/v1/banks/<string:bank>/loan-events/file"): Row("officer", 200, upload=True),
    ("GET", "/api/v1/banks/<string:bank>/loans"): Row("officer", 200),
    ("POST", "/api/v1/banks/<string:bank>/loans"): Row(
        "officer",
        201,
        lambda w, n: {
            "contract_no": f"H{n}",
            "uscc": w["firm_a"],
            "product_code": "XP1",
            "principal": 100000,
            "rate": 3.5,
            "start_date": "2024-01-01",
            "maturity_date": "2025-01-01",
        },
    ),
    ("GET", "/api/v1/banks/<string:bank>/products"): Row("officer", 200),
    ("POST", "/api/v1/banks/<string:bank>/products"): Row(
        "admin", 201, lambda w, n: {"code": f"P{n}", "name": "新产品", "rules": RULES}
    ),
    ("GET", "/api/v1/banks/<string:bank>/products/<string:code>"): Row("officer", 200),
    ("PUT", "/api/v1/banks/<string:bank>/products/<string:code>"): Row("admin", 200, {"rules": RULES}),
    ("POST", "/api/v1/banks/<string:bank>/products/<string:code>/pause"): Row("admin", 200, {}),
    ("POST", "/api/v1/banks/<string:bank>/products/<string:code>/resume"): Row("admin", 200, {}),
    ("PUT", "/api/v1/banks/<string:bank>/whitelist-schedule"): Row("admin", 200, {"whitelist_cron": "30 7 * * 1"}),
    ("GET", "/api/v1/banks/<string:bank>/whitelists"): Row("officer", 200),
    ("POST", "/api/v1/banks/<string:bank>/whitelists"): Row("officer", 201, {}),
    ("GET", "/api/v1/banks/<string:bank>/whitelists/<int:edition_id>"): Row("officer", 200),
    ("GET", "/api/v1/banks/<string:bank>/whitelists/<int:edition_id>/diff"): Row("officer", 200),
    ("GET", "/api/v1/banks/<string:bank>/whitelists/latest"): Row("officer", 200),
    # pages
    ("GET", "/bank/applications/<int:application_id>"): Row("officer", 200),
    ("POST", "/bank/applications/<int:application_id>"): Row("officer", 302, {"action": "review"}, form=True),
    ("GET", "/bank/firms/<uscc>"): Row("officer", 200, query="?purpose=underwriting"),
    ("GET", "/bank/products/<code>"): Row("admin", 200),
    ("POST", "/bank/products/<code>"): Row("admin", 302, {"status": "paused"}, form=True),
    ("GET", "/firm/consents/<int:consent_id>/receipt"): Row("firm", 200),
    ("POST", "/firm/consents/<int:consent_id>/revoke"): Row("firm", 302, {}, form=True),
    ("POST", "/firm/inbox/<int:notification_id>"): Row("firm", 302, {}, form=True),
}


def _arguments(rule) -> list[str]:
    return [a for a in rule.arguments if a not in NOT_OBJECTS and f"{a}@{rule.rule}" not in NOT_OBJECTS]


def test_every_route_with_an_id_has_a_row(app):
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if _arguments(rule) and rule.rule not in NOT_OWNED
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    missing = sorted(routes - set(OWNED))
    assert not missing, f"routes with an object id and no row in the ownership matrix: {missing}"
    assert not set(OWNED) - routes, "rows for routes that no longer exist"


def _path(rule: str, prefix: dict, target: dict) -> str:
    """``rule`` with the path's firm or bank from ``prefix`` and every object id from ``target``."""

    def fill(m):
        name = m.group(1).split(":")[-1]
        if name in ("uscc", "bank", "bank_code"):
            return str(prefix["uscc" if name == "uscc" else "bank"])
        if name == "source":
            return "vat_declarations"
        return str(target[name])

    return re.sub(r"<([^>]+)>", fill, rule)


def _call(app, session, world, who: str, method: str, rule: str, row: Row, path: str):
    user = world["users"][who]
    n = factories.new_uscc()[-8:]
    if rule.startswith("/api/"):
        client = app.test_client()
        headers = {"Authorization": f"Bearer {factories.token(session, user)}"}
        if row.upload:
            data = b"event_id,contract_no,event_type,event_date,amount,dpd\nF1,NONE,repayment,2024-02-01,0,0\n"
            return client.post(
                path, headers=headers, content_type="multipart/form-data", data={"file": (io.BytesIO(data), "e.csv")}
            )
        body = row.body(world, n) if callable(row.body) else row.body
        return client.open(path, method=method, headers=headers, json=body)
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
    if method == "GET":
        return client.get(path)
    form = {**(row.body or {}), "csrf_token": _page_token(client)}
    return client.post(path, data=form)


def _page_token(client) -> str:
    for page in ("/firm/consents", "/bank/whitelist"):
        resp = client.get(page)
        if resp.status_code == 200:
            return re.search(r'name="csrf_token" value="([^"]+)"', resp.get_data(as_text=True)).group(1)
    raise AssertionError("no page with a form")


PREFIXES = ("uscc", "bank", "bank_code")


@pytest.mark.parametrize(("method", "rule"), list(OWNED), ids=[f"{m} {r}" for m, r in OWNED])
def test_only_the_owner_gets_the_object(app, session, world, method, rule):
    row = OWNED[(method, rule)]
    mine, theirs = world["objects"][""], world["objects"]["other_"]
    names = [a.split(":")[-1] for a in re.findall(r"<([^>]+)>", rule)]
    prefixed = any(n in PREFIXES for n in names)
    has_id = any(n not in (*PREFIXES, "source") for n in names)
    for who in ("other_firm", "other_officer", "other_admin"):
        # the owner's counterpart on the other side may do what the owner does, to its own objects
        same_kind = who == f"other_{row.owner}" or (row.owner == "officer" and who == "other_admin")
        resp = _call(app, session, world, who, method, rule, row, _path(rule, mine, mine) + row.query)
        text = resp.get_data(as_text=True)
        # under the owner's path: refused (the firm or bank exists, the caller is not it); an id of another's
        # alone: not found for a caller who may hold such objects, refused by role for anyone else
        expected = (403, 404) if prefixed or not same_kind else (404,)
        assert resp.status_code in expected, (who, resp.status_code, text[:300])
        assert OWNER_MARK not in text
        if prefixed and has_id and same_kind:
            # the owner's object named under the intruder's own path: not found, never the object
            resp = _call(app, session, world, who, method, rule, row, _path(rule, theirs, mine) + row.query)
            text = resp.get_data(as_text=True)
            assert resp.status_code == 404, (who, "under its own path", resp.status_code, text[:300])
            assert OWNER_MARK not in text
    resp = _call(app, session, world, row.owner, method, rule, row, _path(rule, mine, mine) + row.query)
    assert resp.status_code == row.status, (row.owner, resp.status_code, resp.get_data(as_text=True)[:500])
