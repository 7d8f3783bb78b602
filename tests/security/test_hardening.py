"""The standing security checks: CSRF on every state-changing page, security headers on every page
(HSTS behind TLS), pages with no inline script or style for the CSP to allow, uploads refused by type
and size, and no secrets in the repository."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

from tests import factories

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "bank_tax" / "web" / "templates"


def _page_rules(app, method: str):
    for rule in app.url_map.iter_rules():
        if method in rule.methods and not rule.rule.startswith("/api") and "static" not in rule.endpoint:
            yield rule


def _fill(rule) -> str:
    path = rule.rule
    for arg in rule.arguments:
        path = re.sub(rf"<(?:[a-z]+:)?{arg}>", "1", path)
    return path


def test_every_state_changing_page_refuses_a_form_without_its_csrf_token(app, client, session):
    """Enumerated from the URL map: a new POST page is covered the day it is added."""
    user = factories.user(session, "admin")
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": user.username, "password": factories.PASSWORD, "csrf_token": token})
    posts = list(_page_rules(app, "POST"))
    assert len(posts) >= 15
    for rule in posts:
        answer = client.post(_fill(rule), data={"anything": "x"})
        assert answer.status_code == 400, rule.rule


def test_every_page_carries_the_security_headers(app, client):
    for rule in _page_rules(app, "GET"):
        answer = client.get(_fill(rule))
        headers = answer.headers
        assert headers["X-Frame-Options"] == "DENY", rule.rule
        assert headers["X-Content-Type-Options"] == "nosniff", rule.rule
        if answer.mimetype == "text/html":
            csp = headers["Content-Security-Policy"]
            assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp, rule.rule


def test_hsts_is_sent_behind_tls_only(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://bank-tax.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_templates_have_no_inline_script_style_or_handlers():
    """The CSP allows scripts and styles from our own files only: nothing inline may be needed (a script
    tag only loads one of our static files)."""
    offenders = []
    own = re.compile(r"""<script src="\{\{ url_for\('web\.static', filename='[\w./-]+'\) \}\}"( defer)?></script>""")
    for path in TEMPLATES.rglob("*.html"):
        text = own.sub("", path.read_text(encoding="utf-8"))
        for pattern in (r"<script", r"\sstyle=", r"\son[a-z]+="):
            if re.search(pattern, text):
                offenders.append(f"{path.name}: {pattern}")
    assert not offenders, offenders


def test_uploads_are_refused_by_type_and_by_size(app, client, session):
    headers, _ = factories.auth(session, "operator")
    exe = {"file": (io.BytesIO(b"MZ\x90\x00"), "tool.exe")}
    answer = client.post(
        "/api/v1/ingest/vat_declarations", data=exe, headers=headers, content_type="multipart/form-data"
    )
    assert answer.status_code == 422 and "file" in answer.get_json()["errors"]
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        big = {"file": (io.BytesIO(b"x" * 4096), "vat.csv")}
        answer = client.post(
            "/api/v1/ingest/vat_declarations", data=big, headers=headers, content_type="multipart/form-data"
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert answer.status_code == 413 and answer.get_json()["code"] == 413


SECRET_PATTERNS = [
    re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH |ENCRYPTED )?PRIVATE KEY-----"),
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"(?i)(?:secret_key|password|passwd|api_key)\s*=\s*['\"][^'\"\s]{12,}['\"]"),
]
ALLOWED = {"tests/", "bank_tax/config.py"}  # fixed test-only values, marked as such where they are


def test_no_secrets_are_committed():
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    assert files, "not a git checkout"
    found = []
    for name in files:
        if any(name.startswith(prefix) for prefix in ALLOWED) or name.endswith((".png", ".ipynb")):
            continue
        path = REPO / name
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        found += [f"{name}: {p.pattern}" for p in SECRET_PATTERNS if p.search(text)]
    assert not found, found
    assert not any(name.startswith(("instance/", ".venv/")) for name in files)
