"""Backup, then restore into a fresh database: every table's rows and the audit chain come back whole;
a restore never overwrites a database in use."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import backup
from bank_tax.db import db
from bank_tax.errors import Conflict
from tests import factories
from tests.conftest import fresh_database
from tests.matching.helpers import firm

pytestmark = pytest.mark.dated  # make test-moments runs it at every moment of tests/moments.py


def test_a_restored_backup_has_every_row_and_a_whole_audit_chain(committing_app, tmp_path):
    url = committing_app.config["DATABASE_URL"]
    with committing_app.app_context(), db.scope() as s:
        bank = factories.bank(s)
        factories.product(s, bank.code, "YSD")
        for _ in range(3):
            firm(s, grade="A")  # registrations, batches, records, audit events
    with committing_app.app_context(), db.scope() as s:
        before = backup.summary(s)
    assert before["audit_ok"] and before["audit_events"] > 5 and before["tables"]["vat_declaration"] > 30

    dump = backup.backup(url, tmp_path / "bank-tax.backup")
    assert dump.exists() and not (tmp_path / "bank-tax.backup.part").exists()
    with fresh_database(tmp_path) as target:
        backup.restore(dump, target)
        engine = sa.create_engine(target)
        try:
            with Session(engine) as s:
                after = backup.summary(s)
        finally:
            engine.dispose()
        assert after == before
        with pytest.raises(Conflict):
            backup.restore(dump, target)  # the target now holds tables: refused


def test_the_cli_writes_a_backup(committing_app, tmp_path):
    runner = committing_app.test_cli_runner()
    out = tmp_path / "cli.backup"
    result = runner.invoke(args=["backup", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists() and out.stat().st_size > 0 and str(out) in result.output
