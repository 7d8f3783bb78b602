"""Shapes of the tax-credit endpoints."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from bank_tax.api import Strict


class Repair(ma.Schema):
    zh = ma.fields.String()
    en = ma.fields.String()
    deadline = ma.fields.Date(allow_none=True)


class Warning(ma.Schema):
    code = ma.fields.String(metadata={"description": "late_filing, filing_due, filing_overdue, month_missing, …"})
    severity = ma.fields.String(metadata={"description": "high, medium or low"})
    status = ma.fields.String(metadata={"description": "happened, or upcoming (can still be avoided)"})
    points = ma.fields.Float(metadata={"description": "points deducted (negative), or at stake"})
    deadline = ma.fields.Date(allow_none=True, metadata={"description": "the day it is due, moved for holidays"})
    statutory_deadline = ma.fields.Date(
        allow_none=True,
        metadata={"description": "the statutory day when a holiday moved the deadline (实施细则 art. 109)"},
    )
    zh = ma.fields.String()
    en = ma.fields.String()
    repair = ma.fields.Nested(Repair)


class ProductRef(ma.Schema):
    bank_code = ma.fields.String()
    product_code = ma.fields.String()
    name = ma.fields.String()
    name_en = ma.fields.String()


class WhatIf(ma.Schema):
    eligible_as_is = ma.fields.List(ma.fields.Nested(ProductRef))
    eligible_if_repaired = ma.fields.List(ma.fields.Nested(ProductRef))
    newly_eligible = ma.fields.List(ma.fields.Nested(ProductRef))


class CreditWarnings(ma.Schema):
    uscc = ma.fields.String()
    year = ma.fields.Integer(metadata={"description": "the evaluation year running now"})
    rule_set = ma.fields.String()
    score = ma.fields.Float(metadata={"description": "the running score so far"})
    start = ma.fields.Float(metadata={"description": "the starting score (100, 93 or 90)"})
    deductions = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float())
    projected_grade = ma.fields.String(metadata={"description": "if the firm does nothing more"})
    projected_grade_if_repaired = ma.fields.String(metadata={"description": "if it repairs all it still can"})
    last_grade = ma.fields.String(
        allow_none=True, metadata={"description": "the latest published grade (last year's from April on)"}
    )
    last_grade_year = ma.fields.Integer(allow_none=True, metadata={"description": "the year that grade is for"})
    warnings = ma.fields.List(ma.fields.Nested(Warning))
    what_if = ma.fields.Nested(WhatIf, allow_none=True)


class NotificationPublic(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    title_zh = ma.fields.String()
    title_en = ma.fields.String()
    body_zh = ma.fields.String()
    body_en = ma.fields.String()
    link = ma.fields.String()
    created_at = ma.fields.AwareDateTime()
    read_at = ma.fields.AwareDateTime(allow_none=True)


class RepairCreate(Strict):
    entry_id = ma.fields.String(required=True, validate=validate.Length(min=1, max=32))
    commitment = ma.fields.String(
        required=True,
        validate=validate.Length(min=10, max=2000),
        metadata={"description": "信用承诺: what the firm undertakes"},
    )
    evidence = ma.fields.String(
        required=True,
        validate=validate.Length(min=2, max=2000),
        metadata={"description": "how the conduct was corrected and the obligations met"},
    )


class RepairDecision(Strict):
    decision = ma.fields.String(required=True, validate=validate.OneOf(["approved", "rejected"]))
    reply = ma.fields.String(required=True, validate=validate.Length(min=2, max=1000))
    removed_on = ma.fields.Date(load_default=None, allow_none=True, metadata={"description": "default: today"})


class RepairPublic(ma.Schema):
    id = ma.fields.Integer()
    uscc = ma.fields.String()
    entry_id = ma.fields.String()
    list_type = ma.fields.String()
    commitment = ma.fields.String()
    evidence = ma.fields.String()
    status = ma.fields.String()
    submitted_at = ma.fields.AwareDateTime()
    decided_by = ma.fields.String(allow_none=True)
    decided_at = ma.fields.AwareDateTime(allow_none=True)
    reply = ma.fields.String()
    removed_on = ma.fields.Date(allow_none=True)


class AtRisk(ma.Schema):
    uscc = ma.fields.String()
    name = ma.fields.String()
    last_grade = ma.fields.String()
    running_score = ma.fields.Float()
    running_grade = ma.fields.String()
    deductions = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float())
