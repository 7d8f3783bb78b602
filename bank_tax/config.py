"""Settings from the environment, with embedded defaults that work on a fresh machine.

Every setting can be overridden by an environment variable of the same name (``DATABASE_URL``,
``SECRET_KEY``) or prefixed ``BANK_TAX_`` (``BANK_TAX_LOGIN_MAX_FAILURES``). The defaults put an SQLite
database and the generated secrets under ``instance/``; nothing is created at import time.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PREFIX = "BANK_TAX_"
REPO = Path(__file__).resolve().parent.parent


class Config:
    """Defaults for a local run. Values are read by :func:`load_config`."""

    DATABASE_URL: str | None = None  # default: sqlite under instance/
    SECRET_KEY: str | None = None  # default: generated once into instance/secret_key
    PII_KEY: str | None = None  # seals ID numbers and phones at rest; default: generated into instance/pii_key
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024  # request bodies (uploads included); over it: 413
    JSON_BODY_MAX_BYTES = 1024 * 1024  # JSON API bodies; over it: 413
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set BANK_TAX_SESSION_COOKIE_SECURE=1 behind TLS
    # reverse proxies in front that set X-Forwarded-For/-Proto/-Host (0: none; trust no such header)
    PROXY_HOPS = 0

    # security
    TOKEN_TTL_HOURS = 8  # bearer tokens from POST /auth/token
    API_TOKEN_MAX_DAYS = 365  # long-lived API tokens for bank systems
    # login throttling (bank_tax.security.service.Throttle): failures slow down one name from one address
    LOGIN_MAX_FAILURES = 5  # failures of a name from an address, then each next attempt of theirs waits
    LOGIN_DELAY_SECONDS = 2  # the first wait, doubling with each further failure
    LOGIN_MAX_DELAY_MINUTES = 15  # the longest wait
    LOGIN_MAX_FAILURES_PER_IP = 30  # failures from one address within the window: it floods (see Throttle)
    LOGIN_WINDOW_MINUTES = 15
    LOGIN_MEMORY_HOURS = 24  # failures older than this are forgotten and purged (job security.purge_logins)
    PASSWORD_MIN_LENGTH = 10
    PASSWORD_HASH_N = 2**17  # scrypt cost (r=8, p=1): OWASP's minimum, 128 MiB per hash; weaker hashes upgrade at login

    # demo province (make run)
    DEMO_FIRMS = 400
    DEMO_MONTHS = 36
    DEMO_SEED = 20260101
    DEMO_APPLICATION_RATE = 0.25  # enough matured loans for the retraining notebook to run on the demo

    # the model registry (trained models and their cards) and the first champion's training province
    MODEL_DIR: str | None = str(REPO / "models")
    MODEL_BOOTSTRAP_FIRMS = 8000
    MODEL_BOOTSTRAP_MONTHS = 60
    MODEL_BOOTSTRAP_SEED = 20261122

    # the columnar store (Parquet feature snapshots and exports); default: instance/store
    STORE_PATH: str | None = None

    # the batch: firms per partition (memory is bounded by it) and worker processes (0: one per core)
    BATCH_PARTITION_FIRMS = 50_000
    BATCH_WORKERS = 0

    # firms' match answers kept per server process while nothing they depend on changes (0: off)
    MATCH_CACHE_FIRMS = 1024

    # flask-smorest / OpenAPI
    API_TITLE = "bank-tax"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/api/docs/static/"
    API_SPEC_OPTIONS = {
        "info": {
            "description": "银税互动 / 信易贷 platform API. Errors: `{code, message, errors}`.",
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
    TESTING = False


class TestConfig(Config):
    """Settings for the test suite: fast password hashing, a fixed secret, no demo data."""

    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105 (tests only, never deployed)
    PASSWORD_HASH_N = 2**10  # scrypt cost, small so tests stay fast
    LOGIN_MAX_FAILURES = 3
    MODEL_DIR = None  # a registry under the test's own instance folder, never the repository's models/


def _coerce(value: str, like: object) -> object:
    """Convert an environment string to the type of the default it replaces."""
    if isinstance(like, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(like, int):
        return int(value)
    if isinstance(like, float):
        return float(value)
    return value


def load_config(base: type[Config], instance_path: str, overrides: dict | None = None) -> dict:
    """Return the settings dict: class defaults, then environment, then explicit overrides.

    Fills ``DATABASE_URL`` (SQLite under ``instance/``) and ``SECRET_KEY`` (generated into
    ``instance/secret_key`` on first use, mode 0600) when neither the environment nor overrides set them.
    """
    values = {k: getattr(base, k) for k in dir(base) if k.isupper()}
    for key, default in list(values.items()):
        for name in (key, PREFIX + key):
            if name in os.environ:
                values[key] = _coerce(os.environ[name], default) if default is not None else os.environ[name]
    values.update(overrides or {})
    inst = Path(instance_path)
    if not values.get("DATABASE_URL"):
        inst.mkdir(parents=True, exist_ok=True)
        values["DATABASE_URL"] = f"sqlite:///{inst / 'bank_tax.sqlite'}"
    if not values.get("MODEL_DIR"):
        values["MODEL_DIR"] = str(inst / "models")
    if not values.get("STORE_PATH"):
        values["STORE_PATH"] = str(inst / "store")
    if not values.get("SECRET_KEY"):
        values["SECRET_KEY"] = _instance_secret(inst / "secret_key")
    if not values.get("PII_KEY"):
        values["PII_KEY"] = _instance_secret(inst / "pii_key")
    return values


def _instance_secret(path: Path) -> str:
    """Read the secret in ``path``, creating it with fresh random bytes the first time."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # atomic: a concurrent first start keeps whichever secret landed first
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()
