"""Request and response shapes of the scoring endpoints."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from bank_tax.api import Strict
from bank_tax.categories import PURPOSES


class ScoreQuery(Strict):
    purpose = ma.fields.String(
        load_default=None,
        validate=validate.OneOf(list(PURPOSES)),
        metadata={"description": "a bank's purpose (default underwriting); its consent for it masks the features"},
    )


class Reason(ma.Schema):
    code = ma.fields.String(metadata={"description": "the feature behind the reason"})
    zh = ma.fields.String()
    en = ma.fields.String()
    value = ma.fields.Float()
    pd_reduction = ma.fields.Float(metadata={"description": "how much the PD falls if this value were good"})


class GradeBound(ma.Schema):
    grade = ma.fields.String()
    pd_below = ma.fields.Float()


class Scale(ma.Schema):
    points = ma.fields.String()
    range = ma.fields.List(ma.fields.Integer())
    grades = ma.fields.List(ma.fields.Nested(GradeBound))


class ScorePublic(ma.Schema):
    uscc = ma.fields.String()
    as_of = ma.fields.DateTime()
    model_version = ma.fields.String()
    feature_set_version = ma.fields.String(allow_none=True)
    pd = ma.fields.Float(metadata={"description": "probability of default within 12 months"})
    points = ma.fields.Integer()
    grade = ma.fields.String(metadata={"description": "risk grade R1 (safest) … R8"})
    categories_used = ma.fields.List(ma.fields.String())
    reasons = ma.fields.List(ma.fields.Nested(Reason))
    scale = ma.fields.Nested(Scale)


class ModelSummary(ma.Schema):
    version = ma.fields.String()
    status = ma.fields.String()
    aliases = ma.fields.List(ma.fields.String())
    created_at = ma.fields.String()
    auc = ma.fields.Float(allow_none=True)
    ece = ma.fields.Float(allow_none=True)
    data = ma.fields.Dict()
