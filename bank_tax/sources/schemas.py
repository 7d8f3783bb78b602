"""Marshmallow schemas of the ingestion, records and disputes API."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import validate

from bank_tax.api import Strict
from bank_tax.categories import PURPOSES


class UploadBody(Strict):
    file = Upload(required=True, metadata={"description": "CSV (header row; UTF-8 or GB18030) or JSON Lines"})


class Rejection(ma.Schema):
    line = ma.fields.Integer()
    field = ma.fields.String()
    reason = ma.fields.String()
    value = ma.fields.String()


class BatchCounts(ma.Schema):
    received = ma.fields.Integer()
    inserted = ma.fields.Integer()
    corrected = ma.fields.Integer()
    duplicate = ma.fields.Integer()
    rejected = ma.fields.Integer()


class BatchSummary(BatchCounts):
    id = ma.fields.Integer()
    source = ma.fields.String()
    filename = ma.fields.String()
    started_at = ma.fields.AwareDateTime()


class BatchReport(BatchCounts):
    batch_id = ma.fields.Integer()
    source = ma.fields.String()
    filename = ma.fields.String()
    sha256 = ma.fields.String()
    encoding = ma.fields.String()
    started_at = ma.fields.AwareDateTime()
    finished_at = ma.fields.AwareDateTime(allow_none=True)
    new = ma.fields.Boolean(metadata={"description": "false when this file was ingested before (nothing landed)"})
    rejections = ma.fields.List(ma.fields.Nested(Rejection))
    erroneous_codes = ma.fields.List(ma.fields.String())


class ErroneousCode(ma.Schema):
    uscc = ma.fields.String()
    reason = ma.fields.String()
    line = ma.fields.Integer()
    batch_id = ma.fields.Integer()
    source = ma.fields.String()
    filename = ma.fields.String()


class RecordsQuery(Strict):
    purpose = ma.fields.String(load_default=None, validate=validate.OneOf(list(PURPOSES)))
    as_of = ma.fields.AwareDateTime(load_default=None, metadata={"description": "the data as known then (not banks)"})
    limit = ma.fields.Integer(load_default=500, validate=validate.Range(min=1, max=5000))


class RecordPublic(ma.Schema):
    id = ma.fields.Integer()
    source = ma.fields.String()
    version = ma.fields.Integer()
    received_at = ma.fields.AwareDateTime()
    disputed = ma.fields.Boolean()
    data = ma.fields.Dict(metadata={"description": "the record's fields; amounts in 分 (integer)"})


class DisputeCreate(Strict):
    source = ma.fields.String(required=True)
    record_id = ma.fields.Integer(required=True, validate=validate.Range(min=1))
    reason = ma.fields.String(required=True, validate=validate.Length(min=2, max=1000))


class DisputeResolve(Strict):
    outcome = ma.fields.String(required=True, validate=validate.OneOf(["corrected", "upheld"]))
    reply = ma.fields.String(required=True, validate=validate.Length(min=2, max=1000))
    correction = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(),
        load_default=dict,
        metadata={"description": "corrected fields, written as in the agency file"},
    )


class DisputeQuery(Strict):
    status = ma.fields.String(load_default=None, validate=validate.OneOf(["open", "corrected", "upheld"]))


class DisputePublic(ma.Schema):
    id = ma.fields.Integer()
    uscc = ma.fields.String()
    source = ma.fields.String()
    record_id = ma.fields.Integer()
    reason = ma.fields.String()
    status = ma.fields.String()
    reply = ma.fields.String()
    opened_at = ma.fields.AwareDateTime()
    resolved_at = ma.fields.AwareDateTime(allow_none=True)
    correction_id = ma.fields.Integer(allow_none=True)
