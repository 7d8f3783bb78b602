"""Backups and restores of the whole database, and the check that a restore is whole.

SQLite: the online backup API (a consistent copy while the app keeps running). PostgreSQL: ``pg_dump``
in its custom format and ``pg_restore`` into an empty database (Debian's client programs; found on the
PATH or under ``/usr/lib/postgresql/*/bin``). A restore goes into a fresh, empty database only: it never
overwrites one in use. :func:`summary` gives every table's row count and the audit chain's verdict, so a
restore can be compared with its source.

The database's password never goes on a client program's command line (``ps`` shows any process's
arguments to every user of the machine): it goes in a passfile of mode 0600 that lives as long as the
program runs.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from bank_tax import clock, store
from bank_tax.db import db
from bank_tax.db import table_names as db_tables
from bank_tax.errors import Conflict, Invalid
from bank_tax.security import audit


def _sqlite_path(url: sa.engine.URL) -> str:
    if not url.database or url.database == ":memory:":
        raise Invalid("an in-memory database cannot be backed up")
    return url.database


def _pg_program(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise Invalid(f"{name} is not installed (Debian: postgresql-client)")
    return found


@contextmanager
def libpq(url: sa.engine.URL) -> Iterator[tuple[str, dict[str, str]]]:
    """The URL as libpq reads it, without its password, and the environment to run a client program in.

    The password (of the URL, or a ``password=`` in its query) is written to a passfile of mode 0600 in a
    private temporary directory, named by ``PGPASSFILE`` and deleted when the block ends. libpq advises a
    passfile over ``PGPASSWORD``, which some systems' ``ps`` also shows."""
    password = url.password
    if password is None and isinstance(url.query.get("password"), str):
        password = url.query["password"]
    dsn = sa.engine.URL.create(  # not url.set(password=None): set() leaves a None argument unchanged
        "postgresql", url.username, None, url.host, url.port, url.database, url.query
    ).difference_update_query(["password"])
    if password is None:  # the operator's own PGPASSWORD or ~/.pgpass, if any, still apply
        yield dsn.render_as_string(hide_password=False), dict(os.environ)
        return
    env = {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}  # it would win over the passfile
    with tempfile.TemporaryDirectory(prefix="bank-tax-pg-") as private:  # mode 0700
        passfile = Path(private) / "pgpass"
        fd = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("*:*:*:*:" + str(password).replace("\\", "\\\\").replace(":", "\\:") + "\n")
        yield dsn.render_as_string(hide_password=False), {**env, "PGPASSFILE": str(passfile)}


def backup(database_url: str, dest: Path) -> Path:
    """Write a consistent copy of the database to ``dest`` (created or replaced); return it."""
    url = sa.engine.make_url(database_url)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    if url.get_backend_name() == "sqlite":
        src = sqlite3.connect(_sqlite_path(url))
        try:
            out = sqlite3.connect(tmp)
            with out:
                src.backup(out)
            out.close()
        finally:
            src.close()
    else:
        with libpq(url) as (dsn, env):
            subprocess.run(
                [_pg_program("pg_dump"), "--format=custom", "--no-owner", f"--file={tmp}", dsn],
                check=True,
                capture_output=True,
                env=env,
            )
    tmp.replace(dest)  # a crash mid-backup leaves the previous backup, never half of one
    return dest


