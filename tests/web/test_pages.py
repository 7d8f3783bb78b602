"""Pages without a browser: who may open what, the language switch, field errors, no open redirect."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bank_tax import clock
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.dated  # make test-moments runs it at every moment of tests/moments.py


def _csrf(client, path="/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def _login(client, user, next_=""):
    url = "/login" + (f"?next={next_}" if next_ else "")
    return client.post(url, data={"username": user.username, "password": PASSWORD, "csrf_token": _csrf(client)})


FIRM, BANK = {"enterprise"}, {"bank_officer", "bank_admin"}
ANALYSIS, OPERATIONS = {"analyst", "operator", "admin"}, {"operator", "admin"}
PAGES = {
    **{p: FIRM for p in ("/firm", "/firm/consents", "/firm/data", "/firm/access-log", "/firm/products")},
    "/firm/applications": FIRM,
    "/firm/repairs": FIRM,
    "/firm/inbox": FIRM,
    **{p: BANK for p in ("/bank/whitelist", "/bank/applications", "/bank/loans", "/bank/products")},
    **{p: ANALYSIS for p in ("/ops/models", "/ops/monitoring", "/ops/report")},
    **{p: OPERATIONS for p in ("/ops/ingestion", "/ops/disputes", "/ops/scheduler", "/ops/audit", "/ops/repairs")},
}


@pytest.mark.parametrize("role", ["enterprise", "bank_officer", "bank_admin", "analyst", "operator", "admin"])
def test_each_role_sees_its_own_navigation_and_is_refused_the_others_pages(client, session, champion, role):
    user = factories.user(session, role)
    assert _login(client, user).status_code == 302
    home = client.get("/").get_data(as_text=True)
    for page, allowed in PAGES.items():
        answer = client.get(page)
        if role in allowed:
            assert answer.status_code == 200, (page, answer.get_data(as_text=True)[:500])
            assert f'href="{page}"' in home  # in the navigation
        else:
            assert answer.status_code == 403, page
            assert f'href="{page}"' not in home


def test_anonymous_visitors_are_sent_to_log_in_and_come_back(client, session):
    answer = client.get("/firm/products")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/login?next=/firm/products")
    user = factories.user(session, "enterprise")
    assert _login(client, user, "/firm/products").headers["Location"] == "/firm/products"


def test_login_does_not_redirect_off_site(client, session):
    user = factories.user(session, "enterprise")
    assert _login(client, user, "//evil.example/x").headers["Location"] == "/"


def test_pages_speak_english_when_asked(client, session, champion):
    user = factories.user(session, "enterprise")
    _login(client, user)
    client.get("/lang/en")
    page = client.get("/firm/consents").get_data(as_text=True)
    assert "Authorize data sharing" in page and 'lang="en"' in page
    client.get("/lang/zh")
    assert "数据授权" in client.get("/firm/consents").get_data(as_text=True)


def test_a_consent_beyond_a_year_is_refused_at_the_field(client, session):
    bank = factories.bank(session)
    user = factories.user(session, "enterprise")
    _login(client, user)
    form = {
        "csrf_token": _csrf(client, "/firm/consents"),
        "bank_code": bank.code,
        "purpose": "pre_screen",
        "categories": ["tax", "utilities"],
        "expires_on": "2099-01-01",
    }
    answer = client.post("/firm/consents", data=form)
    assert answer.status_code == 422
    assert re.search(r'id="err-expires_on"[^>]*>[^<]*一年', answer.get_data(as_text=True))
    form["categories"] = []
    form["expires_on"] = (clock.today() + dt.timedelta(days=30)).isoformat()  # a month ahead: fine
    answer = client.post("/firm/consents", data=form)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and 'id="err-categories"' in page and 'id="err-expires_on"' not in page


def test_a_form_without_its_csrf_token_is_refused(client, session):
    user = factories.user(session, "enterprise")
    _login(client, user)
    assert client.post("/firm/consents", data={"purpose": "pre_screen"}).status_code == 400


def test_another_banks_application_is_not_found(client, session):
    officer = factories.user(session, "bank_officer")
    _login(client, officer)
    assert client.get("/bank/applications/999999").status_code == 404


def test_a_product_saved_unchanged_from_its_edit_page_keeps_every_rule(client, session):
    """The edit form is filled from the stored rules and read back by the API's schema: every rule
    survives the round trip, including the ones the create form leaves at their defaults."""
    from bank_tax.products import service as products
    from tests.factories import RULES

    bank = factories.bank(session)
    rules = {
        **RULES,
        "regions": ["33", "3201"],
        "excluded_industries": ["K", "C13"],
        "max_pd": 0.08,
        "min_sales_12m": 250_000,
        "exclude_tax_arrears": False,
        "consent_categories": ["tax", "utilities"],
        "limit_rule": {"basis": "sales", "multiple": 0.2, "window_months": 6, "risk_adjusted": True},
    }
    factories.product(session, bank.code, "FULL", **rules)
    before = products.rules_of(session, products.get(session, bank_code=bank.code, code="FULL"))
    admin = factories.user(session, "bank_admin", bank_code=bank.code)
    _login(client, admin)
    page = client.get("/bank/products/FULL").get_data(as_text=True)
    form = {"csrf_token": _csrf(client, "/bank/products/FULL")}
    for name, value in re.findall(r'<input id="f-[^"]+" name="([^"]+)" type="(?:text|number)"\s+value="([^"]*)"', page):
        form[name] = value
    for name, value in re.findall(r'<input type="checkbox" name="([^"]+)" value="([^"]+)" checked', page):
        form.setdefault(name, []).append(value)
    for name, body in re.findall(r'<select id="[^"]+" name="([^"]+)">(.*?)</select>', page, re.S):
        form[name] = re.search(r'<option value="([^"]+)" selected', body).group(1)
    answer = client.post("/bank/products/FULL", data=form)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    product = products.get(session, bank_code=bank.code, code="FULL")
    assert product.version == 2 and products.rules_of(session, product) == before


def test_a_bank_admin_pauses_and_resumes_a_product_and_an_officer_may_not(client, session):
    from bank_tax.products import service as products

    bank = factories.bank(session)
    factories.product(session, bank.code, "YSD")
    officer = factories.user(session, "bank_officer", bank_code=bank.code)
    _login(client, officer)
    assert client.get("/bank/products/YSD").status_code == 403
    admin = factories.user(session, "bank_admin", bank_code=bank.code)
    _login(client, admin)
    token = _csrf(client, "/bank/products/YSD")
    assert client.post("/bank/products/YSD", data={"csrf_token": token, "status": "paused"}).status_code == 302
    assert products.get(session, bank_code=bank.code, code="YSD").status == "paused"
    assert client.post("/bank/products/YSD", data={"csrf_token": token, "status": "active"}).status_code == 302
    assert products.get(session, bank_code=bank.code, code="YSD").status == "active"
    other = factories.bank(session)
    factories.product(session, other.code, "THEIRS")
    assert client.get("/bank/products/THEIRS").status_code == 404


def test_a_repair_from_the_portal_decided_on_the_operator_page_reaches_the_inbox(client, session, champion):
    from tests.matching.helpers import firm

    f = firm(session, grade="A", lists=["serious_dishonesty"])
    owner = factories.user(session, "enterprise", uscc=f.uscc)
    _login(client, owner)
    page = client.get("/firm/repairs").get_data(as_text=True)
    entry = f"E-{f.uscc[-8:]}-0"
    assert f'data-entry="{entry}"' in page and f'<option value="{entry}">' in page
    short = {"csrf_token": _csrf(client, "/firm/repairs"), "entry_id": entry, "commitment": "短", "evidence": "凭证"}
    answer = client.post("/firm/repairs", data=short)
    assert answer.status_code == 422 and 'id="err-commitment"' in answer.get_data(as_text=True)
    good = {**short, "commitment": "已纠正失信行为并履行全部法定义务"}
    assert client.post("/firm/repairs", data=good).status_code == 302

    operator = factories.user(session, "operator")
    _login(client, operator)
    page = client.get("/ops/repairs").get_data(as_text=True)
    repair_id = re.search(r'data-repair="(\d+)"', page).group(1)
    decided = client.post(
        "/ops/repairs",
        data={
            "csrf_token": _csrf(client, "/ops/repairs"),
            "repair_id": repair_id,
            "decision": "approved",
            "reply": "准予修复",
        },
    )
    assert decided.status_code == 302

    _login(client, owner)
    home = client.get("/firm/inbox").get_data(as_text=True)
    assert "信用修复申请已通过" in home and "消息 (1)" in home
    assert re.search(
        rf'data-entry="{entry}">.*?<td class="removed">\d{{4}}-\d{{2}}-\d{{2}}</td>',
        client.get("/firm/repairs").get_data(as_text=True),
        re.S,
    )


def test_an_application_links_the_profile_only_while_its_consent_holds(client, session):
    """After the firm revokes its underwriting consent, the officer's application page says the profile
    can no longer be opened instead of linking to a refusal."""
    from bank_tax.consent import service as consents
    from bank_tax.consent.models import Consent
    from bank_tax.lending import service as lending
    from bank_tax.security.roles import Principal, Role

    bank = factories.bank(session)
    factories.product(session, bank.code, "YSD")
    firm = factories.enterprise(session)
    owner = Principal(0, "f", Role.ENTERPRISE, uscc=firm.uscc)
    app = lending.submit(
        session,
        uscc=firm.uscc,
        actor=owner,
        key=factories.key(),
        bank_code=bank.code,
        product_code="YSD",
        amount=100_000_000,
        term_months=12,
        purpose_of_funds="采购",
        grant_consent=True,
    )
    officer = factories.user(session, "bank_officer", bank_code=bank.code)
    _login(client, officer)
    profile = f"/bank/firms/{firm.uscc}?purpose=underwriting"
    page = client.get(f"/bank/applications/{app.id}").get_data(as_text=True)
    assert f"/bank/firms/{firm.uscc}" in page and "无法再查看其资料" not in page
    (consent,) = session.query(Consent).filter_by(uscc=firm.uscc).all()
    consents.revoke(session, uscc=firm.uscc, consent_id=consent.id, actor=owner, reason="改选其他银行")
    page = client.get(f"/bank/applications/{app.id}").get_data(as_text=True)
    assert f"/bank/firms/{firm.uscc}" not in page and "无法再查看其资料" in page
    assert client.get(profile).status_code == 403  # and the profile itself refuses, as before
