"""Behind a TLS-terminating reverse proxy (``PROXY_HOPS``): the client's address and the https scheme
come from the proxy's headers, so HSTS is sent and throttling counts the real client; without the
setting those headers are not believed."""

from __future__ import annotations

from flask import request

from bank_tax import create_app
from bank_tax.config import TestConfig
from bank_tax.security.auth import client_ip


def _seen(app, headers):
    out = {}

    @app.get("/_seen")
    def seen():
        out.update(ip=client_ip(), secure=request.is_secure)
        return "ok"

    resp = app.test_client().get("/_seen", headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    return resp, out


FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "Accept": "text/html"}


def test_one_trusted_proxy_gives_the_client_address_and_https(database_url, tmp_path):
    app = create_app(TestConfig, instance_path=str(tmp_path), DATABASE_URL=database_url, PROXY_HOPS=1)
    resp, seen = _seen(app, FORWARDED)
    assert seen == {"ip": "203.0.113.7", "secure": True}
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")


def test_without_a_proxy_setting_forwarded_headers_are_not_believed(database_url, tmp_path):
    app = create_app(TestConfig, instance_path=str(tmp_path), DATABASE_URL=database_url)
    resp, seen = _seen(app, FORWARDED)
    assert seen == {"ip": "127.0.0.1", "secure": False}
    assert "Strict-Transport-Security" not in resp.headers
