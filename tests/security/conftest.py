"""Fixtures of the security tests: two sides (firm A with bank X, firm B with bank Y) holding the same
kinds of objects, for the ownership matrix and the fuzzer that calls with each role's own objects."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from bank_tax.batch import daily
from bank_tax.lending import service as applications
from bank_tax.security import service
from bank_tax.sources import ingest
from bank_tax.sources.models import VatDeclaration
from bank_tax.sources.specs import SOURCES
from bank_tax.taxcredit.models import Notification
from tests import factories
from tests.sources.helpers import csv_bytes, vat

OWNER_MARK, OTHER_MARK = "所有权标记甲", "所有权标记乙"  # on each side's application and message


@pytest.fixture
def world(app, session, champion):
    """Firm A applied to bank X (consenting to it); firm B to bank Y: each side has the same kinds of
    objects, so an intruder can name the owner's under its own path."""
    a, b = factories.enterprise(session), factories.enterprise(session)
    x, y = factories.bank(session), factories.bank(session)
    factories.product(session, x.code, "XP1")
    factories.product(session, y.code, "YP1")
    users = {
        "firm": factories.user(session, "enterprise", uscc=a.uscc),
        "other_firm": factories.user(session, "enterprise", uscc=b.uscc),
        "officer": factories.user(session, "bank_officer", bank_code=x.code),
        "admin": factories.user(session, "bank_admin", bank_code=x.code),
        "other_officer": factories.user(session, "bank_officer", bank_code=y.code),
        "other_admin": factories.user(session, "bank_admin", bank_code=y.code),
    }
    objects = {}
    for who, firm, bank, product, mark in (("", a, x, "XP1", OWNER_MARK), ("other_", b, y, "YP1", OTHER_MARK)):
        firm_user = service.principal_of(users[who + "firm"])
        consent = factories.consent(session, uscc=firm.uscc, bank_code=bank.code, purpose="post_loan_monitoring")
        application = applications.submit(
            session,
            uscc=firm.uscc,
            actor=firm_user,
            key=factories.key(),
            bank_code=bank.code,
            product_code=product,
            amount=1_000_000,
            term_months=12,
            purpose_of_funds=mark,
            grant_consent=True,
        )
        note = Notification(uscc=firm.uscc, kind="product_eligible", title_zh=mark, title_en="test")
        session.add(note)
        _, api_token = service.issue_token(session, user=users[who + "firm"], kind="api", ttl=dt.timedelta(days=1))
        with app.app_context():
            edition = daily.whitelist(session, bank_code=bank.code, actor=None)
        session.flush()
        objects[who] = {
            "uscc": firm.uscc,
            "bank": bank.code,
            "consent_id": consent.id,
            "application_id": application.id,
            "notification_id": note.id,
            "token_id": api_token.id,
            "edition_id": edition.id,
            "code": product,
        }
    ingest.ingest(
        session,
        source=SOURCES["vat_declarations"],
        actor=None,
        filename="v.csv",
        data=csv_bytes("vat_declarations", [vat(a.uscc)]),
    )
    entry = f"PM-{a.uscc[-6:]}"
    row = {
        "entry_id": entry,
        "uscc": a.uscc,
        "list_type": "key_watch",
        "reason": "测试",
        "authority": "测试局",
        "listed_on": "2025-01-10",
    }
    ingest.ingest(
        session, source=SOURCES["public_credit"], actor=None, filename="l.csv", data=csv_bytes("public_credit", [row])
    )
    record = session.scalar(sa.select(VatDeclaration.id).where(VatDeclaration.uscc == a.uscc))
    return {
        "users": users,
        "objects": objects,
        "bank_x": x.code,
        "firm_a": a.uscc,
        "entry": entry,
        "record": record,
    }
