"""bank-tax: consented tax and payment records turned into collateral-free SME loans (银税互动 / 信易贷).

:func:`create_app` is the application factory: it binds the unbound extensions, registers the
blueprints, the CLI and the error handlers. Nothing here touches the disk or the database at import.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider

from bank_tax.config import Config, load_config

__version__ = "0.1.0"

DEFAULT_INSTANCE = Path(__file__).resolve().parent.parent / "instance"


def create_app(config: type[Config] = Config, instance_path: str | None = None, **overrides) -> Flask:
    """Build the application. ``overrides`` win over the environment (tests pass ``DATABASE_URL``).

    The instance folder (SQLite database, generated secrets, demo files) is ``instance/`` beside the
    package unless ``instance_path`` or ``BANK_TAX_INSTANCE_PATH`` says otherwise.
    """
    instance = instance_path or os.environ.get("BANK_TAX_INSTANCE_PATH") or str(DEFAULT_INSTANCE)
    app = Flask(__name__, instance_path=instance, instance_relative_config=True)
    app.config.update(load_config(config, instance, overrides))
    app.json = IsoJSONProvider(app)
    app.json.ensure_ascii = False  # Chinese stays readable in JSON answers
    app.json.sort_keys = False

    from bank_tax.api import init_api
    from bank_tax.db import db

    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops:  # TLS ends at the proxy: take the client's address and scheme from the hops we trust
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    db.init_app(app)
    api = init_api(app)

    _register_request_hooks(app)

    from bank_tax.banks.views import blp as banks_blp
    from bank_tax.consent.views import blp as consent_blp
    from bank_tax.enterprises.views import blp as enterprises_blp
    from bank_tax.lending.views import blp as lending_blp
    from bank_tax.matching.views import blp as matching_blp
    from bank_tax.modelling.views import blp as modelling_blp
    from bank_tax.products.views import blp as products_blp
    from bank_tax.reports.views import blp as reports_blp
    from bank_tax.scheduler.views import blp as scheduler_blp
    from bank_tax.security.views import blp as security_blp
    from bank_tax.sources.views import blp as sources_blp
    from bank_tax.taxcredit.views import blp as taxcredit_blp

    for blp in (
        security_blp,
        banks_blp,
        enterprises_blp,
        consent_blp,
        sources_blp,
        products_blp,
        lending_blp,
        modelling_blp,
        matching_blp,
        taxcredit_blp,
        reports_blp,
        scheduler_blp,
    ):
        api.register_blueprint(blp)

    from bank_tax import health, metrics, requestlog

    app.register_blueprint(health.bp)
    metrics.init_app(app)
    _expose_series()
    requestlog.init_app(app)
    from bank_tax.security.auth import api_gate

    app.extensions["bank_tax.api"] = api
    app.before_request(api_gate)  # after the request id and the timer: a refused call is logged and timed

    from bank_tax.web import init_web

    init_web(app)

    from bank_tax.cli import register_cli

    register_cli(app)
    return app


def _expose_series() -> None:
    """Every counter of :mod:`bank_tax.metrics` at 0 for the sources, stages and jobs the system has (the
    metrics module imports no domain; the factory, which knows them all, names them)."""
    from bank_tax import metrics
    from bank_tax.batch.stages import STAGES
    from bank_tax.scheduler import JOBS
    from bank_tax.sources.specs import SOURCES

    metrics.expose(metrics.INGESTED, source=list(SOURCES), outcome=("accepted", "rejected"))
    metrics.expose(metrics.CONSENTS, action=("granted", "revoked", "expired"))
    metrics.expose(metrics.STAGE_FIRMS, stage=list(STAGES))
    metrics.expose(metrics.STAGE_PARTITIONS, stage=list(STAGES), outcome=("done", "failed", "retried"))
    metrics.expose(metrics.JOBS, job=[spec.id for spec in JOBS], outcome=("done", "failed"))


class IsoJSONProvider(DefaultJSONProvider):
    """Dates and times as ISO-8601 everywhere (Flask's default writes HTTP dates)."""

    @staticmethod
    def default(o):
        if isinstance(o, dt.date):
            return o.isoformat()
        return DefaultJSONProvider.default(o)


def _register_request_hooks(app: Flask) -> None:
    from werkzeug.exceptions import RequestEntityTooLarge

    @app.before_request
    def _limit_json_body():
        """JSON bodies have their own limit, smaller than uploads; over it is a 413 before any parsing."""
        if request.is_json and (request.content_length or 0) > app.config["JSON_BODY_MAX_BYTES"]:
            raise RequestEntityTooLarge(f"JSON bodies are limited to {app.config['JSON_BODY_MAX_BYTES']} bytes.")
