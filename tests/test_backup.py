"""Backup, then restore into a fresh database: every table's rows and the audit chain come back whole;
a restore never overwrites a database in use."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import backup
from bank_tax.db import db
from bank_tax.errors import Conflict
from tests import factories
from tests.conftest import backend, fresh_database
from tests.matching.helpers import firm

SECRET = "s3cret:with\\odd-chars"  # noqa: S105 (a test's throwaway password)

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


def test_the_client_programs_get_the_password_from_a_private_passfile(monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "an-older-one")  # it would win over the passfile: not passed on
    url = sa.engine.make_url(f"postgresql+psycopg://bank_tax:{SECRET.replace(':', '%3A')}@db.example:5433/bt")
    with backup.libpq(url) as (dsn, env):
        assert dsn == "postgresql://bank_tax@db.example:5433/bt" and "PGPASSWORD" not in env
        passfile = Path(env["PGPASSFILE"])
        assert stat.S_IMODE(passfile.stat().st_mode) == 0o600
        assert stat.S_IMODE(passfile.parent.stat().st_mode) == 0o700
        assert passfile.read_text() == "*:*:*:*:s3cret\\:with\\\\odd-chars\n"  # libpq escapes : and \ with \
    assert not passfile.exists() and not passfile.parent.exists()
    with backup.libpq(sa.engine.make_url("postgresql://bank_tax@db/bt?password=pw&sslmode=require")) as (dsn, env):
        assert dsn == "postgresql://bank_tax@db/bt?sslmode=require" and "pw" in Path(env["PGPASSFILE"]).read_text()
    with backup.libpq(sa.engine.make_url("postgresql://bank_tax@db/bt")) as (dsn, env):
        assert "PGPASSFILE" not in env and env["PGPASSWORD"] == "an-older-one"  # the operator's own, untouched


@pytest.mark.skipif(backend() != "postgresql", reason="pg_dump and pg_restore: the PostgreSQL run only")
def test_pg_dump_and_pg_restore_never_see_the_password_in_their_arguments(committing_app, tmp_path, monkeypatch):
    """Each client program is run through a script that records what ``ps`` would show (its arguments) and
    the passfile it was given, then runs the real program: the backup and restore still work."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in ("pg_dump", "pg_restore"):
        script = bindir / name
        script.write_text(
            "#!/bin/sh\n"
            f'printf "%s\\n" "$0" "$@" > "{tmp_path}/{name}.argv"\n'
            f'stat -c %a "$PGPASSFILE" > "{tmp_path}/{name}.mode"; cat "$PGPASSFILE" > "{tmp_path}/{name}.pass"\n'
            f'exec {backup._pg_program(name)} "$@"\n'
        )
        script.chmod(0o700)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    with_password = sa.engine.make_url(committing_app.config["DATABASE_URL"]).set(password=SECRET)
    dump = backup.backup(with_password.render_as_string(hide_password=False), tmp_path / "p.backup")
    with fresh_database(tmp_path) as target:
        backup.restore(dump, sa.engine.make_url(target).set(password=SECRET).render_as_string(hide_password=False))
    for name in ("pg_dump", "pg_restore"):
        argv = (tmp_path / f"{name}.argv").read_text()
        assert argv.startswith(str(bindir / name))  # the script ran, with the program's arguments
        assert "s3cret" not in argv and "odd-chars" not in argv
        assert (tmp_path / f"{name}.mode").read_text().strip() == "600"
        assert (tmp_path / f"{name}.pass").read_text().startswith("*:*:*:*:s3cret\\:")
