"""A bank with a product, its officers, and a firm that may apply."""

import pytest

from tests import factories


@pytest.fixture
def world(session):
    bank = factories.bank(session)
    factories.product(session, bank.code)
    firm = factories.enterprise(session)
    firm_headers, firm_user = factories.auth(session, "enterprise", uscc=firm.uscc)
    officer, officer_user = factories.auth(session, "bank_officer", bank_code=bank.code)
    officer2, _ = factories.auth(session, "bank_officer", bank_code=bank.code)
    return {
        "bank": bank.code,
        "uscc": firm.uscc,
        "firm": firm_headers,
        "officer": officer,
        "officer2": officer2,
        "officer_name": officer_user.username,
    }


def apply(client, world, **kw):
    body = {
        "bank_code": world["bank"],
        "product_code": "YSD",
        "amount": 500000,
        "term_months": 12,
        "purpose_of_funds": "采购原材料",
        "grant_consent": True,
    }
    body.update(kw)
    return client.post("/api/v1/applications", json=body, headers=world["firm"])
