"""Shapes of the matching and whitelist endpoints."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from bank_tax.api import Strict
from bank_tax.matching.reading import MAX_PER_PAGE, ORDERS, PER_PAGE, SORTS


class Text(ma.Schema):
    zh = ma.fields.String()
    en = ma.fields.String()


class FailedRule(Text):
    rule = ma.fields.String()


class Match(ma.Schema):
    bank_code = ma.fields.String()
    bank_name = ma.fields.String()
    product_code = ma.fields.String()
    name = ma.fields.String()
    name_en = ma.fields.String()
    eligible = ma.fields.Boolean()
    limit = ma.fields.Integer(allow_none=True, metadata={"description": "estimated limit, 元"})
    rate = ma.fields.Float(allow_none=True, metadata={"description": "indicative rate, percent a year"})
    rate_range = ma.fields.List(ma.fields.Float(), metadata={"description": "spread over the LPR, min and max"})
    terms_months = ma.fields.List(ma.fields.Integer())
    probability_of_approval = ma.fields.Float()
    consent_needed = ma.fields.List(ma.fields.String())
    failed = ma.fields.List(ma.fields.Nested(FailedRule))


class Matches(ma.Schema):
    uscc = ma.fields.String()
    as_of = ma.fields.DateTime()
    model_version = ma.fields.String()
    pd = ma.fields.Float()
    points = ma.fields.Integer()
    grade = ma.fields.String()
    tax_grade = ma.fields.String(allow_none=True)
    priority = ma.fields.Boolean(metadata={"description": "red-listed: banks give priority"})
    notice = ma.fields.Nested(Text, allow_none=True)
    eligible_count = ma.fields.Integer()
    matches = ma.fields.List(ma.fields.Nested(Match))


class ReasonCode(Text):
    code = ma.fields.String()


class WhitelistEntryPublic(ma.Schema):
    rank = ma.fields.Integer()
    uscc = ma.fields.String()
    name = ma.fields.String()
    region_code = ma.fields.String()
    industry_code = ma.fields.String()
    product_code = ma.fields.String()
    limit = ma.fields.Integer(metadata={"description": "suggested limit, 元"})
    rate = ma.fields.Float()
    pd = ma.fields.Float()
    points = ma.fields.Integer()
    grade = ma.fields.String()
    eligible_products = ma.fields.Integer()
    reasons = ma.fields.List(ma.fields.Nested(ReasonCode))
    consent_id = ma.fields.Integer()


class EditionHeader(ma.Schema):
    id = ma.fields.Integer()
    bank_code = ma.fields.String()
    as_of = ma.fields.DateTime()
    created_at = ma.fields.DateTime()
    model_version = ma.fields.String()
    trigger = ma.fields.String()
    n_products = ma.fields.Integer()


class EditionSummary(EditionHeader):
    n_firms = ma.fields.Integer()
    digest = ma.fields.String()


class Edition(EditionHeader):
    firms = ma.fields.Integer(metadata={"description": "entries shown (after filters and withdrawals)"})
    total = ma.fields.Integer(metadata={"description": "entries matching the filters, on every page"})
    page = ma.fields.Integer()
    per_page = ma.fields.Integer(allow_none=True, metadata={"description": "none: the whole edition"})
    pages = ma.fields.Integer()
    withdrawn = ma.fields.Integer(metadata={"description": "firms removed because their consent ended"})
    entries = ma.fields.List(ma.fields.Nested(WhitelistEntryPublic))


class DiffEntry(WhitelistEntryPublic):
    previous_limit = ma.fields.Integer()
    previous_product_code = ma.fields.String()


class Diff(ma.Schema):
    id = ma.fields.Integer()
    previous_id = ma.fields.Integer(allow_none=True)
    new = ma.fields.List(ma.fields.Nested(WhitelistEntryPublic))
    dropped = ma.fields.List(ma.fields.Nested(WhitelistEntryPublic))
    changed = ma.fields.List(ma.fields.Nested(DiffEntry))


class EditionFilters(Strict):
    """Which entries of an edition, in what order: the filters, the search and the sort."""

    region = ma.fields.String(load_default=None, validate=validate.Regexp(r"^\d{2,6}$"))
    industry = ma.fields.String(load_default=None, validate=validate.Regexp(r"^[A-T](\d{2})?$"))
    grade = ma.fields.String(load_default=None, validate=validate.Regexp(r"^R[1-8]$"))
    min_limit = ma.fields.Integer(load_default=None, validate=validate.Range(min=0))
    max_limit = ma.fields.Integer(load_default=None, validate=validate.Range(min=0))
    q = ma.fields.String(
        load_default=None,
        validate=validate.Length(max=60),
        metadata={"description": "a fragment of the firm's name or USCC"},
    )
    sort = ma.fields.String(load_default="rank", validate=validate.OneOf(SORTS))
    order = ma.fields.String(load_default="asc", validate=validate.OneOf(ORDERS))

    @ma.post_load
    def _tidy(self, data, **_):
        data["q"] = (data.get("q") or "").strip() or None
        return data


def _page(default: int | None) -> ma.fields.Integer:
    return ma.fields.Integer(load_default=default, validate=validate.Range(min=1))


def _per_page(default: int | None) -> ma.fields.Integer:
    return ma.fields.Integer(load_default=default, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class EditionQuery(EditionFilters):
    """The API's read of an edition: the whole of it unless ``per_page`` is given (exports are whole)."""

    format = ma.fields.String(load_default="json", validate=validate.OneOf(["json", "csv", "xlsx"]))
    page = _page(None)
    per_page = _per_page(None)


class EditionPageQuery(EditionFilters):
    """The workbench's read of an edition: one page at a time."""

    page = _page(1)
    per_page = _per_page(PER_PAGE)
