"""Server-rendered pages over the same service functions the API uses.

This issue's pages are the shell: home, login/logout (session + CSRF), language switch, error page.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, redirect, render_template, request, session, url_for

from bank_tax.db import db
from bank_tax.errors import TooManyAttempts
from bank_tax.security import csrf, service
from bank_tax.security.auth import client_ip, current_principal
from bank_tax.web.i18n import LANGUAGES, current_language, t

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/static")

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
        username = request.form.get("username", "")[:64]
        try:
            service.check_login_allowed(
                db.session,
                username=username,
                ip=client_ip(),
                window_minutes=cfg["LOGIN_WINDOW_MINUTES"],
                max_failures=cfg["LOGIN_MAX_FAILURES"],
                max_per_ip=cfg["LOGIN_MAX_FAILURES_PER_IP"],
            )
        except TooManyAttempts as exc:
            return render_template("login.html", error=exc.message), 429
        user = service.authenticate(
            db.session, username=username, password=request.form.get("password", ""), ip=client_ip()
        )
        db.session.commit()
        if user is not None:
            session.clear()  # a fresh session on login: no fixation
            session["user_id"] = user.id
            session["pw"] = service.password_stamp(user, current_app.config["SECRET_KEY"])
            return redirect(url_for("web.index"))
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
    app.register_blueprint(bp)
    app.before_request(csrf.protect)
    app.jinja_env.globals.update(t=t, csrf_token=csrf.token, current_language=current_language)

    @app.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html" and not request.path.startswith("/api/docs"):
            response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
