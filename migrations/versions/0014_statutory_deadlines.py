"""tax records stored before deadlines moved with holidays get the statutory deadline too

Ingestion now raises a VAT or annual CIT return's ``due_date`` to the statutory deadline (moved for
holidays, 税收征收管理法实施细则 art. 109) when the agency sent an earlier one; rows stored before that
still carry the unmoved 15th (or 31 May), which would make a return filed on the moved day late. This
raises them in place, one period (or year) at a time. Row hashes stay those of what was sent. The
downgrade keeps the raised dates: they are the correct ones either way.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bank_tax.sources import deadlines

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

vat = sa.table("vat_declaration", sa.column("period", sa.Date), sa.column("due_date", sa.Date))
cit = sa.table("cit_annual", sa.column("year", sa.Integer), sa.column("due_date", sa.Date))


def upgrade() -> None:
    conn = op.get_bind()
    for (period,) in conn.execute(sa.select(vat.c.period).distinct()).all():
        if isinstance(period, str):
            period = dt.date.fromisoformat(period[:10])
        due = deadlines.monthly_return(period.year, period.month).due
        conn.execute(vat.update().where(vat.c.period == period, vat.c.due_date < due).values(due_date=due))
    for (year,) in conn.execute(sa.select(cit.c.year).distinct()).all():
        due = deadlines.annual_return(int(year)).due
        conn.execute(cit.update().where(cit.c.year == year, cit.c.due_date < due).values(due_date=due))


def downgrade() -> None:
    pass