def _is_empty(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        return not db_tables(conn)


def restore(src: Path, database_url: str) -> None:
    """Restore the backup ``src`` into the empty database at ``database_url`` (409 when it holds tables)."""
    url = sa.engine.make_url(database_url)
    engine = sa.create_engine(url)
    try:
        if not _is_empty(engine):
            raise Conflict("restore only into an empty database / 只能恢复到空数据库")
    finally:
        engine.dispose()
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(Path(src))
        try:
            target = sqlite3.connect(_sqlite_path(url))
            with target:
                source.backup(target)
            target.close()
        finally:
            source.close()
    else:
        with libpq(url) as (dsn, env):
            subprocess.run(
                [_pg_program("pg_restore"), "--no-owner", "--exit-on-error", f"--dbname={dsn}", str(src)],
                check=True,
                capture_output=True,
                env=env,
            )


STORE_TABLES = ("feature_snapshot_part", "score_run_part")  # the tables whose rows name columnar-store files


def store_files(session: Session) -> list[tuple[str, str]]:
    """(path, digest) of every columnar-store file the database points to (feature snapshot and score run
    parts)."""
    present = set(db_tables(session.connection()))
    out: list[tuple[str, str]] = []
    for name in STORE_TABLES:
        if name in present:  # a database at an older revision has fewer
            t = sa.table(name, sa.column("path"), sa.column("sha256"))
            out += [(p, h) for p, h in session.execute(sa.select(t.c.path, t.c.sha256))]
    return sorted(out)


def copy_store(files: list[tuple[str, str]], src: Path, dest: Path) -> int:
    """Copy the store's files (written once, never changed) from ``src`` to ``dest``; return how many were
    copied (files already there, or missing at the source, are left to :func:`summary` to check)."""
    copied = 0
    for rel, _ in files:
        target = dest / rel
        if target.exists() or not (src / rel).exists():  # a missing one is reported by summary()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".part")
        shutil.copyfile(src / rel, tmp)
        tmp.replace(target)
        copied += 1
    return copied


def summary(session: Session, store_path: Path | None = None) -> dict:
    """Every table's row count, the audit chain's verification and (given the store) whether every store
    file the database points to is there with its recorded digest, to compare a restore with its source."""
    tables = db_tables(session.connection())
    counts = {t: session.execute(sa.select(sa.func.count()).select_from(sa.table(t))).scalar_one() for t in tables}
    chain = audit.verify(session)
    out = {"tables": counts, "audit_ok": chain.ok, "audit_events": chain.checked}
    if store_path is not None and any(t in tables for t in STORE_TABLES):
        bad = [rel for rel, sha in store_files(session) if not _intact(store_path / rel, sha)]
        out["store_files_missing_or_altered"] = bad
    return out


def _intact(path: Path, sha256: str) -> bool:
    return path.exists() and store.digest(path) == sha256


@click.command("backup")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="default: instance/backups/TIMESTAMP")
@with_appcontext
def backup_command(out: Path | None) -> None:
    """Write a consistent backup of the database (SQLite online backup; PostgreSQL pg_dump)."""
    url = current_app.config["DATABASE_URL"]
    if out is None:
        suffix = "sqlite" if url.startswith("sqlite") else "dump"
        out = Path(current_app.instance_path) / "backups" / f"bank-tax-{clock.now():%Y%m%dT%H%M%SZ}.{suffix}"
    with db.scope() as session:
        facts = summary(session)
    path = backup(url, out)
    with db.scope() as session:  # after the database: files are never changed, so every one it names is here
        files = store_files(session)
    copied = copy_store(files, store.root(), path.with_name(path.name + ".store"))
    rows = sum(facts["tables"].values())
    click.echo(
        f"backup written: {path} ({rows} rows in {len(facts['tables'])} tables, audit chain ok: {facts['audit_ok']});"
        f" {copied} store files beside it in {path.name}.store/"
    )


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--into", "target", required=True, help="URL of an empty database to restore into")
@click.option(
    "--store",
    "store_path",
    type=click.Path(path_type=Path),
    default=None,
    help="the restored installation's STORE_PATH: the backup's store files are copied there and checked",
)
def restore_command(source: Path, target: str, store_path: Path | None) -> None:
    """Restore a backup into an empty database (and its store files), then check every table, the audit
    chain and every store file."""
    restore(source, target)
    engine = sa.create_engine(target)
    try:
        with Session(engine) as session:
            if store_path is not None:
                copy_store(store_files(session), source.with_name(source.name + ".store"), store_path)
            facts = summary(session, store_path)
    finally:
        engine.dispose()
    bad = facts.get("store_files_missing_or_altered", [])
    click.echo(
        f"restored {sum(facts['tables'].values())} rows in {len(facts['tables'])} tables; "
        f"audit chain {'verified' if facts['audit_ok'] else 'BROKEN'} ({facts['audit_events']} events)"
        + (f"; store files {'complete' if not bad else f'{len(bad)} MISSING OR ALTERED'}" if store_path else "")
    )
    if not facts["audit_ok"] or bad:
        raise SystemExit(1)
