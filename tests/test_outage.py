"""The database going away mid-service: requests get a clean 503 in the one error format, and the app
serves again as soon as the database is back (pool pre-ping; no restart). A PostgreSQL cluster of its
own is stopped and started by the test (in the PostgreSQL run of the suite; SQLite has no server)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from bank_tax import create_app
from bank_tax.config import TestConfig
from bank_tax.db import db
from bank_tax.migrate import upgrade
from tests import factories
from tests.conftest import backend

pytestmark = pytest.mark.skipif(backend() != "postgresql", reason="a database server to stop: PostgreSQL only")


def _bindir() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    return (
        str(Path(found[0]).parent)
        if found
        else (str(Path(shutil.which("pg_ctl")).parent) if shutil.which("pg_ctl") else None)
    )


@pytest.fixture
def cluster():
    """(pg_ctl runner, URL) of a throwaway cluster on a free loopback port."""
    bindir = _bindir()
    if bindir is None:
        pytest.fail("PostgreSQL's server programs are missing (tests/with-postgres.sh installs them)")
    tmp = Path(tempfile.mkdtemp(prefix="bank-tax-outage-"))
    as_pg: list[str] = []
    if os.getuid() == 0:
        shutil.chown(tmp, "postgres")
        as_pg = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = tmp / "data"
    subprocess.run(
        [
            *as_pg,
            f"{bindir}/initdb",
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
        ],
        check=True,
        capture_output=True,
    )

    def ctl(action: str) -> None:
        args = [*as_pg, f"{bindir}/pg_ctl", "-D", str(data), "-l", str(tmp / "log"), "-w", "-t", "60"]
        if action == "start":
            args += ["-o", f"-h 127.0.0.1 -p {port} -k {tmp} -c fsync=off"]
        else:
            args += ["-m", "fast"]
        subprocess.run([*args, action], check=True, capture_output=True)

    ctl("start")
    try:
        yield ctl, f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_pg, f"{bindir}/pg_ctl", "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def test_a_lost_database_is_a_clean_503_and_the_app_recovers(cluster, tmp_path):
    ctl, url = cluster
    upgrade(url)
    app = create_app(TestConfig, instance_path=str(tmp_path / "instance"), DATABASE_URL=url)
    with app.app_context(), db.scope() as s:
        token = factories.token(s, factories.user(s, "operator"))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/banks", headers=headers).status_code == 200

    ctl("stop")
    down = client.get("/api/v1/banks", headers=headers)
    assert down.status_code == 503
    assert down.get_json() == {"code": 503, "message": down.get_json()["message"], "errors": {}}

    ctl("start")
    assert client.get("/api/v1/banks", headers=headers).status_code == 200
    with app.app_context(), db.scope() as s:
        assert s.scalar(sa.select(sa.literal(1))) == 1
    db.engine_of(app).dispose()
