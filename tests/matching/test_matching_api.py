"""GET /api/v1/enterprises/{uscc}/matches: ranked products, limits, the gap of every failed rule."""

import pytest

from tests import factories
from tests.factories import RULES
from tests.matching.helpers import firm

pytestmark = pytest.mark.dated  # make test-moments runs it at every moment of tests/moments.py


@pytest.fixture
def bank(session):
    b = factories.bank(session)
    factories.product(session, b.code, "YSD")  # A/B/M, ≥ 5,000 元 tax, 8 × tax
    factories.product(session, b.code, "AONLY", grades=["A"], min_tax_12m=50_000)
    session.flush()
    return b


def _get(client, session, uscc, **kw):
    user = factories.user(session, "enterprise", uscc=uscc)
    headers = {"Authorization": f"Bearer {factories.token(session, user)}"}
    return client.get(f"/api/v1/enterprises/{uscc}/matches", headers=headers)


def test_a_firm_sees_every_product_ranked_with_limit_rate_and_gaps(client, session, champion, bank):
    f = firm(session, grade="B")
    resp = _get(client, session, f.uscc)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["tax_grade"] == "B" and body["eligible_count"] == 1 and not body["priority"]
    first, second = body["matches"]
    assert first["product_code"] == "YSD" and first["eligible"] and first["failed"] == []
    assert first["limit"] == 8 * 3600 * 12 // 10_000 * 10_000  # 8 × 43,200 → 340,000 (whole 万元)
    assert RULES["rate_spread_min"] <= first["rate"] - 3.0 <= RULES["rate_spread_max"] + 0.5
    assert 0 < first["probability_of_approval"] <= 0.95
    assert second["product_code"] == "AONLY" and not second["eligible"] and second["limit"] is None
    assert {r["rule"] for r in second["failed"]} == {"grade", "min_tax_12m"}
    gap = next(r for r in second["failed"] if r["rule"] == "min_tax_12m")
    assert gap["zh"] == "近12个月纳税额 43,200 元，产品要求 ≥ 50,000 元"


def test_a_blacklisted_firm_gets_nothing_and_is_told_how_repair_works(client, session, champion, bank):
    f = firm(session, lists=["serious_dishonesty"])
    body = _get(client, session, f.uscc).get_json()
    assert body["eligible_count"] == 0
    assert all(any(r["rule"] == "blacklisted" for r in m["failed"]) for m in body["matches"])
    assert "信用修复" in body["notice"]["zh"] and "credit repair" in body["notice"]["en"]


def test_a_red_listed_firm_is_flagged_as_priority(client, session, champion, bank):
    body = _get(client, session, firm(session, lists=["red_list"]).uscc).get_json()
    assert body["priority"] and "红名单" in body["notice"]["zh"]


def test_other_firms_and_banks_may_not_look(client, session, champion, bank):
    f = firm(session)
    other = factories.user(session, "enterprise", uscc=factories.enterprise(session).uscc)
    officer = factories.user(session, "bank_officer", bank_code=bank.code)
    for u in (other, officer):
        headers = {"Authorization": f"Bearer {factories.token(session, u)}"}
        assert client.get(f"/api/v1/enterprises/{f.uscc}/matches", headers=headers).status_code == 403


def test_the_answer_is_exactly_the_documented_shape(client, session, champion, bank):
    """The view writes the service's body without marshmallow: loading it through the schema must
    succeed (no unknown keys, every type right) and dumping it back must give the same document."""
    from bank_tax.matching.schemas import Matches

    body = _get(client, session, firm(session, grade="B").uscc).get_json()
    assert Matches().dump(Matches().load(body)) == body


def test_a_product_change_is_matched_on_the_next_request(client, session, champion, bank):
    """Products are compiled once per process and product-table state: new rules and a pause show at once."""
    from bank_tax.products import service as products
    from bank_tax.products.models import Product
    from tests.factories import _staff

    f = firm(session, grade="B")
    user = factories.user(session, "enterprise", uscc=f.uscc)
    headers = {"Authorization": f"Bearer {factories.token(session, user)}"}

    def eligible():
        body = client.get(f"/api/v1/enterprises/{f.uscc}/matches", headers=headers).get_json()
        return {m["product_code"]: m["eligible"] for m in body["matches"]}

    assert eligible() == {"YSD": True, "AONLY": False}
    aonly = session.query(Product).filter_by(bank_code=bank.code, code="AONLY").one()
    products.update(session, product=aonly, rules={**RULES, "grades": ["A", "B"]}, actor=_staff())
    session.flush()
    assert eligible() == {"YSD": True, "AONLY": True}
    products.set_status(session, product=aonly, status="paused", actor=_staff())
    session.flush()
    assert eligible() == {"YSD": True}


def test_an_answer_is_served_again_until_a_batch_changes_the_firms_records(client, session, champion, bank):
    """The second request is the first answer (same computation time); a batch that puts the firm on the
    serious-dishonesty list is in the very next answer."""
    from tests.matching.helpers import land

    f = firm(session, grade="B")
    user = factories.user(session, "enterprise", uscc=f.uscc)
    headers = {"Authorization": f"Bearer {factories.token(session, user)}"}
    url = f"/api/v1/enterprises/{f.uscc}/matches"
    first, again = client.get(url, headers=headers).get_json(), client.get(url, headers=headers).get_json()
    assert first == again and first["eligible_count"] == 1
    listed = {"entry_id": "E-cache-1", "uscc": f.uscc, "list_type": "serious_dishonesty", "reason": "测试"}
    land(session, "public_credit", [{**listed, "authority": "测试局", "listed_on": "2025-01-10"}])
    session.flush()
    after = client.get(url, headers=headers).get_json()
    assert after["eligible_count"] == 0 and after["as_of"] > first["as_of"]
    other = factories.user(session, "enterprise", uscc=factories.enterprise(session).uscc)
    other_headers = {"Authorization": f"Bearer {factories.token(session, other)}"}
    assert client.get(url, headers=other_headers).status_code == 403  # checked on every request, cached or not


def test_with_the_cache_off_every_answer_is_computed_afresh(app, client, session, champion, bank):
    f = firm(session, grade="B")
    user = factories.user(session, "enterprise", uscc=f.uscc)
    headers = {"Authorization": f"Bearer {factories.token(session, user)}"}
    url = f"/api/v1/enterprises/{f.uscc}/matches"
    app.config["MATCH_CACHE_FIRMS"] = 0
    try:
        first, again = client.get(url, headers=headers).get_json(), client.get(url, headers=headers).get_json()
    finally:
        app.config["MATCH_CACHE_FIRMS"] = 1024
    assert first["as_of"] < again["as_of"] and first["matches"] == again["matches"]
