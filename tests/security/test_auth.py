"""Login, bearer tokens, long-lived API tokens, login throttling, password policy and hash upgrades, page
sessions with CSRF."""

import datetime as dt
import hashlib
import re
from contextlib import ExitStack

import pytest
import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from bank_tax import clock
from bank_tax.config import Config
from bank_tax.errors import Invalid
from bank_tax.security import service
from bank_tax.security.models import ApiToken, LoginAttempt, User
from tests import factories
from tests.factories import PASSWORD

HOME = "192.0.2.10"  # the real user's own address
ATTACKER = "203.0.113.66"
OFFICE = "198.51.100.7"  # one NAT in front of a whole office


def login(client, username, password=PASSWORD, ip="127.0.0.1"):
    return client.post(
        "/api/v1/auth/token", json={"username": username, "password": password}, environ_base={"REMOTE_ADDR": ip}
    )


def _later(stack: ExitStack, seconds: float) -> None:
    """Move the clock on by ``seconds`` for the rest of the test."""
    stack.enter_context(clock.travel(clock.now() + dt.timedelta(seconds=seconds)))


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


def test_failed_logins_slow_down_the_name_from_that_address_progressively(client, session, app):
    u = factories.user(session, "analyst")
    free = app.config["LOGIN_MAX_FAILURES"]
    first = app.config["LOGIN_DELAY_SECONDS"]
    for _ in range(free):
        assert login(client, u.username, "wrong-password-1", ip=HOME).status_code == 401
    resp = login(client, u.username, ip=HOME)  # even the right password waits, before it is looked at
    assert resp.status_code == 429 and 0 < int(resp.headers["Retry-After"]) <= first
    with ExitStack() as stack:
        _later(stack, first)
        assert login(client, u.username, "wrong-password-1", ip=HOME).status_code == 401
        resp = login(client, u.username, ip=HOME)
        assert resp.status_code == 429 and first < int(resp.headers["Retry-After"]) <= 2 * first  # doubled
        _later(stack, first)
        assert login(client, u.username, ip=HOME).status_code == 429  # half the wait is not enough
        _later(stack, first)
        assert login(client, u.username, ip=HOME).status_code == 201  # waited: the right password logs in
        # a success wipes the slate: the next mistakes are free again
        assert login(client, u.username, "wrong-password-1", ip=HOME).status_code == 401
        assert login(client, u.username, ip=HOME).status_code == 201
    refused = session.scalar(
        sa.select(sa.func.count()).where(LoginAttempt.username == u.username, LoginAttempt.success.is_(False))
    )
    assert refused == free + 2  # a 429 before the password check is not a guess, and not recorded


def test_the_wait_doubles_up_to_its_ceiling():
    throttle = service.Throttle(
        pair_failures=5, first_delay=dt.timedelta(seconds=2), max_delay=dt.timedelta(minutes=15)
    )
    waits = [throttle.wait(k, flooding=False).total_seconds() for k in range(4, 16)]
    assert waits == [0, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    assert throttle.wait(10_000, flooding=False) == dt.timedelta(minutes=15)  # no overflow
    assert throttle.wait(1, flooding=True) == dt.timedelta(seconds=2)  # a flooding address waits at once
    assert throttle.wait(0, flooding=True) == dt.timedelta(0)


def test_an_attackers_failures_do_not_keep_the_real_user_out(client, session, app):
    """The attacker guesses the user's password from their own address (far past every limit), then sprays
    other names from the user's office NAT until that address floods: the user logs in at once, from home
    and from the office, with the right password."""
    victim = factories.user(session, "bank_officer")
    with ExitStack() as stack:
        for _ in range(20):  # a patient attacker: waits out every Retry-After, so each guess is checked
            resp = login(client, victim.username, "guess-guess-1", ip=ATTACKER)
            while resp.status_code == 429:
                _later(stack, int(resp.headers["Retry-After"]))
                resp = login(client, victim.username, "guess-guess-1", ip=ATTACKER)
            assert resp.status_code == 401
        resp = login(client, victim.username, ip=ATTACKER)
        assert (
            resp.status_code == 429 and int(resp.headers["Retry-After"]) == app.config["LOGIN_MAX_DELAY_MINUTES"] * 60
        )
        for k in range(app.config["LOGIN_MAX_FAILURES_PER_IP"]):
            assert login(client, f"someone-{k}", "guess-guess-1", ip=OFFICE).status_code == 401
        assert login(client, victim.username, ip=HOME).status_code == 201
        assert login(client, victim.username, ip=OFFICE).status_code == 201  # its own pair has no failures


def test_a_flooding_address_waits_after_each_wrong_password_but_not_a_right_one(client, session, app):
    colleague = factories.user(session, "bank_officer")
    other = factories.user(session, "bank_officer")
    for k in range(app.config["LOGIN_MAX_FAILURES_PER_IP"]):
        assert login(client, f"sprayed-{k}", "guess-guess-1", ip=OFFICE).status_code == 401
    # flooding: a wrong password is answered 429 with a wait, from the first failure of the pair
    resp = login(client, f"sprayed-{99}", "guess-guess-1", ip=OFFICE)
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) == app.config["LOGIN_DELAY_SECONDS"]
    assert login(client, colleague.username, "typo-typo-1", ip=OFFICE).status_code == 429
    assert login(client, colleague.username, ip=OFFICE).status_code == 429  # that pair now waits
    with ExitStack() as stack:
        _later(stack, app.config["LOGIN_DELAY_SECONDS"])
        assert login(client, colleague.username, ip=OFFICE).status_code == 201
    assert login(client, other.username, ip=OFFICE).status_code == 201  # no failures of its own: in at once
    with ExitStack() as stack:  # the flood passes with the window; mistakes are free again
        _later(stack, app.config["LOGIN_WINDOW_MINUTES"] * 60 + 1)
        assert login(client, other.username, "typo-typo-1", ip=OFFICE).status_code == 401


def test_a_throttled_page_login_says_how_long_to_wait(client, session, app):
    u = factories.user(session, "operator")
    token = _csrf(client.get("/login").get_data(as_text=True))
    form = {"username": u.username, "password": "nope-nope-1", "csrf_token": token}
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert client.post("/login", data=form).status_code == 401
    resp = client.post("/login", data={**form, "password": PASSWORD})
    seconds = resp.headers["Retry-After"]
    assert resp.status_code == 429 and f"请 {seconds} 秒后再试" in resp.get_data(as_text=True)
    with ExitStack() as stack:
        _later(stack, int(seconds))
        assert client.post("/login", data={**form, "password": PASSWORD}).status_code == 302


def test_login_attempts_past_the_throttles_memory_are_purged(app, session):
    now = clock.now()
    memory = dt.timedelta(hours=app.config["LOGIN_MEMORY_HOURS"])
    ages = [memory + dt.timedelta(days=30), memory + dt.timedelta(minutes=1), memory + dt.timedelta(seconds=1)]
    ages += [memory - dt.timedelta(minutes=1), dt.timedelta(0)]
    session.add_all(LoginAttempt(username="purge-me", ip=HOME, at=now - age) for age in ages)
    session.flush()
    assert service.purge_login_attempts(session, before=now - memory, limit=2) == 2  # bounded batches
    session.expire_all()
    ran = app.test_cli_runner().invoke(args=["scheduler", "--run-once", "security.purge_logins"])
    assert ran.exit_code == 0 and "security.purge_logins: 1" in ran.output, ran.output
    kept = session.scalars(sa.select(LoginAttempt.at).where(LoginAttempt.username == "purge-me")).all()
    assert len(kept) == 2 and min(kept) > now - memory  # what the throttle still reads stays


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
