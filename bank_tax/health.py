"""Liveness and readiness, for a load balancer or an orchestrator (no login; nothing about any firm).

``GET /healthz``: the process answers (200, always, while it can answer at all).
``GET /readyz``: it can serve: the database answers, its schema is at the migrations' head, and the
champion model loads. 200 with every check, or 503 naming the one that failed, so a rolling deploy
sends no traffic to a worker whose database is behind or whose model is missing.

Cross-cutting: reads the schema version and the model registry, and imports nothing else of the domains.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Blueprint, jsonify

from bank_tax.db import db
from bank_tax.migrate import alembic_config
from bank_tax.modelling.service import registry

bp = Blueprint("health", __name__)
_HEADS: tuple[str, ...] | None = None


def heads() -> tuple[str, ...]:
    """The migrations' head revisions (read once per process: they change only with a deploy)."""
    global _HEADS
    if _HEADS is None:
        _HEADS = tuple(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))
    return _HEADS


def checks() -> dict[str, dict]:
    """Each readiness check: ``ok`` and what was found."""
    out: dict[str, dict] = {}
    try:
        session = db.read_only()  # the request's own session: readers never wait on a writer's lock
        session.execute(sa.text("SELECT 1"))
        current = tuple(sorted(session.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()))
        out["database"] = {"ok": True}
        out["migrations"] = {"ok": current == heads(), "current": list(current), "head": list(heads())}
    except sa.exc.SQLAlchemyError as exc:
        out["database"] = {"ok": False, "error": type(exc).__name__}
        out["migrations"] = {"ok": False, "head": list(heads())}
    try:
        reg = registry()
        reg.load("champion")  # the file checked against its digest and loaded (cached while unchanged)
        out["champion"] = {"ok": True, "version": reg.resolve("champion")}
    except Exception as exc:  # noqa: BLE001 (any failure to load means: not ready)
        out["champion"] = {"ok": False, "error": type(exc).__name__}
    return out


@bp.get("/healthz")
def healthz():
    """The process answers."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready to serve: database, schema at head, champion model (503 with the failing check otherwise)."""
    found = checks()
    ready = all(c["ok"] for c in found.values())
    return jsonify(status="ready" if ready else "not ready", checks=found), 200 if ready else 503
