"""Liveness and readiness: /healthz answers while the process does; /readyz only when the database
answers, its schema is at the head revision and the champion model loads, naming what is missing."""

from __future__ import annotations

import sqlalchemy as sa

from bank_tax import create_app
from bank_tax.config import TestConfig
from bank_tax.db import db
from bank_tax.migrate import upgrade
from tests.conftest import fresh_database


def test_healthz_answers_without_login(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}


def test_ready_with_the_schema_at_head_and_a_champion(client, champion):
    resp = client.get("/readyz")
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert body["status"] == "ready"
    assert body["checks"]["champion"] == {"ok": True, "version": champion}
    assert body["checks"]["migrations"]["current"] == body["checks"]["migrations"]["head"]


def test_not_ready_without_a_champion(client, app, tmp_path):
    saved = app.config["MODEL_DIR"]
    app.config["MODEL_DIR"] = str(tmp_path / "no-models")
    try:
        resp = client.get("/readyz")
    finally:
        app.config["MODEL_DIR"] = saved
    body = resp.get_json()
    assert resp.status_code == 503 and body["status"] == "not ready"
    assert body["checks"]["champion"]["ok"] is False
    assert body["checks"]["database"]["ok"] and body["checks"]["migrations"]["ok"]


def test_not_ready_while_the_schema_is_behind_the_code(tmp_path, _champion_registry):
    root, _ = _champion_registry
    with fresh_database(tmp_path) as url:
        upgrade(url, "0017")
        app = create_app(TestConfig, instance_path=str(tmp_path / "instance"), DATABASE_URL=url, MODEL_DIR=str(root))
        try:
            resp = app.test_client().get("/readyz")
            with db.engine_of(app).connect() as conn:
                at = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
        finally:
            db.engine_of(app).dispose()
    body = resp.get_json()
    assert at == "0017"
    assert resp.status_code == 503 and body["checks"]["migrations"]["ok"] is False
    assert body["checks"]["migrations"]["current"] == ["0017"] and body["checks"]["champion"]["ok"]


def test_not_ready_when_the_database_does_not_answer(tmp_path, _champion_registry):
    root, _ = _champion_registry
    missing = tmp_path / "gone" / "nowhere.sqlite"  # a folder that does not exist: SQLite cannot open it
    app = create_app(
        TestConfig, instance_path=str(tmp_path / "instance"), DATABASE_URL=f"sqlite:///{missing}", MODEL_DIR=str(root)
    )
    try:
        resp = app.test_client().get("/readyz")
    finally:
        db.engine_of(app).dispose()
    body = resp.get_json()
    assert resp.status_code == 503 and body["checks"]["database"]["ok"] is False
