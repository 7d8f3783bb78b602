"""Shapes of the tax-credit endpoints."""

from __future__ import annotations

import marshmallow as ma


class Repair(ma.Schema):
    zh = ma.fields.String()
    en = ma.fields.String()
    deadline = ma.fields.Date(allow_none=True)


class Warning(ma.Schema):
    code = ma.fields.String(metadata={"description": "late_filing, filing_due, filing_overdue, month_missing, …"})
    severity = ma.fields.String(metadata={"description": "high, medium or low"})
    status = ma.fields.String(metadata={"description": "happened, or upcoming (can still be avoided)"})
    points = ma.fields.Float(metadata={"description": "points deducted (negative), or at stake"})
    deadline = ma.fields.Date(allow_none=True)
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
    last_grade = ma.fields.String(allow_none=True, metadata={"description": "published for last year"})
    warnings = ma.fields.List(ma.fields.Nested(Warning))
    what_if = ma.fields.Nested(WhatIf, allow_none=True)
