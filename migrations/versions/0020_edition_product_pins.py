"""a whitelist edition keeps the product versions it began with, so every partition uses the same rules

Editions stored before this have none recorded ('[]'); an edition still being built from then is
finished with the products active when its partitions run, as before.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("whitelist_edition", sa.Column("products", sa.Text(), nullable=False, server_default="[]"))


def downgrade() -> None:
    op.drop_column("whitelist_edition", "products")  # in place: a batch copy would recreate a referenced table
