"""Benchmark: ingest one million VAT declaration rows from CSV, against a bare driver insert of the
same rows already parsed (the floor any ingestion path sits on), on SQLite and, when a server is
given (``BANK_TAX_TEST_DATABASE``), on PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
import uuid
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import clock
from bank_tax.bench.harness import Case, case
from bank_tax.db import make_engine
from bank_tax.enterprises import uscc as uscc_mod
from bank_tax.migrate import upgrade
from bank_tax.sources import ingest
from bank_tax.sources.specs import SOURCES

VAT = SOURCES["vat_declarations"]
INSERT_COLUMNS = [
    "uscc",
    "period",
    "version",
    "taxable_sales",
    "tax_payable",
    "tax_paid",
    "is_zero",
    "due_date",
    "filed_on",
    "received_at",
    "batch_id",
    "row_hash",
]


def vat_file(n: int, seed: int = 3) -> tuple[bytes, list[tuple]]:
    """A clean VAT file of about ``n`` rows (firms × 36 months), and the same rows parsed for the driver."""
    rng = np.random.default_rng(seed)
    months = 36
    firms = max(1, n // months)
    alphabet = np.array(list(uscc_mod.ALPHABET))
    codes = np.array(
        [uscc_mod.make(division="330106", body8="".join(alphabet[rng.integers(0, 31, 8)])) for _ in range(firms)]
    )
    codes = np.unique(codes)
    firms = codes.shape[0]
    period = np.arange(np.datetime64("2022-01"), np.datetime64("2022-01") + months)
    u = np.repeat(codes, months)[:n]
    p = np.tile(period, firms)[:n]
    sales = rng.integers(0, 10_000_000, u.shape[0]) * 100
    payable = sales // 100 * 3
    due = (p + 1).astype("datetime64[D]") + 14
    filed = due - rng.integers(0, 10, u.shape[0])
    received = filed.astype("datetime64[s]") + 26 * 3600
    text_cols = [
        u,
        p.astype(str),
        np.ones(u.shape[0], dtype=np.int64).astype(str),
        np.char.add((sales // 100).astype(str), ".00"),
        np.char.add((payable // 100).astype(str), ".00"),
        np.char.add((payable // 100).astype(str), ".00"),
        np.zeros(u.shape[0], dtype=np.int64).astype(str),
        due.astype(str),
        filed.astype(str),
        np.char.add(received.astype(str), "+00:00"),
    ]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(VAT.columns)
    writer.writerows(zip(*text_cols, strict=True))
    parsed = list(
        zip(
            u.tolist(),
            p.astype("datetime64[D]").astype(str).tolist(),
            [1] * u.shape[0],
            sales.tolist(),
            payable.tolist(),
            payable.tolist(),
            [False] * u.shape[0],
            due.astype(str).tolist(),
            filed.astype(str).tolist(),
            np.char.replace(received.astype(str), "T", " ").tolist(),
            [None] * u.shape[0],
            list(range(u.shape[0])),
            strict=True,
        )
    )
    return buf.getvalue().encode(), parsed


def _fresh_sqlite() -> str:
    path = Path(tempfile.mkdtemp(prefix="bank-tax-bench-")) / "bench.sqlite"
    url = f"sqlite:///{path}"
    upgrade(url)
    return url


def _fresh_postgres(admin_url: str) -> str:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return url


def _ours(url: str, data: bytes):
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            batch, _ = ingest.ingest(session, source=VAT, data=data, filename="bench.csv", actor=None)
            session.commit()
            return batch.inserted
    finally:
        engine.dispose()


def _bare(url: str, rows: list[tuple]) -> int:
    """The driver alone, rows already parsed, one transaction: SQLite's executemany, PostgreSQL's COPY (the
    fastest way rows enter PostgreSQL; the ingestion target is ≤ 2× it)."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            raw = conn.connection.driver_connection
            if conn.dialect.name == "postgresql":
                from psycopg import sql as psql

                copy_sql = psql.SQL("COPY vat_declaration ({}) FROM STDIN").format(
                    psql.SQL(", ").join(map(psql.Identifier, INSERT_COLUMNS))
                )
                with raw.cursor() as cur, cur.copy(copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row)
                return len(rows)
            cur = raw.cursor()
            marks = ", ".join(["?" if conn.dialect.name == "sqlite" else "%s"] * len(INSERT_COLUMNS))
            cols = ", ".join(INSERT_COLUMNS)
            cur.executemany(f"INSERT INTO vat_declaration ({cols}) VALUES ({marks})", rows)  # noqa: S608 (fixed names)
            cur.close()
        return len(rows)
    finally:
        engine.dispose()


