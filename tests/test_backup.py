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


def test_a_backup_carries_the_store_files_and_a_restore_checks_them(committing_app, tmp_path):
    """Feature snapshots live in the columnar store, outside the database: a backup copies the files the
    database points to beside it, a restore puts them into the new store and checks every digest."""
    import datetime as dt

    import numpy as np

    from bank_tax import create_app
    from bank_tax.config import TestConfig
    from bank_tax.features import pipeline
    from bank_tax.features import service as snapshots

    at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    with committing_app.app_context(), db.scope() as s:
        codes = [firm(s, grade="A").uscc for _ in range(2)]
        frame = pipeline.compute(s, usccs=codes, as_of=at)
        sid = snapshots.save(s, frame, as_of=at).id
    out = tmp_path / "b.backup"
    result = committing_app.test_cli_runner().invoke(args=["backup", "--out", str(out)])
    assert result.exit_code == 0 and "1 store files" in result.output, result.output
    new_store = tmp_path / "restored-store"
    with fresh_database(tmp_path) as target:
        done = committing_app.test_cli_runner().invoke(
            args=["restore", str(out), "--into", target, "--store", str(new_store)]
        )
        assert done.exit_code == 0 and "store files complete" in done.output, done.output
        restored = create_app(
            TestConfig, instance_path=str(tmp_path / "i2"), DATABASE_URL=target, STORE_PATH=str(new_store)
        )
        with restored.app_context(), db.scope() as s:
            again = snapshots.load(s, sid)
        db.engine_of(restored).dispose()
    assert np.array_equal(again.values, frame.values, equal_nan=True)

    for f in (out.parent / "b.backup.store").rglob("*.parquet"):
        f.unlink()  # a backup whose store files were lost
    (tmp_path / "second").mkdir()
    with fresh_database(tmp_path / "second") as target:
        bad = committing_app.test_cli_runner().invoke(
            args=["restore", str(out), "--into", target, "--store", str(tmp_path / "empty-store")]
        )
    assert bad.exit_code != 0 and "1 MISSING OR ALTERED" in bad.output, bad.output
