"""The firm registry: registration by the firm itself or by staff, validation, duplicates, reads, races."""

import threading

import pytest
import sqlalchemy as sa

from bank_tax.db import db
from bank_tax.enterprises.models import Enterprise
from bank_tax.security.models import User
from tests import factories


def firm_body(**kw):
    body = {
        "uscc": factories.new_uscc(),
        "name": "温州瑞丰五金制品有限公司",
        "region_code": "330302",
        "industry_code": "C33",
        "established_on": "2016-08-18",
        "size_class": "small",
    }
    body.update(kw)
    return body


def test_self_registration_creates_the_firm_and_its_user(client, session):
    body = firm_body(account={"username": "ruifeng", "password": "ruifeng-2016"})
    resp = client.post("/api/v1/enterprises", json=body)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["source"] == "self"
    user = session.scalar(sa.select(User).where(User.username == "ruifeng"))
    assert user.role == "enterprise" and user.uscc == body["uscc"]
    token = client.post("/api/v1/auth/token", json={"username": "ruifeng", "password": "ruifeng-2016"}).get_json()
    own = client.get(
        f"/api/v1/enterprises/{body['uscc']}", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert own.status_code == 200 and own.get_json()["name"] == body["name"]


def test_self_registration_without_account_is_422(client):
    resp = client.post("/api/v1/enterprises", json=firm_body())
    assert resp.status_code == 422 and "account" in resp.get_json()["errors"]


def test_lowercase_code_is_normalised(client, session):
    headers, _ = factories.auth(session, "operator")
    code = factories.new_uscc()
    resp = client.post("/api/v1/enterprises", json=firm_body(uscc=f" {code.lower()} "), headers=headers)
    assert resp.status_code == 201 and resp.get_json()["uscc"] == code
    assert client.get(f"/api/v1/enterprises/{code.lower()}", headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("mutate", "check"),
    [
        (lambda c: c[:17], "length"),
        (lambda c: c[:10] + "O" + c[11:], "charset"),
        (lambda c: "Z" + c[1:], "charset"),
        (lambda c: "B" + c[1:], "registration_authority"),
        (lambda c: c[0] + "7" + c[2:], "entity_type"),
        (lambda c: c[:2] + "99" + c[4:], "division_code"),
        (lambda c: c[:16] + ("1" if c[16] != "1" else "2") + c[17:], "organization_code_check"),
        (lambda c: c[:17] + ("1" if c[17] != "1" else "2"), "check_character"),
    ],
)
def test_bad_code_is_422_naming_the_check(client, session, mutate, check):
    headers, _ = factories.auth(session, "operator")
    resp = client.post("/api/v1/enterprises", json=firm_body(uscc=mutate(factories.new_uscc())), headers=headers)
    assert resp.status_code == 422
    message = resp.get_json()["errors"]["uscc"][0]
    assert f"[{check}]" in message


def test_duplicate_code_is_409(client, session):
    headers, _ = factories.auth(session, "operator")
    body = firm_body()
    assert client.post("/api/v1/enterprises", json=body, headers=headers).status_code == 201
    again = client.post("/api/v1/enterprises", json=firm_body(uscc=body["uscc"], name="另一家公司"), headers=headers)
    assert again.status_code == 409 and "uscc" in again.get_json()["errors"]


def test_duplicate_username_rolls_back_the_firm(client, session):
    factories.user(session, "analyst", username="taken-name")
    body = firm_body(account={"username": "taken-name", "password": "taken-pass-1"})
    resp = client.post("/api/v1/enterprises", json=body)
    assert resp.status_code == 409
    assert session.scalar(sa.select(Enterprise).where(Enterprise.uscc == body["uscc"])) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("region_code", "3301"),
        ("region_code", "990101"),
        ("industry_code", "C99"),
        ("industry_code", "18"),
        ("established_on", "2999-01-01"),
        ("established_on", "not-a-date"),
        ("size_class", "huge"),
        ("name", ""),
    ],
)
def test_field_errors(client, session, field, value):
    headers, _ = factories.auth(session, "operator")
    resp = client.post("/api/v1/enterprises", json=firm_body(**{field: value}), headers=headers)
    assert resp.status_code == 422 and field in resp.get_json()["errors"]


def test_unknown_firm_is_404_for_staff(client, session):
    headers, _ = factories.auth(session, "operator")
    assert client.get(f"/api/v1/enterprises/{factories.new_uscc()}", headers=headers).status_code == 404


def test_list_filters_and_paginates(client, session):
    headers, _ = factories.auth(session, "analyst")
    for _ in range(3):
        factories.enterprise(session, region_code="330782", name="义乌小商品贸易有限公司")
    resp = client.get("/api/v1/enterprises?region_prefix=330782&page_size=2", headers=headers)
    assert resp.status_code == 200 and len(resp.get_json()) == 2
    assert '"total": 3' in resp.headers["X-Pagination"]
    assert client.get("/api/v1/enterprises?q=义乌", headers=headers).get_json()


@pytest.mark.concurrency
def test_concurrent_registrations_of_one_code_exactly_one_wins(committing_app):
    """Two registrations race on separate connections: one 201, one 409, one row."""
    code = factories.new_uscc()
    barrier = threading.Barrier(2)
    statuses = []

    def register(i):
        client = committing_app.test_client()
        barrier.wait()
        resp = client.post(
            "/api/v1/enterprises",
            json=firm_body(uscc=code, account={"username": f"racer-{i}", "password": "racing-pass-1"}),
        )
        statuses.append(resp.status_code)

    threads = [threading.Thread(target=register, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201, 409]
    with committing_app.app_context():
        n = db.session.scalar(sa.select(sa.func.count()).select_from(Enterprise).where(Enterprise.uscc == code))
        users = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.uscc == code))
    assert (n, users) == (1, 1)
