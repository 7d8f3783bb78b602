"""CSRF protection for pages: a per-session secret token that every state-changing form must echo.

The API is exempt because it authenticates with bearer tokens only, which a foreign site cannot send.
"""

from __future__ import annotations

import hmac
import secrets

from flask import request, session
from werkzeug.exceptions import BadRequest

from bank_tax.api import API_PREFIX

FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def token() -> str:
    """The session's CSRF token (created on first use); put it in every form as ``csrf_token``."""
    if FIELD not in session:
        session[FIELD] = secrets.token_urlsafe(32)
    return session[FIELD]


def protect() -> None:
    """``before_request`` hook: refuse a state-changing page request whose token is missing or wrong."""
    if request.method in SAFE_METHODS or request.path.startswith(API_PREFIX):
        return
    sent = request.form.get(FIELD) or request.headers.get("X-CSRF-Token") or ""
    expected = session.get(FIELD)
    if not expected or not hmac.compare_digest(sent, expected):
        raise BadRequest(
            "The form has expired or did not come from this site; reload the page. 表单已失效，请刷新页面后重试。"
        )
