"""whitelist editions are built by a batch run partition by partition, and ranked once every entry is in

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("whitelist_edition", sa.Column("batch_run_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_whitelist_edition_batch_run_id"), "whitelist_edition", ["batch_run_id"], unique=False)
    op.add_column("whitelist_entry", sa.Column("rank_value", sa.Float(), nullable=True))


def downgrade() -> None:
    # in place: a batch copy would recreate tables others reference
    op.drop_column("whitelist_entry", "rank_value")
    op.drop_index(op.f("ix_whitelist_edition_batch_run_id"), table_name="whitelist_edition")
    op.drop_column("whitelist_edition", "batch_run_id")
