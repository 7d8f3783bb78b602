"""The role/permission matrix of every API endpoint, and a check that no endpoint is missing from it.

Columns: anonymous, a firm's own user, another firm's user, loan officer, bank admin, analyst, operator,
admin. Each cell is the status the request must get.
"""

import datetime as dt
import io

import pytest
import sqlalchemy as sa

from bank_tax import clock
from bank_tax.batch import daily
from bank_tax.lending import service as applications
from bank_tax.security import service
from bank_tax.sources import ingest
from bank_tax.sources import service as sources
from bank_tax.sources.models import VatDeclaration
from bank_tax.sources.specs import SOURCES
from bank_tax.taxcredit import repair as repairs
from bank_tax.taxcredit.models import Notification
from tests import factories
from tests.factories import RULES
from tests.sources.helpers import csv_bytes, si, vat

ROLES = ["anon", "own_firm", "other_firm", "bank_officer", "bank_admin", "analyst", "operator", "admin"]

# (method, rule) → (request builder name, expected statuses in ROLES order)
MATRIX = {
    ("POST", "/api/v1/auth/token"): ("login", [201] * 8),
    ("DELETE", "/api/v1/auth/token"): ("plain", [401] + [204] * 7),
    ("GET", "/api/v1/auth/me"): ("plain", [401] + [200] * 7),
    ("GET", "/api/v1/auth/api-tokens"): ("plain", [401] + [200] * 7),
    ("POST", "/api/v1/auth/api-tokens"): ("api_token", [401, 403, 403, 403, 201, 403, 201, 201]),
    # someone else's token: "no such token of yours", except for admins, who may revoke any
    ("DELETE", "/api/v1/auth/api-tokens/<int:token_id>"): ("other_token", [401] + [404] * 6 + [200]),
    ("POST", "/api/v1/users"): ("new_officer", [401, 403, 403, 403, 201, 403, 403, 201]),
    ("GET", "/api/v1/audit/verify"): ("plain", [401, 403, 403, 403, 403, 403, 200, 200]),
    ("GET", "/api/v1/banks"): ("plain", [401] + [200] * 7),
    ("POST", "/api/v1/banks"): ("new_bank", [401, 403, 403, 403, 403, 403, 403, 201]),
    ("POST", "/api/v1/enterprises"): ("new_firm", [422, 403, 403, 403, 403, 403, 201, 201]),
    ("GET", "/api/v1/enterprises"): ("plain", [401, 403, 403, 403, 403, 200, 200, 200]),
    # the firm applied to the bank, consenting to underwriting with its tax data: the bank may read both
    ("GET", "/api/v1/enterprises/<string:uscc>"): ("own_firm", [401, 200, 403, 200, 200, 200, 200, 200]),
    ("POST", "/api/v1/enterprises/<string:uscc>/consents"): ("grant", [401, 201, 403, 403, 403, 403, 403, 403]),
    ("GET", "/api/v1/enterprises/<string:uscc>/consents"): ("firm_path", [401, 200, 403, 403, 403, 403, 200, 200]),
    ("GET", "/api/v1/enterprises/<string:uscc>/consents/<int:consent_id>"): (
        "consent_path",
        [401, 200, 403, 403, 403, 403, 200, 200],
    ),
    ("POST", "/api/v1/enterprises/<string:uscc>/consents/<int:consent_id>/revoke"): (
        "consent_path",
        [401, 200, 403, 403, 403, 403, 403, 403],
    ),
    ("GET", "/api/v1/enterprises/<string:uscc>/consents/<int:consent_id>/receipt"): (
        "consent_path",
        [401, 200, 403, 200, 200, 403, 200, 200],
    ),
    ("GET", "/api/v1/consents/public-key"): ("plain", [200] * 8),
    ("GET", "/api/v1/banks/<string:bank>/consents"): ("bank_path", [401, 403, 403, 200, 200, 403, 200, 200]),
    ("GET", "/api/v1/enterprises/<string:uscc>/access-log"): ("firm_path", [401, 200, 403, 403, 403, 403, 200, 200]),
    ("POST", "/api/v1/ingest/<string:source>"): ("upload", [401, 403, 403, 403, 403, 403, 201, 201]),
    ("GET", "/api/v1/ingest/batches"): ("plain", [401, 403, 403, 403, 403, 403, 200, 200]),
    ("GET", "/api/v1/ingest/batches/<int:batch_id>"): ("batch_path", [401, 403, 403, 403, 403, 403, 200, 200]),
    ("GET", "/api/v1/ingest/erroneous-codes"): ("plain", [401, 403, 403, 403, 403, 403, 200, 200]),
    ("GET", "/api/v1/enterprises/<string:uscc>/records/<string:source>"): (
        "records",
        [401, 200, 403, 200, 200, 200, 200, 200],
    ),
    ("POST", "/api/v1/enterprises/<string:uscc>/disputes"): ("dispute", [401, 201, 403, 403, 403, 403, 403, 403]),
    ("GET", "/api/v1/enterprises/<string:uscc>/disputes"): ("firm_path", [401, 200, 403, 403, 403, 403, 200, 200]),
    ("GET", "/api/v1/disputes"): ("plain", [401, 403, 403, 403, 403, 403, 200, 200]),
    ("POST", "/api/v1/disputes/<int:dispute_id>/resolve"): ("resolve", [401, 403, 403, 403, 403, 403, 200, 200]),
    # products: users of the bank read; its admins (and platform admins) change
    ("GET", "/api/v1/banks/<string:bank>/products"): ("path", [401, 403, 403, 200, 200, 200, 200, 200]),
    ("POST", "/api/v1/banks/<string:bank>/products"): ("path", [401, 403, 403, 403, 201, 403, 403, 201]),
    ("GET", "/api/v1/banks/<string:bank>/products/<string:code>"): ("path", [401, 403, 403, 200, 200, 200, 200, 200]),
    ("PUT", "/api/v1/banks/<string:bank>/products/<string:code>"): ("path", [401, 403, 403, 403, 200, 403, 403, 200]),
    ("POST", "/api/v1/banks/<string:bank>/products/<string:code>/pause"): (
        "path",
        [401, 403, 403, 403, 200, 403, 403, 200],
    ),
    ("POST", "/api/v1/banks/<string:bank>/products/<string:code>/resume"): (
        "path",
        [401, 403, 403, 403, 200, 403, 403, 200],
    ),
    # applications: firms apply for themselves; the application's bank decides. To another firm or bank
    # user an application not theirs does not exist (404); staff without the right are refused (403)
    ("POST", "/api/v1/applications"): ("path", [401, 201, 201, 403, 403, 403, 403, 403]),
    ("GET", "/api/v1/applications"): ("path", [401, 200, 200, 403, 403, 403, 403, 403]),
    ("GET", "/api/v1/applications/<int:application_id>"): ("path", [401, 200, 404, 200, 200, 403, 200, 200]),
    ("POST", "/api/v1/applications/<int:application_id>/withdraw"): ("path", [401, 200, 404, 403, 403, 403, 403, 403]),
    ("POST", "/api/v1/applications/<int:application_id>/resubmit"): ("path", [401, 409, 404, 403, 403, 403, 403, 403]),
    ("POST", "/api/v1/applications/<int:application_id>/request-review"): (
        "path",
        [401, 409, 404, 403, 403, 403, 403, 403],
    ),
    ("GET", "/api/v1/banks/<string:bank>/applications"): ("path", [401, 403, 403, 200, 200, 403, 200, 200]),
    ("POST", "/api/v1/banks/<string:bank>/applications/<int:application_id>/review"): (
        "path",
        [401, 403, 403, 200, 200, 403, 403, 403],
    ),
    # the application is submitted, not in review: its bank gets past the gate and meets the state machine
    ("POST", "/api/v1/banks/<string:bank>/applications/<int:application_id>/decision"): (
        "path",
        [401, 403, 403, 409, 409, 403, 403, 403],
    ),
    ("POST", "/api/v1/banks/<string:bank>/loans"): ("path", [401, 403, 403, 201, 201, 403, 403, 403]),
    ("GET", "/api/v1/banks/<string:bank>/loans"): ("path", [401, 403, 403, 200, 200, 403, 200, 200]),
    ("POST", "/api/v1/banks/<string:bank>/loan-events"): ("path", [401, 403, 403, 200, 200, 403, 403, 403]),
    ("POST", "/api/v1/banks/<string:bank>/loan-events/file"): ("path", [401, 403, 403, 200, 200, 403, 403, 403]),
    ("GET", "/api/v1/reports/effect"): ("report", [401, 403, 403, 403, 403, 200, 200, 200]),
    # scores: the firm, staff and analysts; the bank within the consent the application gave it
    ("GET", "/api/v1/enterprises/<string:uscc>/score"): ("firm_path", [401, 200, 403, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/models"): ("plain", [401, 403, 403, 403, 403, 200, 200, 200]),
    ("GET", "/api/v1/scheduler/jobs"): ("plain", [401, 403, 403, 403, 403, 403, 200, 200]),
    ("PUT", "/api/v1/banks/<string:bank>/whitelist-schedule"): ("path", [401, 403, 403, 403, 200, 403, 403, 200]),
    # matching: the firm and staff; whitelists: users of the bank and staff
    ("GET", "/api/v1/enterprises/<string:uscc>/matches"): ("firm_path", [401, 200, 403, 403, 403, 403, 200, 200]),
    ("GET", "/api/v1/enterprises/<string:uscc>/credit-warnings"): (
        "firm_path",
        [401, 200, 403, 403, 403, 403, 200, 200],
    ),
    ("GET", "/api/v1/banks/<string:bank>/whitelists"): ("path", [401, 403, 403, 200, 200, 403, 200, 200]),
    ("POST", "/api/v1/banks/<string:bank>/whitelists"): ("path", [401, 403, 403, 201, 201, 403, 201, 201]),
    ("GET", "/api/v1/banks/<string:bank>/whitelists/latest"): ("path", [401, 403, 403, 200, 200, 403, 200, 200]),
    ("GET", "/api/v1/banks/<string:bank>/whitelists/<int:edition_id>"): (
        "path",
        [401, 403, 403, 200, 200, 403, 200, 200],
    ),
    ("GET", "/api/v1/banks/<string:bank>/whitelists/<int:edition_id>/diff"): (
        "path",
        [401, 403, 403, 200, 200, 403, 200, 200],
    ),
    ("GET", "/api/v1/models/<string:ref>"): ("model", [401, 403, 403, 403, 403, 200, 200, 200]),
    # tax credit: the firm's inbox is its own; repairs are the firm's to ask and staff's to decide
    ("GET", "/api/v1/enterprises/<string:uscc>/notifications"): ("firm_path", [401, 200] + [403] * 6),
    ("POST", "/api/v1/enterprises/<string:uscc>/notifications/<int:notification_id>/read"): (
        "read_note",
        [401, 200] + [403] * 6,
    ),
    ("POST", "/api/v1/enterprises/<string:uscc>/credit-repairs"): ("repair", [401, 201] + [403] * 6),
    ("GET", "/api/v1/enterprises/<string:uscc>/credit-repairs"): (
        "firm_path",
        [401, 200, 403, 403, 403, 403, 200, 200],
    ),
    ("GET", "/api/v1/credit-repairs"): ("plain", [401, 403, 403, 403, 403, 403, 200, 200]),
    ("POST", "/api/v1/credit-repairs/<int:repair_id>/decision"): (
        "decide_repair",
        [401, 403, 403, 403, 403, 403, 200, 200],
    ),
    ("GET", "/api/v1/taxcredit/at-risk"): ("plain", [401, 403, 403, 403, 403, 403, 200, 200]),
}

BODIES = {
    ("PUT", "/api/v1/banks/<string:bank>/whitelist-schedule"): lambda w, n: {"whitelist_cron": "30 7 * * 1"},
    ("POST", "/api/v1/banks/<string:bank>/products"): lambda w, n: {"code": f"P{n}", "name": "新产品", "rules": RULES},
    ("PUT", "/api/v1/banks/<string:bank>/products/<string:code>"): lambda w, n: {"rules": RULES},
    ("POST", "/api/v1/applications"): lambda w, n: {
        "bank_code": w["bank"].code,
        "product_code": "YSD",
        "amount": 100000,
        "term_months": 12,
        "purpose_of_funds": "采购",
        "grant_consent": True,
    },
    ("POST", "/api/v1/banks/<string:bank>/applications/<int:application_id>/decision"): lambda w, n: {
        "decision": "returned",
        "reason_code": "other",
    },
    ("POST", "/api/v1/banks/<string:bank>/loans"): lambda w, n: {
        "contract_no": f"H{n}",
        "uscc": w["firm"].uscc,
        "product_code": "YSD",
        "principal": 100000,
        "rate": 3.5,
        "start_date": "2024-01-01",
        "maturity_date": "2025-01-01",
    },
    ("POST", "/api/v1/banks/<string:bank>/loan-events"): lambda w, n: {
        "events": [{"event_id": f"E{n}", "contract_no": "NONE", "event_type": "repayment", "event_date": "2024-02-01"}]
    },
}
# Bank admins may create users of their own bank only; anyone else's bank is refused.
EXTRA = [("POST", "/api/v1/users", "officer_elsewhere", [401, 403, 403, 403, 403, 403, 403, 201])]


@pytest.fixture
def world(app, session, champion):
    """One firm and one bank with a user of every role; the bank users belong to ``bank``."""
    firm = factories.enterprise(session)
    other = factories.enterprise(session)
    bank = factories.bank(session)
    elsewhere = factories.bank(session)
    users = {
        "own_firm": factories.user(session, "enterprise", uscc=firm.uscc),
        "other_firm": factories.user(session, "enterprise", uscc=other.uscc),
        "bank_officer": factories.user(session, "bank_officer", bank_code=bank.code),
        "bank_admin": factories.user(session, "bank_admin", bank_code=bank.code),
        "analyst": factories.user(session, "analyst"),
        "operator": factories.user(session, "operator"),
        "admin": factories.user(session, "admin"),
    }
    foreign = factories.user(session, "bank_admin", bank_code=elsewhere.code)
    _, foreign_token = service.issue_token(session, user=foreign, kind="api", ttl=dt.timedelta(days=1))
    consent = factories.consent(session, uscc=firm.uscc, bank_code=bank.code, purpose="post_loan_monitoring")
    factories.product(session, bank.code)
    application = applications.submit(
        session,
        uscc=firm.uscc,
        actor=service.principal_of(users["own_firm"]),
        key=factories.key(),
        bank_code=bank.code,
        product_code="YSD",
        amount=10_000_000,
        term_months=12,
        purpose_of_funds="采购",
        grant_consent=True,
    )
    batch, _ = ingest.ingest(
        session,
        source=SOURCES["vat_declarations"],
        actor=None,
        filename="v.csv",
        data=csv_bytes(
            "vat_declarations",
            [
                vat(firm.uscc),
                vat(
                    firm.uscc,
                    period="2025-02",
                    due_date="2025-03-15",
                    filed_on="2025-03-10",
                    received_at="2025-03-11T02:00:00+00:00",
                ),
            ],
        ),
    )
    first, second = session.scalars(
        sa.select(VatDeclaration.id).where(VatDeclaration.uscc == firm.uscc).order_by(VatDeclaration.id)
    ).all()
    dispute = sources.open_dispute(
        session,
        uscc=firm.uscc,
        source=SOURCES["vat_declarations"],
        record_id=first,
        reason="wrong",
        actor=service.principal_of(users["own_firm"]),
    )
    with app.app_context():
        edition = daily.whitelist(session, bank_code=bank.code, actor=None)
    entries = [
        {
            "entry_id": f"PM-{firm.uscc[-6:]}-{k}",
            "uscc": firm.uscc,
            "list_type": "key_watch",
            "reason": "测试",
            "authority": "测试局",
            "listed_on": "2025-01-10",
        }
        for k in range(2)
    ]
    ingest.ingest(
        session, source=SOURCES["public_credit"], actor=None, filename="l.csv", data=csv_bytes("public_credit", entries)
    )
    repair_ = repairs.submit(
        session,
        principal=service.principal_of(users["own_firm"]),
        uscc=firm.uscc,
        entry_id=entries[0]["entry_id"],
        commitment="已纠正失信行为并履行义务",
        evidence="凭证",
    )
    note = Notification(uscc=firm.uscc, kind="product_eligible", title_zh="测试", title_en="test")
    session.add(note)
    session.flush()
    return {
        "repair": repair_.id,
        "free_entry": entries[1]["entry_id"],
        "note": note.id,
        "edition": edition.id,
        "firm": firm,
        "bank": bank,
        "elsewhere": elsewhere,
        "users": users,
        "foreign_token": foreign_token.id,
        "consent": consent.id,
        "batch": batch.id,
        "record": second,
        "dispute": dispute.id,
        "application": application.id,
    }


def _request(client, session, world, builder, method, rule, role):
    headers = {}
    if role != "anon":
        headers["Authorization"] = f"Bearer {factories.token(session, world['users'][role])}"
    firm = world["firm"]
    n = factories.new_uscc()[-8:]
    match builder:
        case "login":
            u = world["users"].get(role) or world["users"]["analyst"]
            return client.post("/api/v1/auth/token", json={"username": u.username, "password": factories.PASSWORD})
        case "plain":
            return client.open(rule, method=method, headers=headers)
        case "api_token":
            return client.post("/api/v1/auth/api-tokens", json={"name": "core"}, headers=headers)
        case "other_token":
            return client.delete(f"/api/v1/auth/api-tokens/{world['foreign_token']}", headers=headers)
        case "new_officer" | "officer_elsewhere":
            bank = world["bank"] if builder == "new_officer" else world["elsewhere"]
            return client.post(
                "/api/v1/users",
                headers=headers,
                json={
                    "username": f"officer-{n}",
                    "password": factories.PASSWORD,
                    "role": "bank_officer",
                    "bank_code": bank.code,
                },
            )
        case "new_bank":
            return client.post("/api/v1/banks", headers=headers, json={"code": f"NB{n}", "name": "新银行"})
        case "new_firm":
            return client.post(
                "/api/v1/enterprises",
                headers=headers,
                json={
                    "uscc": factories.new_uscc(),
                    "name": "宁波测试贸易有限公司",
                    "region_code": "330203",
                    "industry_code": "F51",
                    "established_on": "2015-06-01",
                    "size_class": "micro",
                },
            )
        case "own_firm":
            return client.get(f"/api/v1/enterprises/{firm.uscc}", headers=headers)
        case "upload":
            return client.post(
                "/api/v1/ingest/social_insurance",
                headers=headers,
                content_type="multipart/form-data",
                data={"file": (io.BytesIO(csv_bytes("social_insurance", [si(firm.uscc)])), "si.csv")},
            )
        case "batch_path":
            return client.get(f"/api/v1/ingest/batches/{world['batch']}", headers=headers)
        case "records":
            return client.get(f"/api/v1/enterprises/{firm.uscc}/records/vat_declarations", headers=headers)
        case "dispute":
            return client.post(
                f"/api/v1/enterprises/{firm.uscc}/disputes",
                headers=headers,
                json={"source": "vat_declarations", "record_id": world["record"], "reason": "销售额有误"},
            )
        case "resolve":
            return client.post(
                f"/api/v1/disputes/{world['dispute']}/resolve",
                headers=headers,
                json={"outcome": "upheld", "reply": "经核实无误"},
            )
        case "model":
            return client.get("/api/v1/models/champion", headers=headers)
        case "read_note":
            return client.post(f"/api/v1/enterprises/{firm.uscc}/notifications/{world['note']}/read", headers=headers)
        case "repair":
            return client.post(
                f"/api/v1/enterprises/{firm.uscc}/credit-repairs",
                headers=headers,
                json={"entry_id": world["free_entry"], "commitment": "已纠正失信行为并履行义务", "evidence": "凭证"},
            )
        case "decide_repair":
            return client.post(
                f"/api/v1/credit-repairs/{world['repair']}/decision",
                headers=headers,
                json={"decision": "rejected", "reply": "材料不足"},
            )
        case "report":
            return client.get(f"{rule}?quarter=2026Q3", headers=headers)
        case "path":
            path = (
                rule.replace("<string:bank>", world["bank"].code)
                .replace("<string:code>", "YSD")
                .replace("<int:application_id>", str(world["application"]))
                .replace("<int:edition_id>", str(world["edition"]))
            )
            if rule.endswith("/loan-events/file"):
                data = b"event_id,contract_no,event_type,event_date,amount,dpd\nF1,NONE,repayment,2024-02-01,0,0\n"
                return client.post(
                    path,
                    headers=headers,
                    content_type="multipart/form-data",
                    data={"file": (io.BytesIO(data), "events.csv")},
                )
            body = BODIES.get((method, rule))
            return client.open(
                path,
                method=method,
                headers=headers,
                json=body(world, n) if body else ({} if method == "POST" else None),
            )
        case "firm_path" | "consent_path" | "bank_path":
            path = rule.replace("<string:uscc>", firm.uscc).replace("<int:consent_id>", str(world["consent"]))
            path = path.replace("<string:bank>", world["bank"].code)
            return client.open(path, method=method, headers=headers, json={} if method == "POST" else None)
        case "grant":
            return client.post(
                f"/api/v1/enterprises/{firm.uscc}/consents",
                headers=headers,
                json={
                    "bank_code": world["bank"].code,
                    "purpose": "underwriting",
                    "categories": ["tax"],
                    "expires_at": (clock.now() + dt.timedelta(days=30)).isoformat(),
                },
            )
    raise AssertionError(builder)


def _cases():
    for (method, rule), (builder, statuses) in MATRIX.items():
        for role, status in zip(ROLES, statuses, strict=True):
            yield pytest.param(method, rule, builder, role, status, id=f"{method} {rule} as {role}")
    for method, rule, builder, statuses in EXTRA:
        for role, status in zip(ROLES, statuses, strict=True):
            yield pytest.param(method, rule, builder, role, status, id=f"{method} {rule} ({builder}) as {role}")


@pytest.mark.parametrize(("method", "rule", "builder", "role", "status"), list(_cases()))
def test_matrix(client, session, world, method, rule, builder, role, status):
    resp = _request(client, session, world, builder, method, rule, role)
    assert resp.status_code == status, resp.get_data(as_text=True)


def test_every_api_endpoint_is_in_the_matrix(app):
    endpoints = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    missing = endpoints - set(MATRIX)
    assert not missing, f"endpoints without a row in the permission matrix: {sorted(missing)}"


def _bank_rules(app):
    return sorted(
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if "<string:bank>" in rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


def test_another_banks_users_are_refused_on_every_bank_endpoint(app, client, session, world):
    """Bank A's admin and officer, on every endpoint under bank B's path: refused (isolation)."""
    outsider_bank = world["elsewhere"].code
    for role in ("bank_admin", "bank_officer"):
        outsider = factories.user(session, role, bank_code=outsider_bank)
        headers = {"Authorization": f"Bearer {factories.token(session, outsider)}"}
        for method, rule in _bank_rules(app):
            path = (
                rule.replace("<string:bank>", world["bank"].code)
                .replace("<string:code>", "YSD")
                .replace("<int:application_id>", str(world["application"]))
                .replace("<int:edition_id>", str(world["edition"]))
            )
            if rule.endswith("/loan-events/file"):
                data = b"event_id,contract_no,event_type,event_date,amount,dpd\n"
                resp = client.post(
                    path,
                    headers=headers,
                    content_type="multipart/form-data",
                    data={"file": (io.BytesIO(data), "events.csv")},
                )
            else:
                body = BODIES.get((method, rule))
                resp = client.open(
                    path,
                    method=method,
                    headers=headers,
                    json=body(world, "x") if body else ({} if method != "GET" else None),
                )
            assert resp.status_code == 403, (role, method, rule, resp.status_code, resp.get_json())
