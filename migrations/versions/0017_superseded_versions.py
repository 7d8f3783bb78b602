"""each record version notes when a later version was first received, so current versions need no ranking

Adds ``superseded_at`` to every agency record table and fills it for the versions stored so far: the
earliest ``received_at`` among the record's later versions (NULL for a record's latest version). The
downgrade drops the column; the window over versions it replaces still gives the same answers.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bank_tax.db

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# each table's natural key as it is at this revision (a record's versions share it)
KEYS = {
    "vat_declaration": ("uscc", "period"),
    "cit_annual": ("uscc", "year"),
    "credit_grade": ("uscc", "year"),
    "tax_arrear": ("arrear_id",),
    "social_insurance": ("uscc", "period"),
    "housing_fund": ("uscc", "period"),
    "utility_bill": ("uscc", "period", "utility"),
    "public_credit_entry": ("entry_id",),
}


def upgrade() -> None:
    for name, key in KEYS.items():
        op.add_column(name, sa.Column("superseded_at", bank_tax.db.UTCDateTime(timezone=True), nullable=True))
        t = sa.table(name, *map(sa.column, key), sa.column("version"), sa.column("received_at"), sa.column("superseded_at"))
        n = t.alias("n")
        later = sa.select(sa.func.min(n.c.received_at)).where(*[n.c[k] == t.c[k] for k in key], n.c.version > t.c.version)
        op.execute(sa.update(t).values(superseded_at=later.scalar_subquery()))  # NULL where no later version


def downgrade() -> None:
    for table in KEYS:
        op.drop_column(table, "superseded_at")  # in place: a batch copy would recreate a referenced table
