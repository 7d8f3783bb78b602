"""The API shell: OpenAPI document and docs, and the one error format for everything that goes wrong."""

import json

import pytest

from tests import factories


def assert_error(resp, code):
    assert resp.status_code == code, resp.get_data(as_text=True)
    body = resp.get_json()
    assert set(body) == {"code", "message", "errors"}
    assert body["code"] == code and isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errors"], dict)
    return body


def test_openapi_document(client):
    resp = client.get("/api/openapi.json")
    assert resp.status_code == 200
    spec = resp.get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/enterprises" in spec["paths"]
    assert "bearerAuth" in spec["components"]["securitySchemes"]
    assert "Error" in spec["components"]["schemas"]


def test_docs_page_served_with_local_assets(client):
    resp = client.get("/api/docs")
    assert resp.status_code == 200
    assert b"/api/docs/static/swagger-ui-bundle.js" in resp.data
    with client.get("/api/docs/static/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200


def test_unknown_api_route_is_json_404(client):
    assert_error(client.get("/api/v1/no-such-thing"), 404)


def test_wrong_method_is_json_405_with_allow(client):
    resp = client.put("/api/v1/banks")
    assert_error(resp, 405)
    assert "GET" in resp.headers["Allow"]


def test_unknown_page_is_html_404(client):
    resp = client.get("/no-such-page")
    assert resp.status_code == 404 and resp.mimetype == "text/html"


def test_unknown_field_is_422_naming_it(client):
    body = assert_error(client.post("/api/v1/auth/token", json={"username": "a", "password": "b", "x": 1}), 422)
    assert "x" in body["errors"]


def test_wrong_type_is_422_naming_the_field(client):
    body = assert_error(client.post("/api/v1/auth/token", json={"username": 5, "password": "b"}), 422)
    assert "username" in body["errors"]


def test_malformed_json_is_a_client_error(client):
    resp = client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert_error(resp, resp.status_code)
    assert 400 <= resp.status_code < 500


def test_oversized_json_body_is_413(client, app):
    big = json.dumps({"username": "a" * (app.config["JSON_BODY_MAX_BYTES"] + 10), "password": "x"})
    assert_error(client.post("/api/v1/auth/token", data=big, content_type="application/json"), 413)


def test_unauthenticated_is_401_and_forbidden_is_403(client, session):
    assert_error(client.get("/api/v1/enterprises"), 401)
    headers, _ = factories.auth(session, "bank_officer")
    assert_error(client.get("/api/v1/enterprises", headers=headers), 403)


@pytest.mark.parametrize("header", ["Bearer", "Bearer nonsense", "Basic abc", "bearer bt_" + "x" * 43])
def test_bad_tokens_are_anonymous(client, header):
    assert_error(client.get("/api/v1/auth/me", headers={"Authorization": header}), 401)


def test_json_keeps_chinese_readable(client, session):
    factories.bank(session, "CN-TEST")
    headers, _ = factories.auth(session, "analyst")
    resp = client.get("/api/v1/banks", headers=headers)
    assert "测试银行".encode() in resp.data


def test_security_headers_on_pages(client):
    resp = client.get("/")
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
