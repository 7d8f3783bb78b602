"""The migration round trip on this run's database: upgrade from empty, no drift, downgrade to empty."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bank_tax.db import make_engine
from bank_tax.migrate import downgrade, upgrade
from bank_tax.tables import metadata
from tests.conftest import fresh_database


def test_upgrade_compare_downgrade(tmp_path):
    with fresh_database(tmp_path) as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                tables = set(sa.inspect(conn).get_table_names())
                assert {"enterprise", "user_account", "audit_event", "audit_head", "bank"} <= tables
                ctx = MigrationContext.configure(conn, opts={"compare_type": True})
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
