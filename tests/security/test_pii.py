"""The legal representative's ID number and phone: validated, sealed at rest under the environment's key
(bound to the firm's row), opened for the firm and operators, masked for banks and analysts."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag

from bank_tax import clock
from bank_tax.enterprises.models import Enterprise
from bank_tax.security import pii
from tests import factories

ID = "11010519491231002X"  # GB 11643's own example
PHONE = "13800138000"


def _register(client):
    uscc = factories.new_uscc()
    body = {
        "uscc": uscc,
        "name": "杭州个人信息测试有限公司",
        "region_code": "330106",
        "industry_code": "C18",
        "established_on": "2016-05-01",
        "size_class": "small",
        "legal_rep_name": "张三",
        "legal_rep_id": ID,
        "legal_rep_phone": PHONE,
        "account": {"username": f"pii-{uscc[-6:]}", "password": factories.PASSWORD},
    }
    answer = client.post("/api/v1/enterprises", json=body)
    assert answer.status_code == 201, answer.get_json()
    return uscc, answer.get_json()


def test_sealed_at_rest_and_bound_to_the_row(app, client, session):
    uscc, shown = _register(client)
    assert shown["legal_rep_id"] == ID and shown["legal_rep_phone"] == PHONE  # the firm itself
    row = session.execute(
        sa.select(Enterprise.legal_rep_id_sealed, Enterprise.legal_rep_phone_sealed).where(Enterprise.uscc == uscc)
    ).one()
    stored = " ".join(row)
    assert ID not in stored and PHONE not in stored and stored.startswith(pii.PREFIX)
    with app.app_context():
        assert pii.unseal(row[0], uscc=uscc) == ID
        with pytest.raises(InvalidTag):
            pii.unseal(row[0], uscc=factories.new_uscc())  # copied onto another firm's row: does not open
        saved = app.config["PII_KEY"]
        app.config["PII_KEY"] = "another key"
        try:
            with pytest.raises(InvalidTag):
                pii.unseal(row[0], uscc=uscc)
        finally:
            app.config["PII_KEY"] = saved


def test_masked_for_banks_and_analysts_opened_for_operators(client, session):
    uscc, _ = _register(client)
    bank = factories.bank(session)
    factories.consent(session, uscc=uscc, bank_code=bank.code, purpose="underwriting")
    officer, _ = factories.auth(session, "bank_officer", bank_code=bank.code)
    seen = client.get(f"/api/v1/enterprises/{uscc}?purpose=underwriting", headers=officer).get_json()
    assert seen["legal_rep_id"] == "110105********002X" and seen["legal_rep_phone"] == "138****8000"
    analyst, _ = factories.auth(session, "analyst")
    listed = client.get(f"/api/v1/enterprises?q={uscc}", headers=analyst).get_json()
    assert listed[0]["legal_rep_id"] == "110105********002X"
    operator, _ = factories.auth(session, "operator")
    assert client.get(f"/api/v1/enterprises/{uscc}", headers=operator).get_json()["legal_rep_id"] == ID


@pytest.mark.parametrize(
    "field, value",
    [("legal_rep_id", "110105194912310021"), ("legal_rep_id", "1101051949"), ("legal_rep_phone", "2380013800")],
)
def test_bad_id_numbers_and_phones_are_refused_at_the_field(client, field, value):
    body = {
        "uscc": factories.new_uscc(),
        "name": "杭州个人信息测试有限公司",
        "region_code": "330106",
        "industry_code": "C18",
        "established_on": "2016-05-01",
        "size_class": "small",
        field: value,
        "account": {"username": "pii-bad", "password": factories.PASSWORD},
    }
    answer = client.post("/api/v1/enterprises", json=body)
    assert answer.status_code == 422 and field in answer.get_json()["errors"]


def _with_check(first17: str) -> str:
    """The 17 digits with their GB 11643 check character: numbers whose only fault is the one under test."""
    return first17 + pii.ID_CHECK[sum(int(d) * w for d, w in zip(first17, pii.ID_WEIGHTS, strict=True)) % 11]


@pytest.mark.parametrize(
    ("first17", "says"),
    [
        ("11010519490231002", "birth date 19490231 is not a real date"),  # 31 February
        ("11010519491331002", "birth date 19491331 is not a real date"),  # month 13
        ("11010518890101002", "implausibly early"),
        ("99999919700101002", "region code 999999 is not a known region"),
        ("33019919700101002", "region code 330199 is not a known region"),
        ("11010320150101002", "region code 110103 was retired before the birth year 2015"),  # 崇文区, to 2010
    ],
)
def test_id_numbers_with_an_impossible_birth_date_or_region_are_refused(first17, says):
    number = _with_check(first17)
    problem = pii.id_number_problem(number)
    assert problem is not None and says in problem
    assert "身份证号码" in problem  # Chinese first, then English, like every field message


def test_a_birth_date_after_today_is_refused_by_the_clock():
    number = _with_check("33010620261120002")  # born 20 November 2026
    with clock.travel("2026-11-19T12:00:00+08:00"):
        assert "is in the future" in pii.id_number_problem(number)
    with clock.travel("2026-11-20T00:30:00+08:00"):  # that day in China, though still the 19th in UTC
        assert pii.id_number_problem(number) is None


@pytest.mark.parametrize(
    "first17",
    [
        "11010519491231002",  # GB 11643's example
        "33010619700501123",  # 西湖区 got 330106 in 1983: people born before hold it (issued from 1984)
        "11010320050101002",  # 崇文区 (to 2010), born while it was in use
    ],
)
def test_real_id_numbers_pass(first17):
    assert pii.id_number_problem(_with_check(first17)) is None


def test_the_api_refuses_an_impossible_birth_date_with_its_reason(client):
    body = {
        "uscc": factories.new_uscc(),
        "name": "杭州个人信息测试有限公司",
        "region_code": "330106",
        "industry_code": "C18",
        "established_on": "2016-05-01",
        "size_class": "small",
        "legal_rep_id": _with_check("33010619900230123"),
        "account": {"username": "pii-bad-date", "password": factories.PASSWORD},
    }
    answer = client.post("/api/v1/enterprises", json=body)
    assert answer.status_code == 422
    assert "19900230 is not a real date" in answer.get_json()["errors"]["legal_rep_id"][0]
