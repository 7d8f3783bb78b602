"""Login, bearer tokens, long-lived API tokens, login throttling, password policy and hash upgrades, page
sessions with CSRF."""

import hashlib
import re

import pytest
import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from bank_tax.config import Config
from bank_tax.errors import Invalid
from bank_tax.security import service
from bank_tax.security.models import ApiToken, User
from tests import factories
from tests.factories import PASSWORD


def login(client, username, password=PASSWORD):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_token_login_and_me(client, session):
    u = factories.user(session, "analyst")
    resp = login(client, u.username)
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["token_type"] == "Bearer" and body["role"] == "analyst"
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.get_json()["username"] == u.username


def test_tokens_are_stored_hashed(client, session):
    u = factories.user(session, "operator")
    secret = login(client, u.username).get_json()["access_token"]
    stored = session.scalars(sa.select(ApiToken.token_hash).where(ApiToken.user_id == u.id)).all()
    assert stored == [hashlib.sha256(secret.encode()).hexdigest()]
    assert secret not in stored


def test_wrong_password_is_401(client, session):
    u = factories.user(session, "analyst")
    assert login(client, u.username, "wrong-password-1").status_code == 401
    assert login(client, "nobody-at-all", "wrong-password-1").status_code == 401


def test_failed_logins_are_throttled(client, session, app):
    u = factories.user(session, "analyst")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login(client, u.username, "wrong-password-1").status_code == 401
    resp = login(client, u.username)  # even the right password, once the limit is reached
    assert resp.status_code == 429
    assert int(resp.headers["Retry-After"]) > 0


def test_logout_revokes_the_token(client, session):
    u = factories.user(session, "analyst")
    secret = login(client, u.username).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_api_tokens_shown_once_listed_without_secret_and_revocable(client, session):
    headers, _ = factories.auth(session, "bank_admin")
    created = client.post(
        "/api/v1/auth/api-tokens", json={"name": "core banking", "expires_in_days": 365}, headers=headers
    )
    assert created.status_code == 201
    body = created.get_json()
    api_headers = {"Authorization": f"Bearer {body['token']}"}
    assert client.get("/api/v1/auth/me", headers=api_headers).status_code == 200
    listed = client.get("/api/v1/auth/api-tokens", headers=headers).get_json()
    assert [t["name"] for t in listed] == ["core banking"]
    assert "token" not in listed[0] and body["token"] not in str(listed)
    assert client.delete(f"/api/v1/auth/api-tokens/{body['id']}", headers=headers).status_code == 200
    assert client.get("/api/v1/auth/me", headers=api_headers).status_code == 401


def test_api_token_lifetime_is_bounded(client, session):
    headers, _ = factories.auth(session, "bank_admin")
    resp = client.post("/api/v1/auth/api-tokens", json={"name": "x", "expires_in_days": 3650}, headers=headers)
    assert resp.status_code == 422 and "expires_in_days" in resp.get_json()["errors"]


def test_someone_elses_token_cannot_be_revoked(client, session):
    headers_a, _ = factories.auth(session, "bank_admin")
    headers_b, _ = factories.auth(session, "bank_admin")
    token_id = client.post("/api/v1/auth/api-tokens", json={"name": "a"}, headers=headers_a).get_json()["id"]
    assert client.delete(f"/api/v1/auth/api-tokens/{token_id}", headers=headers_b).status_code == 404


@pytest.mark.parametrize("password", ["short1", "onlyletters-here", "1234567890123"])
def test_password_policy(session, password):
    with pytest.raises(Invalid) as err:
        service.create_user(session, username="weak", password=password, role="analyst", actor=None, cost=1024)
    assert "password" in err.value.errors


def test_passwords_are_scrypt_hashed(session):
    u = factories.user(session, "analyst")
    assert u.password_hash.startswith("scrypt:") and PASSWORD not in u.password_hash


def test_the_production_cost_is_owasps_minimum_and_fits_in_memory():
    """N = 2^17, r = 8 needs 128 MiB, past hashlib's default maxmem (32 MiB): werkzeug must raise it."""
    assert Config.PASSWORD_HASH_N == service.PASSWORD_COST == 2**17
    stored = service.hash_password(PASSWORD, cost=Config.PASSWORD_HASH_N)
    assert stored.startswith("scrypt:131072:8:1$") and check_password_hash(stored, PASSWORD)
    assert not service.needs_rehash(stored, cost=2**17) and service.needs_rehash(stored, cost=2**18)


@pytest.mark.parametrize(
    "weaker",
    [
        lambda: service.hash_password(PASSWORD, cost=2**9),  # below the configured N
        lambda: generate_password_hash(PASSWORD, method="scrypt:1024:4:1"),  # a smaller r
        lambda: generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),  # another method
    ],
)
def test_a_weaker_hash_is_upgraded_at_the_next_successful_login(client, session, app, weaker):
    u = factories.user(session, "analyst")
    old = weaker()
    session.execute(sa.update(User).where(User.id == u.id).values(password_hash=old))
    session.flush()
    assert login(client, u.username, "wrong-password-1").status_code == 401
    session.expire_all()
    assert session.get(User, u.id).password_hash == old  # a wrong password changes nothing
    assert login(client, u.username).status_code == 201
    session.expire_all()
    upgraded = session.get(User, u.id).password_hash
    n = app.config["PASSWORD_HASH_N"]
    assert upgraded != old and upgraded.startswith(f"scrypt:{n}:8:1$") and check_password_hash(upgraded, PASSWORD)
    assert login(client, u.username).status_code == 201
    session.expire_all()
    assert session.get(User, u.id).password_hash == upgraded  # at the cost already: left alone


def test_an_unknown_name_costs_the_same_hash_check():
    assert not service.needs_rehash(service._dummy_hash(2**10), cost=2**10)


def test_bank_user_needs_an_existing_bank(session):
    with pytest.raises(Invalid) as err:
        service.create_user(
            session, username="ghost", password=PASSWORD, role="bank_officer", bank_code="NOPE", actor=None, cost=1024
        )
    assert "bank_code" in err.value.errors


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_page_login_needs_csrf_and_sets_a_session(client, session):
    u = factories.user(session, "operator")
    page = client.get("/login")
    token = _csrf(page.get_data(as_text=True))
    refused = client.post("/login", data={"username": u.username, "password": PASSWORD})
    assert refused.status_code == 400
    ok = client.post("/login", data={"username": u.username, "password": PASSWORD, "csrf_token": token})
    assert ok.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert u.username in home
    # logging out is a state change: it needs the token too
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": _csrf(home)}).status_code == 302
    assert u.username not in client.get("/").get_data(as_text=True)


def test_page_login_wrong_password(client, session):
    u = factories.user(session, "operator")
    token = _csrf(client.get("/login").get_data(as_text=True))
    resp = client.post("/login", data={"username": u.username, "password": "nope-nope-1", "csrf_token": token})
    assert resp.status_code == 401 and "用户名或密码错误" in resp.get_data(as_text=True)


def test_api_ignores_the_session_cookie(client, session):
    u = factories.user(session, "operator")
    token = _csrf(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": u.username, "password": PASSWORD, "csrf_token": token})
    assert client.get("/api/v1/auth/me").status_code == 401


def test_session_cookie_flags(client, session):
    u = factories.user(session, "operator")
    token = _csrf(client.get("/login").get_data(as_text=True))
    resp = client.post("/login", data={"username": u.username, "password": PASSWORD, "csrf_token": token})
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_english_is_selectable(client):
    client.get("/lang/en")
    assert "Log in" in client.get("/login").get_data(as_text=True)
