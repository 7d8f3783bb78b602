"""The migration round trip on this run's database: upgrade from empty, no drift, downgrade to empty."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bank_tax.db import make_engine, partitions, table_names
from bank_tax.migrate import downgrade, upgrade
from bank_tax.tables import metadata
from tests.conftest import fresh_database


def test_upgrade_compare_downgrade(tmp_path):
    with fresh_database(tmp_path) as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                tables = set(table_names(conn))
                assert {"enterprise", "user_account", "audit_event", "audit_head", "bank"} <= tables
                parts = partitions(conn)  # PostgreSQL's partitions of the record tables: not in the models
                if conn.dialect.name == "postgresql":
                    assert {"vat_declaration_p00", "utility_bill_p15"} <= parts
                skip = {"include_name": lambda name, kind, _parent: not (kind == "table" and name in parts)}
                ctx = MigrationContext.configure(conn, opts={"compare_type": True, **skip})
                diff = compare_metadata(ctx, metadata)
                assert diff == [], f"models and migrations differ: {diff}"
                head = conn.execute(sa.text("SELECT last_id, last_hash FROM audit_head WHERE id = 1")).one()
                assert head == (0, "0" * 64)
            downgrade(url)
            with engine.connect() as conn:
                assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
            upgrade(url)  # and back up again: downgrade left nothing behind that blocks it
        finally:
            engine.dispose()


def _blob_snapshot(engine, data: bytes, sha256: str, n_firms: int) -> None:
    """A feature snapshot stored as revision 0011 stored them: a blob in the row."""
    import datetime as dt

    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO feature_snapshot (as_of, feature_set_version, n_firms, sha256, data, created_at)"
                " VALUES (:t, 'fs-test', :n, :h, :d, :t)"
            ),
            {"t": dt.datetime(2026, 11, 1, tzinfo=dt.UTC), "n": n_firms, "h": sha256, "d": data},
        )


def test_feature_snapshots_move_into_the_store_and_back(tmp_path):
    """0012: a snapshot stored as a blob before it becomes a Parquet part in the store, reloads bit for
    bit, and downgrading puts the same values back into a blob (and removes the file)."""
    import hashlib
    import io

    import numpy as np

    from bank_tax import create_app, store
    from bank_tax.config import TestConfig
    from bank_tax.db import db
    from bank_tax.features import service

    rng = np.random.default_rng(1)
    usccs = np.array(["91330106MA00000001", "91330106MA00000002", "91330106MA00000003"])
    values = rng.normal(size=(3, 4))
    values[1, 2] = np.nan
    names = np.array(["a", "b", "c", "d"])
    buf = io.BytesIO()
    np.savez_compressed(buf, usccs=usccs, names=names, values=values)
    blob = buf.getvalue()
    store_path = tmp_path / "store"
    with fresh_database(tmp_path) as url:
        upgrade(url, "0011")
        engine = make_engine(url)
        try:
            _blob_snapshot(engine, blob, hashlib.sha256(blob).hexdigest(), 3)
            upgrade(url, store_path=str(store_path))
            files = list(store_path.rglob("*.parquet"))
            assert len(files) == 1
            app = create_app(
                TestConfig, instance_path=str(tmp_path / "instance"), DATABASE_URL=url, STORE_PATH=str(store_path)
            )
            with app.app_context(), db.scope() as s:
                sid = s.scalar(sa.text("SELECT id FROM feature_snapshot"))
                frame = service.load(s, sid)
            db.engine_of(app).dispose()
            assert frame.usccs.tolist() == usccs.tolist() and frame.names == tuple(names)
            assert np.array_equal(frame.values, values, equal_nan=True)  # bit for bit, NaN included
            with engine.connect() as conn:
                assert "data" not in {c["name"] for c in sa.inspect(conn).get_columns("feature_snapshot")}

            downgrade(url, "0011", store_path=str(store_path))
            with engine.connect() as conn:
                data, sha = conn.execute(sa.text("SELECT data, sha256 FROM feature_snapshot")).one()
            with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as z:
                assert z["usccs"].tolist() == usccs.tolist() and z["names"].tolist() == names.tolist()
                assert np.array_equal(z["values"], values, equal_nan=True)
            assert sha == hashlib.sha256(bytes(data)).hexdigest()
            assert [p.relative_to(store_path).as_posix() for p in files] == store.orphans(set(), base=store_path)
        finally:
            engine.dispose()


def test_a_snapshot_blob_that_does_not_match_its_digest_is_not_moved(tmp_path):
    """0012 refuses to turn an altered blob into a 'valid' Parquet part: the upgrade stops, nothing moves."""

    import pytest

    with fresh_database(tmp_path) as url:
        upgrade(url, "0011")
        engine = make_engine(url)
        try:
            _blob_snapshot(engine, b"not what was hashed", "0" * 64, 0)
            with pytest.raises(RuntimeError, match="does not match its digest"):
                upgrade(url, store_path=str(tmp_path / "store"))
            assert not list((tmp_path / "store").rglob("*.parquet"))
        finally:
            engine.dispose()


def test_stored_returns_get_the_statutory_deadline(tmp_path):
    """0014: a return stored with the unmoved 15th (as before deadlines moved with holidays) is raised to
    the moved deadline; one with a later deadline (an extension) keeps it."""
    from bank_tax import create_app
    from bank_tax.config import TestConfig
    from bank_tax.db import db
    from bank_tax.sources import ingest
    from bank_tax.sources.specs import SOURCES
    from tests import factories
    from tests.sources.helpers import csv_bytes, vat

    with fresh_database(tmp_path) as url:
        upgrade(url)
        app = create_app(TestConfig, instance_path=str(tmp_path / "instance"), DATABASE_URL=url)
        with app.app_context(), db.scope() as s:
            a, b = factories.enterprise(s).uscc, factories.enterprise(s).uscc
            rows = [
                vat(a, period="2026-09", filed_on="2026-10-20", received_at="2026-10-21T02:00:00+00:00"),
                vat(
                    b,
                    period="2026-09",
                    due_date="2026-11-30",
                    filed_on="2026-10-20",
                    received_at="2026-10-21T02:00:00+00:00",
                ),
            ]
            ingest.ingest(
                s,
                source=SOURCES["vat_declarations"],
                data=csv_bytes("vat_declarations", rows),
                filename="v.csv",
                actor=None,
            )
        db.engine_of(app).dispose()
        engine = make_engine(url)
        try:
            with engine.begin() as conn:  # as an older version stored it
                conn.execute(sa.text("UPDATE vat_declaration SET due_date = '2026-10-15' WHERE uscc = :u"), {"u": a})
            downgrade(url, "0013")
            upgrade(url)
            with engine.connect() as conn:
                due = dict(conn.execute(sa.text("SELECT uscc, due_date FROM vat_declaration")).all())
        finally:
            engine.dispose()
    assert {k: str(v)[:10] for k, v in due.items()} == {a: "2026-10-26", b: "2026-11-30"}


def test_versions_stored_before_superseded_at_get_it_and_the_downgrade_drops_it(tmp_path):
    """0017: the versions stored before it note when their first later version was received (the agency's
    versions may have arrived out of order); a record's latest version stays NULL; down and up again."""
    from bank_tax import create_app
    from bank_tax.config import TestConfig
    from bank_tax.db import db
    from bank_tax.sources import ingest
    from bank_tax.sources.specs import SOURCES
    from tests import factories
    from tests.sources.helpers import csv_bytes, vat

    with fresh_database(tmp_path) as url:
        upgrade(url)
        app = create_app(TestConfig, instance_path=str(tmp_path / "instance"), DATABASE_URL=url)
        with app.app_context(), db.scope() as s:
            a = factories.enterprise(s).uscc
            for version, received, paid in (
                ("3", "2025-04-12", "3000.00"),
                ("1", "2025-04-13", "3500.00"),
                ("2", "2025-04-14", "3400.00"),
            ):
                row = vat(a, version=version, received_at=f"{received}T02:00:00+00:00", tax_paid=paid)
                data = csv_bytes("vat_declarations", [row])
                ingest.ingest(s, source=SOURCES["vat_declarations"], data=data, filename="v.csv", actor=None)
        db.engine_of(app).dispose()
        engine = make_engine(url)
        query = sa.text("SELECT version, superseded_at FROM vat_declaration ORDER BY version")
        try:
            with engine.connect() as conn:
                kept = [(v, str(t)[:10] if t else None) for v, t in conn.execute(query)]
            downgrade(url, "0016")
            with engine.connect() as conn:
                columns = {c["name"] for c in sa.inspect(conn).get_columns("vat_declaration")}
            upgrade(url)
            with engine.connect() as conn:
                filled = [(v, str(t)[:10] if t else None) for v, t in conn.execute(query)]
        finally:
            engine.dispose()
    # version 1 was superseded when 3 came (received first), 2 likewise; 3 is the latest
    assert kept == filled == [(1, "2025-04-12"), (2, "2025-04-12"), (3, None)]
    assert "superseded_at" not in columns


