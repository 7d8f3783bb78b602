"""Marshmallow schemas of the security API, one per direction."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from bank_tax.api import Strict
from bank_tax.security.roles import Role


class TokenRequest(Strict):
    username = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


class TokenResponse(ma.Schema):
    access_token = ma.fields.String(required=True)
    token_type = ma.fields.String(required=True, metadata={"example": "Bearer"})
    expires_at = ma.fields.AwareDateTime(required=True)
    role = ma.fields.String(required=True)


class Me(ma.Schema):
    id = ma.fields.Integer(attribute="user_id")
    username = ma.fields.String()
    role = ma.fields.String()
    uscc = ma.fields.String(allow_none=True)
    bank_code = ma.fields.String(allow_none=True)


class UserCreate(Strict):
    username = ma.fields.String(
        required=True, validate=[validate.Length(min=3, max=64), validate.Regexp(r"^[A-Za-z0-9_.@-]+$")]
    )
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(max=256))
    role = ma.fields.String(required=True, validate=validate.OneOf([r.value for r in Role]))
    uscc = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(equal=18))
    bank_code = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))
    display_name = ma.fields.String(load_default="", validate=validate.Length(max=100))


class UserPublic(ma.Schema):
    id = ma.fields.Integer()
    username = ma.fields.String()
    role = ma.fields.String()
    uscc = ma.fields.String(allow_none=True)
    bank_code = ma.fields.String(allow_none=True)
    display_name = ma.fields.String()
    is_active = ma.fields.Boolean()
    created_at = ma.fields.AwareDateTime()


class ApiTokenCreate(Strict):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    expires_in_days = ma.fields.Integer(load_default=90, validate=validate.Range(min=1, max=365))


class ApiTokenPublic(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    prefix = ma.fields.String(metadata={"description": "first characters of the token, to tell them apart"})
    created_at = ma.fields.AwareDateTime()
    expires_at = ma.fields.AwareDateTime()
    revoked_at = ma.fields.AwareDateTime(allow_none=True)


class ApiTokenCreated(ApiTokenPublic):
    token = ma.fields.String(metadata={"description": "the secret; shown this once, stored only hashed"})


class AuditVerification(ma.Schema):
    ok = ma.fields.Boolean()
    checked = ma.fields.Integer()
    broken_at = ma.fields.Integer(allow_none=True)
    reason = ma.fields.String(allow_none=True)
