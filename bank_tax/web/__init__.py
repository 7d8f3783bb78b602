"""Server-rendered pages over the same service functions the API uses.

The shell (home, login/logout with session and CSRF, language switch, error page) and, on it, the firm
portal (:mod:`.portal`), the loan officer's workbench (:mod:`.workbench`) and the analyst and operator
dashboard (:mod:`.dashboard`). Each role sees its own navigation; the pages call the same service
functions as the API and check forms with the API's schemas (:mod:`.forms`).
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, redirect, render_template, request, session, url_for

from bank_tax.db import db
from bank_tax.errors import TooManyAttempts, Unauthorized
from bank_tax.security import csrf, service
from bank_tax.security.auth import client_ip, current_principal
from bank_tax.web import i18n
from bank_tax.web.guard import start_session
from bank_tax.web.i18n import (
    LANGUAGES,
    L,
    category_name,
    cell,
    current_language,
    feature_label,
    field_label,
    navigation,
    pick,
    status_text,
    t,
)

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/assets")

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
PAGE_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"


@bp.get("/")
def index():
    """Home: who is logged in, and where to go."""
    return render_template("index.html", principal=current_principal())


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with a username and password; throttled like the API."""
    error = None
    if request.method == "POST":
        cfg = current_app.config
        try:
            user = service.log_in(
                db.session,
                username=request.form.get("username", "")[:64],
                password=request.form.get("password", ""),
                ip=client_ip(),
                throttle=service.Throttle.from_config(cfg),
                cost=cfg["PASSWORD_HASH_N"],
            )
        except Unauthorized:
            user = None
        except TooManyAttempts as exc:
            db.session.commit()  # a refused wrong password still counts
            wait = L(
                f"登录失败次数过多，请 {exc.retry_after} 秒后再试。",
                f"Too many failed logins; try again in {exc.retry_after} seconds.",
            )
            return render_template("login.html", error=wait), 429, {"Retry-After": str(exc.retry_after)}
        db.session.commit()
        if user is not None:
            start_session(user)
            target = request.args.get("next", "")
            local = target.startswith("/") and not target.startswith("//")  # no open redirect
            return redirect(target if local else url_for("web.index"))
        error = t("login_failed")
    return render_template("login.html", error=error), 401 if error else 200


@bp.post("/logout")
def logout():
    """End the session (a POST with the CSRF token, so no foreign page can log you out)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("web.index"))


@bp.get("/lang/<code>")
def set_language(code: str):
    """Switch the page language and go back."""
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(request.referrer if request.referrer and request.referrer.startswith(request.host_url) else "/")


def init_web(app: Flask) -> None:
    """Register the pages, CSRF protection, template helpers and security headers."""
    from bank_tax.web import dashboard, portal, workbench

    app.register_blueprint(bp)
    for pages in (portal.bp, workbench.bp, dashboard.bp):
        app.register_blueprint(pages)
    app.before_request(csrf.protect)
    app.jinja_env.globals.update(
        t=t,
        L=L,
        csrf_token=csrf.token,
        current_language=current_language,
        current_principal=current_principal,
        navigation=navigation,
        status_text=status_text,
        category_name=category_name,
        pick=pick,
        cell=cell,
        field_label=field_label,
        feature_label=feature_label,
        china=portal.CHINA,
        **{name: getattr(i18n, name) for name in i18n.TEMPLATE_HELPERS},
    )

    @app.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html" and not request.path.startswith("/api/docs"):
            response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
