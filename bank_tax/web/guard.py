"""Who may open a page: a logged-in user of the page's roles (anonymous: to the login page; another
role: 403). Objects of another firm or bank are refused by the services themselves (403/404)."""

from __future__ import annotations

import functools

from flask import current_app, redirect, request, session, url_for

from bank_tax.errors import Forbidden
from bank_tax.security import service as security
from bank_tax.security.auth import current_principal
from bank_tax.security.roles import Role

FIRM = (Role.ENTERPRISE,)
BANK = (Role.BANK_OFFICER, Role.BANK_ADMIN)
STAFF = (Role.ANALYST, Role.OPERATOR, Role.ADMIN)


def roles(*allowed: Role):
    """Decorator: the view runs for these roles only; it receives the principal as ``principal``."""

    def wrap(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            principal = current_principal()
            if principal is None:
                return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
            if principal.role not in allowed:
                raise Forbidden("您无权访问此页面 / this page is not for your role")
            return view(*args, principal=principal, **kwargs)

        return guarded

    return wrap


def start_session(user) -> None:
    """Log ``user`` in on this browser: a fresh session (no fixation), bound to the password it used."""
    session.clear()
    session["user_id"] = user.id
    session["pw"] = security.password_stamp(user, current_app.config["SECRET_KEY"])