def test_record_tables_are_partitioned_on_postgresql_keeping_rows_ids_and_keys(tmp_path):
    """0018: the firm-keyed record tables become hash partitions by firm on PostgreSQL (a plain table on
    SQLite); every row and id is kept both ways, the id sequence goes on after the last id, the natural
    key still refuses a duplicate, and a firm's rows land in one partition."""
    from bank_tax import create_app
    from bank_tax.config import TestConfig
    from bank_tax.db import db
    from bank_tax.sources import ingest
    from bank_tax.sources.specs import SOURCES
    from tests import factories
    from tests.sources.helpers import csv_bytes, vat

    with fresh_database(tmp_path) as url:
        upgrade(url, "0017")
        app = create_app(TestConfig, instance_path=str(tmp_path / "instance"), DATABASE_URL=url)
        with app.app_context(), db.scope() as s:
            firms = [factories.enterprise(s).uscc for _ in range(5)]
            rows = [vat(u, period=f"2025-0{m}") for u in firms for m in (1, 2, 3)]
            data = csv_bytes("vat_declarations", rows)
            ingest.ingest(s, source=SOURCES["vat_declarations"], data=data, filename="v.csv", actor=None)
        db.engine_of(app).dispose()
        engine = make_engine(url)
        query = sa.text("SELECT id, uscc, period, tax_paid FROM vat_declaration ORDER BY id")
        kind = sa.text("SELECT relkind FROM pg_class WHERE relname = 'vat_declaration'")
        where = sa.text("SELECT tableoid::regclass::text, uscc FROM vat_declaration")
        copy = (
            "INSERT INTO vat_declaration (uscc, period, version, received_at, row_hash, taxable_sales,"
            " tax_payable, tax_paid, is_zero, due_date, filed_on) SELECT uscc, period, version + {bump}, received_at,"
            " row_hash, 0, 0, 0, false, due_date, filed_on FROM vat_declaration ORDER BY id {order} LIMIT 1"
            " RETURNING id"
        )
        duplicate = sa.text(copy.format(bump=0, order="ASC"))  # the same natural key again
        fresh = sa.text(copy.format(bump=1, order="DESC"))  # a new version of the last record
        try:
            with engine.connect() as conn:
                before = conn.execute(query).all()
            upgrade(url)
            with engine.connect() as conn:
                after = conn.execute(query).all()
                pg = conn.dialect.name == "postgresql"
                if pg:
                    assert conn.execute(kind).scalar_one() == "p"
                    homes: dict[str, set[str]] = {}
                    for part, uscc in conn.execute(where):
                        homes.setdefault(uscc, set()).add(part)
                    assert all(len(h) == 1 and next(iter(h)).startswith("vat_declaration_p") for h in homes.values())
                with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
                    conn.execute(duplicate)
                new_id = conn.execute(fresh).scalar_one()
                assert new_id > max(r.id for r in before)
                conn.commit()
            downgrade(url, "0017")
            with engine.connect() as conn:
                down = conn.execute(query).all()
                if pg:
                    assert conn.execute(kind).scalar_one() == "r"
                    assert not partitions(conn)
                assert conn.execute(fresh).scalar_one() > new_id
        finally:
            engine.dispose()
    assert before == after == down[: len(before)] and len(before) == 15


