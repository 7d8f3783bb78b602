"""Forms are checked by the API's own schemas, so no page accepts input the API would refuse.

A form posts flat fields; :func:`load` shapes them for a schema (lists from repeated fields, nested
objects from dotted names, empty optional fields as absent) and returns either the loaded body or the
field errors to show beside each input. :func:`field_errors` does the same for a refused service call.
"""

from __future__ import annotations

from collections.abc import Callable

import marshmallow as ma
from flask import redirect
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from bank_tax.db import db
from bank_tax.errors import DomainError


def _shape(schema: ma.Schema, form: MultiDict, prefix: str = "") -> dict:
    data = {}
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        key = prefix + (field.data_key or name)
        if isinstance(field, ma.fields.Nested):
            inner = _shape(field.schema, form, key + ".")
            if inner:
                data[field.data_key or name] = inner
        elif isinstance(field, ma.fields.List):
            # repeated fields (checkboxes), or one text field of comma-separated values
            values = [v.strip() for raw in form.getlist(key) for v in raw.replace("，", ",").split(",") if v.strip()]
            if values or key in form:
                data[field.data_key or name] = values
        elif isinstance(field, ma.fields.Boolean):
            if key in form:
                data[field.data_key or name] = form.get(key) not in ("", "0", "false", "off")
        else:
            value = form.get(key, "")
            if value.strip() != "":
                data[field.data_key or name] = value.strip() if not key.endswith("password") else value
    return data


def _flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}{key}" if isinstance(key, str) else prefix.rstrip(".")
            for k, v in _flatten(value, name + ".").items():
                out.setdefault(k, []).extend(v)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out[prefix.rstrip(".")] = list(messages)
    elif isinstance(messages, list):
        for m in messages:
            for k, v in _flatten(m, prefix).items():
                out.setdefault(k, []).extend(v)
    else:
        out[prefix.rstrip(".")] = [str(messages)]
    return out


def load(schema: ma.Schema, form: MultiDict, **extra) -> tuple[dict | None, dict[str, list[str]]]:
    """(body, {}) when the form is valid for ``schema`` (``extra`` fields added first), else (None, errors)."""
    data = {**_shape(schema, form), **extra}
    try:
        return schema.load(data), {}
    except ma.ValidationError as exc:
        return None, _flatten(exc.messages)


def submit(
    schema: ma.Schema, form: MultiDict, action: Callable[[dict], object], *, then: str, **extra
) -> tuple[Response | None, dict[str, list[str]]]:
    """The whole life of a posted form: check it with ``schema``, run ``action(body)``, commit and
    redirect to ``then``; or, when the form or the service refuses, roll back and return the field errors
    for the page to show (``(None, errors)``)."""
    body, errors = load(schema, form, **extra)
    if body is None:
        return None, errors
    try:
        action(body)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return None, field_errors(exc)
    return redirect(then), {}


def field_errors(exc: DomainError) -> dict[str, list[str]]:
    """A service's refusal as field errors (its message under ``_form`` when it names no field)."""
    errors = _flatten(exc.errors) if exc.errors else {}
    errors.setdefault("_form", []).append(exc.message)
    return errors


def as_form(data: dict, prefix: str = "") -> MultiDict:
    """A stored document as the flat fields of its form (the inverse of :func:`load`'s shaping), to fill an
    edit form: nested objects under dotted names, lists as repeated fields."""
    out = MultiDict()
    for key, value in data.items():
        name = prefix + key
        if isinstance(value, dict):
            for k, v in as_form(value, name + ".").items(multi=True):
                out.add(k, v)
        elif isinstance(value, list):
            for v in value:
                out.add(name, str(v))
        elif value is not None:
            out.add(name, str(value).lower() if isinstance(value, bool) else str(value))
    return out
