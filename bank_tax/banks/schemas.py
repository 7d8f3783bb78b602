"""Marshmallow schemas of the bank API."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from bank_tax.api import Strict


class BankCreate(Strict):
    code = ma.fields.String(required=True, validate=validate.Regexp(r"^[A-Z0-9][A-Z0-9_-]{1,31}$"))
    name = ma.fields.String(required=True, validate=validate.Length(min=2, max=100))
    name_en = ma.fields.String(load_default="", validate=validate.Length(max=100))


class BankPublic(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    name_en = ma.fields.String()
