"""Schema migrations (Alembic in ``migrations/``) driven from Python: the CLI, ``make run`` and tests use these."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy.engine import Connection

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(
    url: str | None = None, connection: Connection | None = None, store_path: str | None = None
) -> AlembicConfig:
    """An Alembic config pointing at ``migrations/`` and at ``url`` (or an open ``connection``); revisions
    that move data into the columnar store find it at ``store_path`` (default: as the app would)."""
    cfg = AlembicConfig(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    if store_path is not None:
        cfg.attributes["store_path"] = store_path
    return cfg


def upgrade(url: str, revision: str = "head", *, store_path: str | None = None) -> None:
    """Apply migrations up to ``revision``."""
    command.upgrade(alembic_config(url, store_path=store_path), revision)


def downgrade(url: str, revision: str = "base", *, store_path: str | None = None) -> None:
    """Revert migrations down to ``revision``."""
    command.downgrade(alembic_config(url, store_path=store_path), revision)
