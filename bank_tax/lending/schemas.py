"""Marshmallow schemas of applications, decisions, loans and outcome events. Amounts in 元 (two decimals)."""

from __future__ import annotations

import json

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import validate

from bank_tax.api import Strict
from bank_tax.lending.models import APPLICATION_STATES, EVENT_TYPES
from bank_tax.lending.reasons import REASONS, explain

Yuan = ma.fields.Decimal


def fen(value) -> int:
    """元 (Decimal) → 分."""
    return int((value * 100).to_integral_value())


def _two_places(value):
    if value.as_tuple().exponent < -2:
        raise ma.ValidationError("at most two decimals (元)")
    if value <= 0:
        raise ma.ValidationError("must be positive")


class ApplicationCreate(Strict):
    bank_code = ma.fields.String(required=True, validate=validate.Length(max=32))
    product_code = ma.fields.String(required=True, validate=validate.Length(max=32))
    amount = Yuan(required=True, validate=_two_places, metadata={"description": "元"})
    term_months = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=60))
    purpose_of_funds = ma.fields.String(required=True, validate=validate.Length(min=2, max=500))
    grant_consent = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "grant the bank the underwriting consent the product needs, in the same step"},
    )
    consent_expires_at = ma.fields.AwareDateTime(load_default=None, allow_none=True)


class FirmAction(Strict):
    reason = ma.fields.String(load_default="", validate=validate.Length(max=1000))


class Decision(Strict):
    decision = ma.fields.String(required=True, validate=validate.OneOf(["approved", "declined", "returned"]))
    amount = Yuan(load_default=None, allow_none=True, validate=_two_places)
    term_months = ma.fields.Integer(load_default=None, allow_none=True)
    rate = ma.fields.Float(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, max=24),
        metadata={"description": "percent a year"},
    )
    reason_code = ma.fields.String(load_default=None, allow_none=True, validate=validate.OneOf(list(REASONS)))
    reason = ma.fields.String(load_default="", validate=validate.Length(max=1000))


class QueueQuery(Strict):
    status = ma.fields.String(load_default=None, validate=validate.OneOf(APPLICATION_STATES))


class ApplicationEventPublic(ma.Schema):
    status = ma.fields.String()
    actor = ma.fields.String()
    reason = ma.fields.String()
    at = ma.fields.AwareDateTime()


class ApplicationPublic(ma.Schema):
    id = ma.fields.Integer()
    uscc = ma.fields.String()
    bank_code = ma.fields.String()
    product_id = ma.fields.Integer()
    product_version = ma.fields.Integer()
    amount = ma.fields.Function(lambda a: a.amount / 100, metadata={"description": "元"})
    term_months = ma.fields.Integer()
    purpose_of_funds = ma.fields.String()
    status = ma.fields.String()
    officer = ma.fields.String(allow_none=True)
    decided_amount = ma.fields.Function(lambda a: None if a.decided_amount is None else a.decided_amount / 100)
    decided_term_months = ma.fields.Integer(allow_none=True)
    decided_rate = ma.fields.Float(allow_none=True)
    reason_code = ma.fields.String(allow_none=True)
    reason = ma.fields.String()
    explanation = ma.fields.Function(
        lambda a: explain(a.reason_code), metadata={"description": "the reason in plain language (zh, en)"}
    )
    review_requested = ma.fields.Boolean()
    consent_id = ma.fields.Integer()
    snapshot = ma.fields.Function(lambda a: json.loads(a.snapshot), metadata={"description": "what the bank may see"})
    submitted_at = ma.fields.AwareDateTime()
    decided_at = ma.fields.AwareDateTime(allow_none=True)


class ApplicationDetail(ApplicationPublic):
    history = ma.fields.List(ma.fields.Nested(ApplicationEventPublic))


class LoanCreate(Strict):
    contract_no = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    application_id = ma.fields.Integer(load_default=None, allow_none=True)
    uscc = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(equal=18))
    product_code = ma.fields.String(load_default=None, allow_none=True)
    principal = Yuan(required=True, validate=_two_places)
    rate = ma.fields.Float(required=True, validate=validate.Range(min=0, max=24))
    start_date = ma.fields.Date(required=True)
    maturity_date = ma.fields.Date(required=True)


class LoanPublic(ma.Schema):
    id = ma.fields.Integer()
    bank_code = ma.fields.String()
    contract_no = ma.fields.String()
    application_id = ma.fields.Integer(allow_none=True)
    uscc = ma.fields.String()
    principal = ma.fields.Function(lambda loan: loan.principal / 100)
    rate = ma.fields.Float()
    start_date = ma.fields.Date()
    maturity_date = ma.fields.Date()
    status = ma.fields.String()
    dpd = ma.fields.Integer()
    dpd_bucket = ma.fields.String()


class EventIn(Strict):
    event_id = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    contract_no = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    event_type = ma.fields.String(required=True, validate=validate.OneOf(EVENT_TYPES))
    event_date = ma.fields.Date(required=True)
    amount = Yuan(load_default=0, validate=lambda v: v >= 0)
    dpd = ma.fields.Integer(load_default=0, validate=validate.Range(min=0, max=3650))


class EventBatch(Strict):
    events = ma.fields.List(ma.fields.Nested(EventIn), required=True, validate=validate.Length(min=1, max=10_000))


class EventFile(Strict):
    file = Upload(
        required=True, metadata={"description": "CSV: event_id, contract_no, event_type, event_date, amount, dpd"}
    )


class EventReport(ma.Schema):
    received = ma.fields.Integer()
    inserted = ma.fields.Integer()
    duplicate = ma.fields.Integer()
    rejected = ma.fields.Integer()
    rejections = ma.fields.List(ma.fields.Dict())
