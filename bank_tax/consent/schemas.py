"""Marshmallow schemas of the consent API."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from bank_tax.api import Strict
from bank_tax.categories import CATEGORIES, PURPOSES, from_bits


class ConsentCreate(Strict):
    bank_code = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))
    all_banks = ma.fields.Boolean(load_default=False, metadata={"description": "all participating banks (pre_screen)"})
    purpose = ma.fields.String(required=True, validate=validate.OneOf(list(PURPOSES)))
    categories = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(CATEGORIES)),
        required=True,
        validate=[validate.Length(min=1), lambda v: len(set(v)) == len(v) or _dup()],
    )
    data_window_months = ma.fields.Integer(load_default=24, validate=validate.Range(min=1, max=60))
    starts_at = ma.fields.AwareDateTime(load_default=None, allow_none=True)
    expires_at = ma.fields.AwareDateTime(required=True, metadata={"description": "at most one year after the start"})
    mode = ma.fields.String(load_default="view", validate=validate.OneOf(["view", "store"]))
    data_life_days = ma.fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=365))
    supersedes = ma.fields.Integer(load_default=None, allow_none=True, metadata={"description": "consent replaced"})


def _dup():
    raise ma.ValidationError("categories must not repeat")


class RevokeBody(Strict):
    reason = ma.fields.String(load_default="", validate=validate.Length(max=500))


class ConsentEventPublic(ma.Schema):
    status = ma.fields.String()
    reason = ma.fields.String()
    actor = ma.fields.String()
    at = ma.fields.AwareDateTime()


class ConsentPublic(ma.Schema):
    id = ma.fields.Integer()
    uscc = ma.fields.String()
    bank_code = ma.fields.String(allow_none=True)
    all_banks = ma.fields.Boolean()
    purpose = ma.fields.String()
    purpose_text = ma.fields.String()
    categories = ma.fields.Function(lambda c: from_bits(c.categories))
    data_window_months = ma.fields.Integer()
    starts_at = ma.fields.AwareDateTime()
    expires_at = ma.fields.AwareDateTime()
    mode = ma.fields.String()
    data_life_days = ma.fields.Integer(allow_none=True)
    granted_at = ma.fields.AwareDateTime()
    supersedes_id = ma.fields.Integer(allow_none=True)
    status = ma.fields.String()
    ended_at = ma.fields.AwareDateTime(allow_none=True)


class ConsentDetail(ConsentPublic):
    history = ma.fields.List(ma.fields.Nested(ConsentEventPublic))


class Receipt(ma.Schema):
    terms = ma.fields.Dict(metadata={"description": "the signed terms; canonical JSON (sorted keys, no spaces)"})
    signature = ma.fields.String(metadata={"description": "base64 Ed25519 signature of the canonical terms"})
    algorithm = ma.fields.String()
    key_id = ma.fields.String()


class PublicKey(ma.Schema):
    algorithm = ma.fields.String()
    key_id = ma.fields.String()
    public_key_pem = ma.fields.String()


class AccessEntry(ma.Schema):
    at = ma.fields.AwareDateTime()
    bank_code = ma.fields.String(allow_none=True)
    actor = ma.fields.String()
    action = ma.fields.String()
    purpose = ma.fields.String(allow_none=True)
    categories = ma.fields.List(ma.fields.String())
    resource = ma.fields.String(allow_none=True)
