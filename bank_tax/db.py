"""Database engine, per-request sessions and the column types every domain shares.

SQLModel tables of every domain live on ``SQLModel.metadata``; Alembic (``migrations/``) owns the schema.
SQLite is the embedded default and PostgreSQL the production database; the differences that matter
(write locking, timestamps) are handled here so that no domain has to know which one it runs on.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import sqlalchemy as sa
from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlmodel import SQLModel

metadata = SQLModel.metadata
# Deterministic constraint names, so migrations and autogenerate agree on both databases.
metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# A 64-bit surrogate key that is still SQLite's auto-incrementing rowid there.
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored as UTC and always returned timezone-aware.

    SQLite has no time zones and PostgreSQL's ``timestamptz`` returns the session zone; both come back
    here as aware UTC, and a naive value on the way in is refused rather than guessed at.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine for ``url`` with the settings each backend needs.

    SQLite: WAL journal, foreign keys on, a generous busy timeout, and every transaction opened with
    ``BEGIN IMMEDIATE`` so that writers queue instead of failing on a stale snapshot (the hash-chained
    audit log reads its head and appends in one transaction) — except transactions declared read-only,
    which read a WAL snapshot beside the writers. PostgreSQL: pre-ping, so a restarted
    server does not poison the pool.
    """
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (pysqlite's is broken)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable at checkpoints, never corrupt
            cur.execute("PRAGMA cache_size=-65536")  # 64 MiB of page cache for bulk batches
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection):
            # a transaction declared read-only (see Database.read_only) takes no write lock, so readers in
            # several processes run side by side; a deferred one that tries to write fails at once
            deferred = conn.get_execution_options().get("bank_tax_read_only")
            conn.exec_driver_sql("BEGIN DEFERRED" if deferred else "BEGIN IMMEDIATE")

        return engine
    return sa.create_engine(url, pool_pre_ping=True, **kwargs)


class Database:
    """The Flask extension: one engine per app, one session per app context.

    The engine and session factory live in ``app.extensions`` so that several apps (tests) coexist.
    Services receive the session explicitly; views get it from :attr:`session` and commit.
    Tests call :meth:`bind_to` to run every session inside one outer transaction that they roll back.
    """

    def init_app(self, app: Flask) -> None:
        """Create the engine for the app's ``DATABASE_URL`` and close sessions after each request."""
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["bank_tax_db"] = {
            "engine": engine,
            "factory": sessionmaker(bind=engine, expire_on_commit=False),
        }
        app.teardown_appcontext(self._close)

    @staticmethod
    def _state(app: Flask | None = None) -> dict:
        return (app or current_app).extensions["bank_tax_db"]

    def engine_of(self, app: Flask | None = None) -> Engine:
        """The app's engine (the current app when none is given)."""
        return self._state(app)["engine"]

    @property
    def engine(self) -> Engine:
        """The current app's engine."""
        return self.engine_of()

    def bind_to(self, app: Flask, connection: Connection) -> None:
        """Make every new session of ``app`` join ``connection``'s transaction, committing to savepoints."""
        self._state(app)["factory"] = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )

    def new_session(self) -> Session:
        """Open a session outside the request scope (CLI, jobs); the caller closes it."""
        return self._state()["factory"]()

    @property
    def session(self) -> Session:
        """The session of the current app context, opened on first use."""
        if "db_session" not in g:
            g.db_session = self.new_session()
        return g.db_session

    def read_only(self) -> Session:
        """Declare the request's session read-only before its first query (SQLite then reads a snapshot
        without taking the write lock; elsewhere nothing changes). For views that never write."""
        session = self.session
        session.connection(execution_options={"bank_tax_read_only": True})
        return session

    @contextmanager
    def scope(self) -> Iterator[Session]:
        """A session for one unit of work outside a request: commit on success, roll back on error."""
        session = self.new_session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @staticmethod
    def _close(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()  # anything not committed by the view is rolled back here


db = Database()


def partitions(conn: Connection) -> set[str]:
    """Names of the tables that are partitions of another (PostgreSQL's declarative partitioning; none on
    SQLite). The application sees their parent only: it reads and writes through it."""
    if conn.dialect.name != "postgresql":
        return set()
    sql = (
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relispartition AND n.nspname = current_schema()"
    )
    return set(conn.execute(sa.text(sql)).scalars())


def table_names(conn: Connection) -> list[str]:
    """The database's tables as the application knows them, sorted: a partitioned table counts once."""
    parts = partitions(conn)
    return sorted(t for t in sa.inspect(conn).get_table_names() if t not in parts)


def is_unique_violation(exc: sa.exc.IntegrityError) -> bool:
    """Tell a unique/primary-key violation apart from other integrity errors, on both backends."""
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)  # psycopg 3
    if sqlstate is not None:
        return sqlstate == "23505"
    return "UNIQUE constraint failed" in str(orig)


def is_foreign_key_violation(exc: sa.exc.IntegrityError) -> bool:
    """Tell a reference to a missing row apart from other integrity errors, on both backends."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate == "23503"
    return "FOREIGN KEY constraint failed" in str(exc.orig)


def dialect_name(session: Session) -> str:
    """Return ``'sqlite'`` or ``'postgresql'`` for the session's bind."""
    return session.get_bind().dialect.name


def _day_text(days: np.ndarray) -> np.ndarray:
    """ISO day strings for datetime64[D] values (NaT → ''), formatted once per distinct day and gathered."""
    valid = ~np.isnat(days)
    if not valid.any():
        return np.full(days.shape[0], "", dtype="U10")
    n = days.astype(np.int64)
    lo, hi = n[valid].min(), n[valid].max()
    table = np.arange(lo, hi + 1).astype("datetime64[D]").astype("U10")
    return np.where(valid, table[np.clip(n - lo, 0, hi - lo)], "")


