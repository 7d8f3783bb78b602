"""Fixtures: a real database (SQLite by default, PostgreSQL when ``BANK_TAX_TEST_DATABASE`` names a
server), migrated once per run with Alembic; every test runs inside a transaction that is rolled back.

Tests that need several real connections (races) use ``committing_app``: a throwaway database of their own.

Every test starts at one chosen moment, never at the machine's date: ``BANK_TAX_TEST_MOMENT`` (an ISO
timestamp; default :data:`SUITE_MOMENT`). The platform's clock (:mod:`bank_tax.clock`) is moved there for
the collection and the session fixtures, and back to it at the start of each test; it ticks on from there.
``make test-moments`` runs the tests marked ``dated`` at each moment of :data:`tests.moments.MATRIX`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from bank_tax import clock, create_app
from bank_tax.config import TestConfig
from bank_tax.db import db
from bank_tax.migrate import upgrade

BACKEND_URL = os.environ.get("BANK_TAX_TEST_DATABASE", "sqlite")
# A Wednesday mid-month, mid-morning in Hangzhou, no holiday near: the suite's moment unless one is chosen.
SUITE_MOMENT = "2026-11-18T10:00:00+08:00"
MOMENT = clock.parse_moment(os.environ.get("BANK_TAX_TEST_MOMENT") or SUITE_MOMENT)
_session_clock = None


def pytest_configure(config):
    """Move the clock to the run's moment before anything is collected or set up."""
    global _session_clock
    _session_clock = clock.travel(MOMENT)
    _session_clock.__enter__()


def pytest_unconfigure(config):
    if _session_clock is not None:
        _session_clock.__exit__(None, None, None)


def pytest_report_header(config):
    return f"bank-tax clock: {MOMENT.isoformat()} (Shanghai {MOMENT.astimezone(clock.SHANGHAI):%Y-%m-%d %H:%M %a})"


@pytest.fixture(autouse=True)
def _at_the_moment():
    """Each test starts at the run's moment (then the clock ticks on, so events still have an order)."""
    with clock.travel(MOMENT):
        yield


def backend() -> str:
    """'sqlite' or 'postgresql': which database this run of the suite uses."""
    return "sqlite" if BACKEND_URL == "sqlite" else "postgresql"


@contextmanager
def fresh_database(tmp_dir: Path) -> Iterator[str]:
    """Create an empty database on this run's backend, yield its URL, and drop it afterwards."""
    if backend() == "sqlite":
        yield f"sqlite:///{tmp_dir / f'bt-{uuid.uuid4().hex[:8]}.sqlite'}"
        return
    name = f"bt_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(BACKEND_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.engine.make_url(BACKEND_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """One migrated database for the whole run."""
    with fresh_database(tmp_path_factory.mktemp("db")) as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    """The application on the run's database, with a private instance folder."""
    application = create_app(
        TestConfig, instance_path=str(tmp_path_factory.mktemp("instance")), DATABASE_URL=database_url
    )
    yield application
    db.engine_of(application).dispose()


@pytest.fixture
def connection(app):
    """An open transaction that every session of the app joins; rolled back after the test."""
    engine = db.engine_of(app)
    conn = engine.connect()
    outer = conn.begin()
    saved = app.extensions["bank_tax_db"]["factory"]
    db.bind_to(app, conn)
    try:
        yield conn
    finally:
        app.extensions["bank_tax_db"]["factory"] = saved
        outer.rollback()
        conn.close()


@pytest.fixture
def session(app, connection):
    """A session inside the rolled-back transaction.

    No app context stays pushed during the test: requests made by the test client must each get their
    own (Flask reuses a pushed one, and with it ``g``).
    """
    with app.app_context():
        s = db.new_session()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def client(app, connection):
    """A test client whose requests all run in the test's transaction."""
    return app.test_client()


@pytest.fixture
def committing_app(tmp_path):
    """An app on a throwaway migrated database where commits are real (for races between connections)."""
    with fresh_database(tmp_path) as url:
        upgrade(url)
        application = create_app(TestConfig, instance_path=str(tmp_path / "instance"), DATABASE_URL=url)
        yield application
        db.engine_of(application).dispose()


@pytest.fixture(scope="session")
def fitted():
    """A scoring model trained once per run on a catalogue-shaped synthetic matrix."""
    from bank_tax.modelling import train
    from tests.modelling.data import CATEGORIES, DIRECTIONS, NAMES, catalogue_matrix

    X, y, t = catalogue_matrix(4000, seed=11)
    return train.fit(X, y, names=NAMES, directions=DIRECTIONS, categories=CATEGORIES, time=t, seed=1)


@pytest.fixture(scope="session")
def _champion_registry(fitted, tmp_path_factory):
    from bank_tax.modelling.registry import Registry

    reg = Registry(tmp_path_factory.mktemp("models"))
    version = reg.register(fitted.model, {"data": {"source": "tests"}, "evaluation": fitted.report})
    reg.promote(version)
    return reg.root, version


@pytest.fixture
def champion(app, _champion_registry):
    """The app scoring with the trained model as champion (its registry folder is shared by the run)."""
    root, version = _champion_registry
    saved = app.config["MODEL_DIR"]
    app.config["MODEL_DIR"] = str(root)
    try:
        yield version
    finally:
        app.config["MODEL_DIR"] = saved
