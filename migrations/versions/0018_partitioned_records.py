"""on PostgreSQL the firm-keyed record tables are hash-partitioned by firm (declarative partitioning)

A province's monthly records run to hundreds of millions of rows (1M firms × 36 months of VAT alone is
33M). Split by ``HASH (uscc)`` into :data:`MODULUS` partitions, each table's indexes, vacuum and
statistics are a sixteenth of the whole, a firm's lookup prunes to one partition, and a batch
partition's range read scans every partition through its own (small) index. The tables keep their
names, columns, constraints and indexes (PostgreSQL creates each index on every partition); only the
primary key gains ``uscc``, as PostgreSQL requires of a partitioned table's unique keys. Every natural
key already holds ``uscc``.

Left unpartitioned: ``tax_arrear`` and ``public_credit_entry``, keyed by the agency's own id (a uscc
partition could not keep that unique) and a tenth of the size. SQLite has no partitioning: it is left as
it is and answers the same queries the same way.

The upgrade copies each table into its partitioned twin and swaps the names; the downgrade copies back
into a plain table. Both keep every row, id and the id sequence.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTITIONED = ("vat_declaration", "cit_annual", "credit_grade", "social_insurance", "housing_fund", "utility_bill")
MODULUS = 16  # partitions per table: a power of two, so a later split doubles it evenly


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in PARTITIONED:
            _rebuild(op.get_bind(), table, partitioned=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in PARTITIONED:
            _rebuild(op.get_bind(), table, partitioned=False)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _rebuild(conn, table: str, *, partitioned: bool) -> None:
    """Replace ``table`` by a twin with the same columns, rows, constraints and indexes, partitioned by
    ``HASH (uscc)`` or plain, reading the definitions from the catalogue rather than restating them."""
    constraints = conn.execute(
        sa.text(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = CAST(:t AS regclass) ORDER BY contype DESC, conname"  # p, u before f, c
        ),
        {"t": table},
    ).all()
    backing = {name for name, kind, _ in constraints if kind in ("p", "u")}  # their indexes go with them
    indexes = [
        (name, ddl)
        for name, ddl in conn.execute(
            sa.text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = :t"
            ),
            {"t": table},
        )
        if name not in backing
    ]
    sequence = conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}).scalar_one()
    old = f"{table}__old"
    conn.exec_driver_sql(f"ALTER TABLE {_q(table)} RENAME TO {_q(old)}")
    for name, _, _ in constraints:
        conn.exec_driver_sql(f"ALTER TABLE {_q(old)} RENAME CONSTRAINT {_q(name)} TO {_q(name + '__old')}")
    for name, _ in indexes:
        conn.exec_driver_sql(f"ALTER INDEX {_q(name)} RENAME TO {_q(name + '__old')}")
    how = " PARTITION BY HASH (uscc)" if partitioned else ""
    conn.exec_driver_sql(f"CREATE TABLE {_q(table)} (LIKE {_q(old)} INCLUDING DEFAULTS){how}")
    if partitioned:
        for r in range(MODULUS):
            conn.exec_driver_sql(
                f"CREATE TABLE {_q(f'{table}_p{r:02d}')} PARTITION OF {_q(table)}"
                f" FOR VALUES WITH (MODULUS {MODULUS}, REMAINDER {r})"
            )
    conn.exec_driver_sql(f"INSERT INTO {_q(table)} SELECT * FROM {_q(old)}")  # noqa: S608 (our table names)
    if sequence:
        conn.exec_driver_sql(f"ALTER SEQUENCE {sequence} OWNED BY {_q(table)}.id")  # survives dropping the old
    for name, kind, ddl in constraints:
        if kind == "p":
            ddl = "PRIMARY KEY (id, uscc)" if partitioned else "PRIMARY KEY (id)"
        conn.exec_driver_sql(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {ddl}")
    for _, ddl in indexes:
        conn.exec_driver_sql(ddl)  # as written for the table's name, which the new table now holds
    conn.exec_driver_sql(f"DROP TABLE {_q(old)}")
    conn.exec_driver_sql(f"ANALYZE {_q(table)}")
