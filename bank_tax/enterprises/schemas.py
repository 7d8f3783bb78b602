"""Marshmallow schemas of the firm registry API."""

from __future__ import annotations

import datetime as dt

import marshmallow as ma
from marshmallow import validate

from bank_tax import clock
from bank_tax.api import Strict
from bank_tax.categories import PURPOSES
from bank_tax.enterprises import uscc as uscc_mod
from bank_tax.enterprises.reference import SIZE_CLASSES, industry_problem, region_problem
from bank_tax.enterprises.uscc import PROVINCES
from bank_tax.security import pii


class UsccField(ma.fields.String):
    """A USCC: normalised on load, and a 422 that names the failing check when it is not valid."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return uscc_mod.validate(text).code
        except uscc_mod.UsccError as exc:
            raise ma.ValidationError(f"[{exc.check}] {exc.message}") from exc


def _region(value: str) -> None:
    if len(value) != 6 or not value.isdigit() or value[:2] not in PROVINCES:
        raise ma.ValidationError("行政区划代码应为6位数字 / a 6-digit administrative division code (GB/T 2260)")
    if problem := region_problem(value):
        raise ma.ValidationError(problem)


def _industry(value: str) -> None:
    if problem := industry_problem(value):
        raise ma.ValidationError(problem)


def _established(value: dt.date) -> None:
    if value > clock.today():
        raise ma.ValidationError("成立日期不能晚于今天 / the establishment date cannot be in the future")
    if value < dt.date(1949, 10, 1):
        raise ma.ValidationError("成立日期过早 / the establishment date is implausibly early")


class AccountCreate(Strict):
    username = ma.fields.String(
        required=True, validate=[validate.Length(min=3, max=64), validate.Regexp(r"^[A-Za-z0-9_.@-]+$")]
    )
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(max=256))


def _id_number(value: str) -> None:
    if problem := pii.id_number_problem(value):
        raise ma.ValidationError(problem)


class EnterpriseCreate(Strict):
    uscc = UsccField(required=True, metadata={"example": "91350100M000100Y43"})
    name = ma.fields.String(required=True, validate=validate.Length(min=2, max=200))
    region_code = ma.fields.String(required=True, validate=_region, metadata={"example": "330106"})
    industry_code = ma.fields.String(required=True, validate=_industry, metadata={"example": "C18"})
    established_on = ma.fields.Date(required=True, validate=_established)
    size_class = ma.fields.String(required=True, validate=validate.OneOf(list(SIZE_CLASSES)))
    legal_rep_name = ma.fields.String(load_default="", validate=validate.Length(max=100))
    legal_rep_id = ma.fields.String(
        load_default=None, validate=_id_number, metadata={"description": "法定代表人身份证号 (sealed at rest)"}
    )
    legal_rep_phone = ma.fields.String(
        load_default=None,
        validate=validate.Regexp(r"^1[3-9]\d{9}$", error="手机号码应为11位 / an 11-digit mobile number"),
        metadata={"description": "法定代表人手机 (sealed at rest)"},
    )
    account = ma.fields.Nested(
        AccountCreate,
        load_default=None,
        metadata={"description": "the firm's first user; required when registering yourself without a login"},
    )


class EnterprisePublic(ma.Schema):
    uscc = ma.fields.String()
    name = ma.fields.String()
    region_code = ma.fields.String()
    industry_code = ma.fields.String()
    established_on = ma.fields.Date()
    size_class = ma.fields.String()
    source = ma.fields.String()
    registered_at = ma.fields.AwareDateTime()
    legal_rep_name = ma.fields.String()
    legal_rep_id = ma.fields.String(allow_none=True, metadata={"description": "masked for banks"})
    legal_rep_phone = ma.fields.String(allow_none=True, metadata={"description": "masked for banks"})


class EnterpriseQuery(Strict):
    q = ma.fields.String(load_default=None, metadata={"description": "part of the name or USCC"})
    region_prefix = ma.fields.String(load_default=None, validate=validate.Regexp(r"^\d{2,6}$"))


class PurposeQuery(Strict):
    purpose = ma.fields.String(
        load_default=None,
        validate=validate.OneOf(list(PURPOSES)),
        metadata={
            "description": "banks: the purpose of the read, checked against the firm's consent (default underwriting)"
        },
    )
