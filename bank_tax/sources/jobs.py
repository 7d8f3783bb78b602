"""Scheduled jobs of the sources domain (run by the scheduler process)."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from bank_tax.db import db
from bank_tax.sources import service


def scan_inbox() -> list[dict]:
    """Ingest what the agencies dropped in ``instance/inbox/SOURCE/`` (every few minutes)."""
    inbox = Path(current_app.config.get("INBOX_PATH") or Path(current_app.instance_path) / "inbox")
    return service.scan_inbox(db.scope, inbox)
