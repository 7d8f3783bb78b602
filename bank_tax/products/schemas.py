"""Marshmallow schemas of products; the rule schema is also the validator of rules saved from anywhere."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate, validates_schema

from bank_tax.api import Strict
from bank_tax.categories import CATEGORIES
from bank_tax.enterprises.reference import INDUSTRY_SECTIONS

GRADES = ("A", "B", "M", "C", "D")
REPAYMENT = ("interest_monthly_principal_at_maturity", "equal_instalments", "revolving", "bullet")


def _unique(values):
    if len(set(values)) != len(values):
        raise ma.ValidationError("values must not repeat")


def _industry_prefix(value: str):
    if (
        not value
        or value[0] not in INDUSTRY_SECTIONS
        or not (value[1:] == "" or (len(value) == 3 and value[1:].isdigit()))
    ):
        raise ma.ValidationError("an industry section (C) or section+division (C18)")


class LimitRule(Strict):
    basis = ma.fields.String(
        load_default="tax",
        validate=validate.OneOf(["tax", "sales"]),
        metadata={"description": "what the limit is a multiple of"},
    )
    multiple = ma.fields.Float(required=True, validate=validate.Range(min=0.1, max=100))
    window_months = ma.fields.Integer(load_default=12, validate=validate.Range(min=1, max=36))
    risk_adjusted = ma.fields.Boolean(load_default=False, metadata={"description": "reduce the limit by risk"})


class ProductRules(Strict):
    """Amounts in 元, rates as a spread in percentage points over the one-year LPR."""

    amount_min = ma.fields.Integer(required=True, validate=validate.Range(min=1_000, max=100_000_000))
    amount_max = ma.fields.Integer(required=True, validate=validate.Range(min=1_000, max=100_000_000))
    terms_months = ma.fields.List(
        ma.fields.Integer(validate=validate.Range(min=1, max=60)),
        required=True,
        validate=[validate.Length(min=1, max=12), _unique],
    )
    rate_spread_min = ma.fields.Float(required=True, validate=validate.Range(min=-1.0, max=15.0))
    rate_spread_max = ma.fields.Float(required=True, validate=validate.Range(min=-1.0, max=15.0))
    repayment_style = ma.fields.String(required=True, validate=validate.OneOf(REPAYMENT))
    grades = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(GRADES)), required=True, validate=[validate.Length(min=1), _unique]
    )
    min_months_operating = ma.fields.Integer(load_default=0, validate=validate.Range(min=0, max=600))
    min_tax_12m = ma.fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000_000))
    min_sales_12m = ma.fields.Integer(load_default=0, validate=validate.Range(min=0, max=100_000_000_000))
    max_pd = ma.fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0, max=1))
    regions = ma.fields.List(
        ma.fields.String(validate=validate.Regexp(r"^\d{2,6}$")),
        load_default=list,
        metadata={"description": "allowed division-code prefixes; empty: everywhere"},
    )
    excluded_industries = ma.fields.List(ma.fields.String(validate=_industry_prefix), load_default=list)
    exclude_blacklisted = ma.fields.Boolean(load_default=True)
    exclude_tax_arrears = ma.fields.Boolean(load_default=True)
    consent_categories = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(CATEGORIES)), required=True, validate=[validate.Length(min=1), _unique]
    )
    limit_rule = ma.fields.Nested(LimitRule, required=True)

    @validates_schema
    def _consistent(self, data, **_):
        errors = {}
        if data["amount_min"] > data["amount_max"]:
            errors["amount_min"] = ["must not exceed amount_max"]
        if data["rate_spread_min"] > data["rate_spread_max"]:
            errors["rate_spread_min"] = ["must not exceed rate_spread_max"]
        if "tax" not in data["consent_categories"] and data["limit_rule"]["basis"] == "tax":
            errors["consent_categories"] = ["a limit on tax paid needs the tax category"]
        if {"C", "D"} & set(data["grades"]):
            errors["grades"] = ["银税互动 serves A, B and M grades only (C and D are not served)"]
        if errors:
            raise ma.ValidationError(errors)


class ProductCreate(Strict):
    code = ma.fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{2,32}$"))
    name = ma.fields.String(required=True, validate=validate.Length(min=2, max=100))
    name_en = ma.fields.String(load_default="", validate=validate.Length(max=100))
    rules = ma.fields.Nested(ProductRules, required=True)


class ProductUpdate(Strict):
    name = ma.fields.String(validate=validate.Length(min=2, max=100))
    name_en = ma.fields.String(validate=validate.Length(max=100))
    rules = ma.fields.Nested(ProductRules, required=True)


class ProductPublic(ma.Schema):
    id = ma.fields.Integer()
    bank_code = ma.fields.String()
    code = ma.fields.String()
    name = ma.fields.String()
    name_en = ma.fields.String()
    status = ma.fields.String()
    version = ma.fields.Integer()
    rules = ma.fields.Dict()
    updated_at = ma.fields.AwareDateTime()
