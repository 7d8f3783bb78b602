"""Products: rules validated on save, versioned, pausable, and invisible to other banks."""

import pytest

from tests import factories
from tests.factories import RULES


@pytest.fixture
def bank(session):
    b = factories.bank(session)
    admin, _ = factories.auth(session, "bank_admin", bank_code=b.code)
    officer, _ = factories.auth(session, "bank_officer", bank_code=b.code)
    return {"code": b.code, "admin": admin, "officer": officer}


def create(client, bank, **rules):
    return client.post(
        f"/api/v1/banks/{bank['code']}/products",
        headers=bank["admin"],
        json={"code": "YSD", "name": "云税贷", "rules": {**RULES, **rules}},
    )


def test_create_read_version_pause(client, bank):
    created = create(client, bank)
    assert created.status_code == 201, created.get_json()
    base = f"/api/v1/banks/{bank['code']}/products/YSD"
    assert client.get(base, headers=bank["officer"]).get_json()["rules"]["limit_rule"]["multiple"] == 8
    updated = client.put(base, headers=bank["admin"], json={"rules": {**RULES, "amount_max": 2_000_000}})
    assert updated.get_json()["version"] == 2 and updated.get_json()["rules"]["amount_max"] == 2_000_000
    assert client.post(f"{base}/pause", headers=bank["admin"]).get_json()["status"] == "paused"
    assert client.post(f"{base}/resume", headers=bank["admin"]).get_json()["status"] == "active"
    assert create(client, bank).status_code == 409


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({"amount_min": 5_000_000}, "amount_min"),
        ({"rate_spread_min": 3.0}, "rate_spread_min"),
        ({"rate_spread_max": 40.0}, "rate_spread_max"),
        ({"grades": ["A", "X"]}, "grades"),
        ({"grades": ["A", "C"]}, "grades"),
        ({"grades": []}, "grades"),
        ({"terms_months": [12, 12]}, "terms_months"),
        ({"terms_months": [0]}, "terms_months"),
        ({"consent_categories": ["utilities"]}, "consent_categories"),
        ({"consent_categories": ["bank_statements"]}, "consent_categories"),
        ({"regions": ["33a"]}, "regions"),
        ({"excluded_industries": ["Z9"]}, "excluded_industries"),
        ({"max_pd": 1.5}, "max_pd"),
        ({"repayment_style": "whenever"}, "repayment_style"),
        ({"limit_rule": {"basis": "tax"}}, "limit_rule"),
        ({"limit_rule": {"basis": "profit", "multiple": 3}}, "limit_rule"),
    ],
)
def test_contradictory_or_unknown_rules_are_422_at_the_field(client, bank, rules, field):
    resp = create(client, bank, **rules)
    assert resp.status_code == 422, resp.get_json()
    assert field in resp.get_json()["errors"]["rules"]


def test_banks_cannot_see_or_change_each_others_products(client, session, bank):
    create(client, bank)
    other = factories.bank(session)
    their_admin, _ = factories.auth(session, "bank_admin", bank_code=other.code)
    base = f"/api/v1/banks/{bank['code']}/products"
    assert client.get(base, headers=their_admin).status_code == 403
    assert client.get(f"{base}/YSD", headers=their_admin).status_code == 403
    assert client.put(f"{base}/YSD", headers=their_admin, json={"rules": RULES}).status_code == 403
    assert client.post(f"{base}/YSD/pause", headers=their_admin).status_code == 403
    assert client.get(f"/api/v1/banks/{other.code}/products/YSD", headers=their_admin).status_code == 404


def test_officers_read_but_do_not_change(client, bank):
    create(client, bank)
    base = f"/api/v1/banks/{bank['code']}/products"
    assert client.get(base, headers=bank["officer"]).status_code == 200
    assert (
        client.post(base, headers=bank["officer"], json={"code": "X1", "name": "x产品", "rules": RULES}).status_code
        == 403
    )
