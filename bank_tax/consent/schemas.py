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
    version = ma.fields.Integer(
        metadata={"description": "2: the terms travel signed in `jws`; 1 (receipts issued before): `signature`"}
    )
    jws = ma.fields.String(
        metadata={
            "description": "version 2: the signed terms, a JWS in compact serialization (RFC 7515) signed with EdDSA"
            " (RFC 8037); verify its signature over the text before the second dot with the platform's key"
        }
    )
    terms = ma.fields.Dict(
        metadata={
            "description": "the terms; version 2: the JWS payload decoded, for reading (the JWS is what is verified);"
            " version 1: signed as canonical JSON (sorted keys, no spaces)"
        }
    )
    signature = ma.fields.String(
        metadata={"description": "version 1 only: base64 Ed25519 signature of the canonical terms"}
    )
    algorithm = ma.fields.String(metadata={"description": "Ed25519 (EdDSA in the JWS header)"})
    key_id = ma.fields.String(metadata={"description": "the signing key (`kid` of the JWS header and of the JWK)"})


class Jwk(ma.Schema):
    kty = ma.fields.String(metadata={"description": "OKP"})
    crv = ma.fields.String(metadata={"description": "Ed25519"})
    x = ma.fields.String(metadata={"description": "the public key, base64url without padding"})
    kid = ma.fields.String()
    alg = ma.fields.String(metadata={"description": "EdDSA"})
    use = ma.fields.String(metadata={"description": "sig"})


class PublicKey(ma.Schema):
    algorithm = ma.fields.String()
    key_id = ma.fields.String()
    public_key_pem = ma.fields.String(metadata={"description": "SubjectPublicKeyInfo, for OpenSSL and most libraries"})
    jwk = ma.fields.Nested(Jwk, metadata={"description": "the same key as a JWK (RFC 8037), for JOSE libraries"})


class AccessEntry(ma.Schema):
    at = ma.fields.AwareDateTime()
    bank_code = ma.fields.String(allow_none=True)
    actor = ma.fields.String()
    action = ma.fields.String()
    purpose = ma.fields.String(allow_none=True)
    categories = ma.fields.List(ma.fields.String())
    resource = ma.fields.String(allow_none=True)
