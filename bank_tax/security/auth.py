"""Who is calling: bearer tokens for the API, the login session for pages.

The API never trusts the session cookie (so it needs no CSRF token); pages never read bearer tokens.
"""

from __future__ import annotations

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