def test_score_runs_move_into_the_store_and_back(tmp_path):
    """0019: a run's firm scores stored as rows become Parquet parts in the store (code order, digests in
    score_run_part) with every value kept; the downgrade puts the same rows back."""
    import datetime as dt

    from bank_tax import create_app
    from bank_tax.config import TestConfig
    from bank_tax.db import db
    from bank_tax.modelling import scoring

    store_path = tmp_path / "store"
    stamp = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    scores = [
        ("91330106MA00000003", 0.031, 612, "A", "late_filings_12m,tax_arrears"),
        ("91330106MA00000001", 0.2, 540, "C", ""),
        ("91330106MA00000002", 0.09, 580, "B", "sales_yoy"),
    ]
    select = sa.text("SELECT uscc, pd, points, grade, reasons FROM firm_score WHERE run_id = 1 ORDER BY uscc")
    with fresh_database(tmp_path) as url:
        upgrade(url, "0018")
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "INSERT INTO feature_snapshot (id, as_of, feature_set_version, n_firms, sha256, created_at)"
                        " VALUES (1, :t, 'fs-test', 3, '', :t)"
                    ),
                    {"t": stamp},
                )
                conn.execute(
                    sa.text(
                        "INSERT INTO score_run (id, as_of, model_version, snapshot_id, n_firms, status, created_at)"
                        " VALUES (1, :t, 'v1', 1, 3, 'done', :t)"
                    ),
                    {"t": stamp},
                )
                for u, pd, points, grade, reasons in scores:
                    conn.execute(
                        sa.text(
                            "INSERT INTO firm_score (run_id, uscc, pd, points, grade, reasons)"
                            " VALUES (1, :u, :pd, :points, :grade, :reasons)"
                        ),
                        {"u": u, "pd": pd, "points": points, "grade": grade, "reasons": reasons},
                    )
            upgrade(url, store_path=str(store_path))
            assert len(list(store_path.rglob("*.parquet"))) == 1
            app = create_app(
                TestConfig, instance_path=str(tmp_path / "instance"), DATABASE_URL=url, STORE_PATH=str(store_path)
            )
            with app.app_context(), db.scope() as s:
                moved = scoring.run_scores(s, 1).to_pylist()
                one = scoring.latest_scores(s, ["91330106MA00000002"])
            db.engine_of(app).dispose()
            downgrade(url, "0018", store_path=str(store_path))
            with engine.connect() as conn:
                back = [tuple(r) for r in conn.execute(select)]
        finally:
            engine.dispose()
    expected = sorted(scores)
    assert [tuple(r.values()) for r in moved] == expected == back
    assert one == {"91330106MA00000002": {"pd": 0.09, "points": 580, "grade": "B", "reasons": ["sales_yoy"]}}