_CLOCK = None


def _clock() -> np.ndarray:
    """'HH:MM:SS' for every second of a day."""
    global _CLOCK
    if _CLOCK is None:
        s = np.arange(86400)
        _CLOCK = np.array([f"{h:02d}:{m:02d}:{x:02d}" for h, m, x in zip(s // 3600, s // 60 % 60, s % 60, strict=True)])
    return _CLOCK


def _time_text(ts: np.ndarray) -> np.ndarray:
    """'YYYY-MM-DD HH:MM:SS.ffffff' (SQLAlchemy's SQLite storage format) for datetime64[us], by gathers."""
    us = ts.astype(np.int64)
    day = np.floor_divide(us, 86_400_000_000)
    within = us - day * 86_400_000_000
    text = np.char.add(np.char.add(_day_text(day.astype("datetime64[D]")), " "), _clock()[within // 1_000_000])
    frac = within % 1_000_000
    if (frac == 0).all():
        return np.char.add(text, ".000000")
    return np.char.add(np.char.add(text, "."), np.char.zfill(frac.astype(str), 6))


def _column_values(values, sql_type, dialect: str) -> list:
    """One column as a list of plain Python values the driver stores without adapters."""
    arr = np.asarray(values)
    if isinstance(sql_type, UTCDateTime):
        ts = arr.astype("datetime64[us]")
        nat = np.isnat(ts)
        text = _time_text(np.where(nat, np.datetime64(0, "us"), ts))
        if dialect == "postgresql":
            text = np.char.add(text, "+00")
        return np.where(nat, None, text).tolist()
    if isinstance(sql_type, sa.Date):
        days = arr.astype("datetime64[D]")
        return np.where(np.isnat(days), None, _day_text(days)).tolist()
    if isinstance(sql_type, sa.Boolean):
        return arr.astype(bool).tolist() if dialect == "postgresql" else arr.astype(np.int64).tolist()
    if arr.dtype == object:
        return arr.tolist()
    return arr.tolist()


def bulk_insert(session: Session, table: sa.Table, data: dict) -> int:
    """Insert whole columns (numpy arrays or lists) in the session's transaction, by the fastest path.

    SQLite: the driver's ``executemany``; PostgreSQL: ``COPY``. Money columns are integers (分), date
    columns ``datetime64[D]``, timestamp columns ``datetime64`` in UTC (NaT for NULL). Returns the row count.
    """
    columns = list(data)
    if not columns or len(data[columns[0]]) == 0:
        return 0
    conn = session.connection()
    dialect = conn.dialect.name
    compiled = None
    if dialect != "postgresql":
        # SQLAlchemy writes the statement (quoting, placeholders); the driver's executemany runs it.
        compiled = sa.insert(table).values({c: sa.bindparam(c) for c in columns}).compile(dialect=conn.dialect)
        n = len(data[columns[0]])
        columns = list(compiled.positiontup)
        for c in columns:  # columns left out that carry a Python-side default get it, as the ORM would
            if c not in data:
                default = table.c[c].default
                if default is None or not default.is_scalar:
                    raise KeyError(f"{table.name}.{c}: no value given and no scalar default")
                data = {**data, c: [default.arg] * n}
    cols = [_column_values(data[c], table.c[c].type, dialect) for c in columns]
    rows = list(zip(*cols, strict=True))
    dbapi = conn.connection.driver_connection
    if compiled is None:
        from psycopg import sql

        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
        )
        with dbapi.cursor() as cur, cur.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)
        return len(rows)
    cur = dbapi.cursor()
    try:
        cur.executemany(compiled.string, rows)
    finally:
        cur.close()
    return len(rows)


def _arrow_type(column):
    """The Arrow type a selected column's CSV text is read as (text for dates cast to text)."""
    import pyarrow as pa

    t = column.type
    if isinstance(t, sa.Boolean):
        return pa.bool_()
    if isinstance(t, sa.Integer):
        return pa.int64()
    if isinstance(t, sa.Float | sa.Numeric):
        return pa.float64()
    return pa.string()


def fetch_columns(session: Session, stmt: sa.Select, params: dict) -> list:
    """The result of ``stmt`` as one sequence per selected column, read in bulk.

    PostgreSQL: the query leaves the server with ``COPY … TO STDOUT`` as CSV and is parsed by Arrow in C,
    never as one Python row object per row; columns come back as numpy arrays (integers with NULLs as
    float with NaN, text with NULLs as objects with None). SQLite: the driver's rows, transposed.
    Both in the session's transaction.
    """
    conn = session.connection()
    columns = list(stmt.selected_columns)
    if conn.dialect.name != "postgresql":
        rows = conn.execute(stmt, params).all()
        return [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in columns]
    import pyarrow.csv as pacsv

    sql = stmt.params(**params).compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}).string
    buf = io.BytesIO()
    with conn.connection.driver_connection.cursor() as cur:
        with cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
            for block in copy:
                buf.write(block)
    names = [f"c{i}" for i in range(len(columns))]
    if buf.tell() == 0:
        return [[] for _ in columns]
    buf.seek(0)
    table = pacsv.read_csv(
        buf,
        read_options=pacsv.ReadOptions(column_names=names),
        convert_options=pacsv.ConvertOptions(
            column_types={n: _arrow_type(c) for n, c in zip(names, columns, strict=True)},
            true_values=["t"],
            false_values=["f"],
            null_values=[""],  # only what PostgreSQL writes for NULL: a text "NA" stays "NA"
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,  # PostgreSQL writes NULL unquoted, an empty text as ""
        ),
    )
    return [table.column(i).to_numpy(zero_copy_only=False) for i in range(len(columns))]
