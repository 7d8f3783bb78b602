"""The API shell: flask-smorest under ``/api/v1`` and the one error format of every 4xx/5xx.

Every error under ``/api`` is ``{"code": <HTTP status>, "message": <text>, "errors": {field: [..]}}``,
including unknown routes and methods, oversized bodies, malformed JSON and unexpected exceptions.
"""

from __future__ import annotations

import logging
from pathlib import Path

import marshmallow as ma
import sqlalchemy as sa
from flask import Flask, jsonify, render_template, request, send_from_directory
from flask_smorest import Api
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable, default_exceptions

from bank_tax.errors import Conflict, DomainError, Invalid, TooManyAttempts

log = logging.getLogger(__name__)

API_PREFIX = "/api"


class ErrorSchema(ma.Schema):
    """The error body of every 4xx/5xx answer (documentation; the handler builds it)."""

    code = ma.fields.Integer(required=True, metadata={"description": "HTTP status code"})
    message = ma.fields.String(required=True, metadata={"description": "what went wrong, in words"})
    errors = ma.fields.Dict(
        required=True,
        metadata={"description": "field name → list of messages; nested for nested fields"},
    )


class Strict(ma.Schema):
    """Base of every input schema: unknown fields are a 422, never silently dropped."""

    class Meta:
        unknown = ma.RAISE


def upload_bytes(upload, suffixes: tuple[str, ...], what: str) -> tuple[str, bytes]:
    """An uploaded file's name and bytes, refusing (422) a type other than ``suffixes``."""
    name = upload.filename or f"upload{suffixes[0]}"
    if not name.lower().endswith(suffixes):
        raise Invalid(f"只接受 {what} 文件 / {what} files only", {"file": [name]})
    return name, upload.read()


def _flatten_locations(errors: dict) -> dict:
    """webargs nests field errors by location (``{"json": {...}}``); callers want the fields."""
    flat: dict = {}
    for key, value in errors.items():
        if key in {"json", "query", "form", "files", "headers", "path", "view_args"} and isinstance(value, dict):
            flat.update(value)
        else:
            flat[key] = value
    return flat


def error_body(code: int, message: str, errors: dict | None = None) -> dict:
    """Build the one error body."""
    return {"code": code, "message": message, "errors": errors or {}}


class BankTaxApi(Api):
    """flask-smorest ``Api`` whose error handler speaks our format (JSON under /api, HTML elsewhere)."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException):
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages") or {}
        message = data.get("message")
        if errors and not message:
            message = "The request is not valid; see errors."
        message = message or error.description or error.name
        headers = dict(data.get("headers") or {})
        if error.code == 405 and getattr(error, "valid_methods", None):
            headers["Allow"] = ", ".join(error.valid_methods)
        if not request.path.startswith(API_PREFIX):
            return render_template("error.html", code=error.code, message=message), error.code, headers
        body = error_body(error.code, message, _flatten_locations(errors))
        return jsonify(body), error.code, headers


def init_api(app: Flask) -> BankTaxApi:
    """Create the app's Api, serve the Swagger UI assets locally, and turn every failure into our format."""
    api = BankTaxApi(app, spec_kwargs={"security": [{"bearerAuth": []}]})

    import swagger_ui_bundle  # local copy of the UI assets: no CDN on an offline bank network

    assets = Path(swagger_ui_bundle.swagger_ui_path)

    @app.get(f"{API_PREFIX}/docs/static/<path:filename>")
    def swagger_ui_static(filename: str):
        return send_from_directory(assets, filename)

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        http = default_exceptions[exc.status]()
        http.data = {"message": exc.message, "errors": exc.errors}
        if isinstance(exc, TooManyAttempts):
            http.data["headers"] = {"Retry-After": str(exc.retry_after)}
        return api.handle_http_exception(http)

    @app.errorhandler(StaleDataError)
    def changed_meanwhile(_exc):
        # optimistic locking: another request changed the row first; whichever flush notices it
        return domain_error(Conflict("已被他人修改，请刷新后重试 / someone else changed this first; reload and retry"))

    @app.errorhandler(sa.exc.OperationalError)
    @app.errorhandler(sa.exc.InterfaceError)
    def database_unavailable(exc):
        log.error("database unavailable: %s", exc)
        return api.handle_http_exception(ServiceUnavailable("The database is unavailable; try again shortly."))

    @app.errorhandler(Exception)
    def unexpected(exc):
        if isinstance(exc, HTTPException):
            return api.handle_http_exception(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return api.handle_http_exception(InternalServerError("An unexpected error occurred; it has been logged."))

    return api
