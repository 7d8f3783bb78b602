"""a partition keeps what its function counted (notifications sent, pairs found), summed over the run

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (AutoString)
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "batch_partition",
        sa.Column("stats", sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default="{}"),
    )


def downgrade() -> None:
    op.drop_column("batch_partition", "stats")  # in place: a batch copy would recreate a referenced table
