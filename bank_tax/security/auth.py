"""Who is calling: bearer tokens for the API, the login session for pages.

The API never trusts the session cookie (so it needs no CSRF token); pages never read bearer tokens.
"""

from __future__ import annotations

import re

from flask import current_app, g, request, session

from bank_tax.api import API_PREFIX
from bank_tax.db import db
from bank_tax.security import service
from bank_tax.security.models import User
from bank_tax.security.roles import Principal


def current_principal() -> Principal | None:
    """The principal of the current request, or None when anonymous (cached per request)."""
    if "principal" not in g:
        g.principal = bearer_principal() if request.path.startswith(API_PREFIX) else _page_principal()
    return g.principal


def bearer_principal() -> Principal | None:
    """The principal of the request's bearer token (the API's way in), or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return service.resolve_token(db.session, secret.strip())


def _page_principal() -> Principal | None:
    user_id = session.get("user_id")
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    stamp = service.password_stamp(user, current_app.config["SECRET_KEY"]) if user is not None else None
    if user is None or not user.is_active or session.get("pw") != stamp:
        session.clear()  # deleted, deactivated, or the password changed since login
        return None
    return service.principal_of(user)


def client_ip() -> str:
    """The caller's address as the WSGI server saw it (behind a proxy: the client's, when PROXY_HOPS trusts it)."""
    return request.remote_addr or "unknown"


DOCUMENT_ENDPOINTS = {"api-docs.openapi_json", "api-docs.openapi_swagger_ui", "swagger_ui_static"}


def _openapi_path(rule: str) -> str:
    """A Flask rule as the OpenAPI document writes its path (``<string:uscc>`` → ``{uscc}``)."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _security_of(app, rule: str, method: str):
    """The ``security`` the OpenAPI document states for this operation (the document's default when the
    operation states none); None for a route the document does not describe."""
    cache = app.extensions.get("bank_tax.security_of")
    if cache is None:  # built whole, then published: a concurrent request never reads half of it
        spec = app.extensions["bank_tax.api"].spec.to_dict()
        default = spec.get("security", [])
        built = {}
        for path, item in spec.get("paths", {}).items():
            for verb, op in item.items():
                if isinstance(op, dict):
                    built[(path, verb.upper())] = op.get("security", default)
        app.extensions["bank_tax.security_of"] = cache = built
    return cache.get((_openapi_path(rule), method))


def _code(uscc: str) -> str:
    """A path's USCC as the views read it (full-width, spaces and hyphens allowed)."""
    from bank_tax.enterprises.uscc import normalize

    return normalize(uscc)


def api_gate():
    """Before an API view reads its body: the caller is known (401) and, where the path names a firm or a
    bank, is not a firm's user at another firm's or any bank's path, nor a bank's user at another bank's
    (403). So a caller who may not call learns nothing from the body's validation (422 comes after).

    Which operations admit anonymous callers is read from the OpenAPI document itself (``security`` of
    ``[]`` or with an empty alternative ``{}``), so the gate and the document cannot disagree."""
    if not request.path.startswith(API_PREFIX) or request.url_rule is None or request.method == "OPTIONS":
        return
    from bank_tax.errors import Forbidden, Unauthorized

    security = _security_of(current_app, request.url_rule.rule, "GET" if request.method == "HEAD" else request.method)
    if security is None:
        if request.endpoint in DOCUMENT_ENDPOINTS:  # the document and its UI
            return
        security = [{"bearerAuth": []}]  # an API route the document misses is closed, not open
    db.read_only()  # the token check only reads: on SQLite it must not queue behind a writer's lock
    principal = current_principal()
    # end that read, so the view still chooses its session's mode before its own first query
    db.session.rollback()
    if principal is None:
        if security == [] or {} in security:
            return
        raise Unauthorized("Log in first (Authorization: Bearer <token>). 请先登录。")
    args = request.view_args or {}
    uscc, bank = args.get("uscc"), args.get("bank")
    refused = (
        (principal.uscc is not None and uscc is not None and _code(uscc) != principal.uscc)
        or (principal.uscc is not None and bank is not None)
        or (principal.is_bank and bank is not None and bank != principal.bank_code)
    )
    if refused:
        raise Forbidden("You may not do this. 无权执行此操作。")