@case("ingest_vat_sqlite", size=1_000_000, quick_size=20_000)
def ingest_sqlite(n: int) -> Case:
    """Parse, validate, de-duplicate and store n VAT rows in SQLite vs. the bare executemany of them."""
    data, rows = vat_file(n)
    urls = iter([_fresh_sqlite(), _fresh_sqlite()])
    return Case(
        ours=lambda: _ours(next(urls), data),
        reference=lambda: _bare(next(urls), rows),
        agree=lambda a, b: a == b,
        unit="rows",
        reference_name="sqlite3 executemany of parsed rows",
        repeats=1,
        notes="target: ≥ 50,000 rows/s and ≤ 3× the bare insert",
    )


@case("ingest_vat_postgres", size=1_000_000, quick_size=20_000)
def ingest_postgres(n: int) -> Case | None:
    """The same on PostgreSQL (our path uses COPY) vs. COPY alone of the parsed rows (target: ≥ 150,000
    validated rows/s and ≤ 2× COPY)."""
    admin = os.environ.get("BANK_TAX_TEST_DATABASE")
    if not admin or admin == "sqlite":
        return None
    data, rows = vat_file(n)
    urls = iter([_fresh_postgres(admin), _fresh_postgres(admin)])
    return Case(
        ours=lambda: _ours(next(urls), data),
        reference=lambda: _bare(next(urls), rows),
        agree=lambda a, b: a == b,
        unit="rows",
        reference_name="psycopg COPY of parsed rows",
        repeats=1,
        notes="target: ≥ 150,000 rows/s and ≤ 2× COPY alone",
    )


# -- reads ------------------------------------------------------------------------------------------------
READ_TABLES = (
    "vat_declaration",
    "social_insurance",
    "housing_fund",
    "utility_bill",
    "tax_arrear",
    "credit_grade",
    "public_credit_entry",
)


def _copy_bytes(url: str, as_of: dt.datetime) -> int:
    """The reference: every row of every table the features read, received by ``as_of``, as COPY sends it
    (CSV bytes, nothing parsed); returns the rows."""
    from psycopg import sql as psql

    engine = make_engine(url)
    rows = 0
    try:
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            for table in READ_TABLES:
                cols = [c.name for c in sa.Table(table, sa.MetaData(), autoload_with=conn).columns]
                query = psql.SQL("COPY (SELECT {} FROM {} WHERE received_at <= {}) TO STDOUT (FORMAT csv)").format(
                    psql.SQL(", ").join(map(psql.Identifier, cols)), psql.Identifier(table), psql.Literal(as_of)
                )
                with raw.cursor() as cur, cur.copy(query) as copy:
                    rows += sum(bytes(block).count(b"\n") for block in copy)
    finally:
        engine.dispose()
    return rows


def _pipeline_read(app, as_of: dt.datetime) -> int:
    from bank_tax.db import db
    from bank_tax.enterprises.models import Enterprise
    from bank_tax.features import pipeline

    with app.app_context():
        with db.scope() as s:
            firms = s.scalars(sa.select(Enterprise.uscc).order_by(Enterprise.uscc)).all()
            inputs = pipeline.read(s, usccs=firms, as_of=as_of)
        db.engine_of(app).dispose()  # no PostgreSQL connection left for the garbage collector to find open
    return sum(
        len(getattr(inputs, k).get("uscc", ()))
        for k in ("vat", "si", "hf", "power", "water", "gas", "arrears", "grades", "lists")
    )


@case("reads_postgres", size=100_000, quick_size=2_000)
def reads_postgres(n: int) -> Case | None:
    """Everything the features of n firms are computed from, as known now (versions, disputes, windows),
    through COPY into Arrow, against COPY alone of the rows of those tables (target ≤ 1.5×)."""
    from bank_tax.bench.matching import build

    admin = os.environ.get("BANK_TAX_TEST_DATABASE")
    if not admin or admin == "sqlite":
        return None
    url = _fresh_postgres(admin)
    app = build(n, url=url)
    now = clock.now()
    return Case(
        ours=lambda: _pipeline_read(app, now),
        reference=lambda: _copy_bytes(url, now),
        agree=lambda ours, ref: 0 < ours <= ref,  # ours: the windows' rows only; COPY: every row
        unit="rows",
        reference_name="COPY of the same tables' rows (CSV bytes, unparsed)",
        repeats=1,
        notes="target: ≤ 1.5× COPY alone",
    )
