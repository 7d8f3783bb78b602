"""Current versions without ranking: whatever order versions arrive in (the agency's own version numbers
out of order, the platform's corrections at any times), the versions read as of any moment are those the
window over versions gives (kept here as the oracle), and a migration fills ``superseded_at`` for rows
stored before it existed."""

import datetime as dt

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bank_tax.sources import ingest
from bank_tax.sources.service import current_versions
from bank_tax.sources.specs import SOURCES
from tests import factories
from tests.sources.helpers import VAT_ROW, csv_bytes

T0 = dt.datetime(2025, 4, 11, 2, tzinfo=dt.UTC)


def window(source, as_of):
    """The oracle: rank each record's versions received by ``as_of`` and keep the highest."""
    t = SOURCES[source].table.__table__
    ranked = sa.select(
        t.c.id,
        sa.func.row_number()
        .over(partition_by=[t.c[k] for k in SOURCES[source].key], order_by=t.c.version.desc())
        .label("rn"),
    )
    if as_of is not None:
        ranked = ranked.where(t.c.received_at <= as_of)
    sub = ranked.subquery()
    return sa.select(sub.c.id).where(sub.c.rn == 1)


def _land(session, source, rows):
    batch, _ = ingest.ingest(
        session, source=SOURCES[source], data=csv_bytes(source, rows), filename="t.csv", actor=None
    )
    assert ingest.counts(batch)["rejected"] == 0


sends = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 240)), min_size=1, max_size=7)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(vat_sends=sends, list_sends=sends, data=st.data())
def test_reads_at_every_moment_equal_the_window_over_versions(session, vat_sends, list_sends, data):
    nested = session.begin_nested()
    try:
        a, b = factories.enterprise(session), factories.enterprise(session)
        order = data.draw(st.permutations(range(1, len(vat_sends) + 1)))  # agency versions, out of order
        moments = {T0, T0 - dt.timedelta(hours=1)}
        for (firm, hours), version in zip(vat_sends, order, strict=True):
            at = T0 + dt.timedelta(hours=hours)
            moments |= {at, at - dt.timedelta(seconds=1)}
            row = {**VAT_ROW, "uscc": (a, b)[firm % 2].uscc, "version": str(version), "received_at": at.isoformat()}
            _land(session, "vat_declarations", [{**row, "tax_paid": f"{3600 - version}.00"}])  # each version differs
        for k, (firm, hours) in enumerate(list_sends):  # the platform's versions: each send changes the entry
            at = T0 + dt.timedelta(hours=hours)
            moments |= {at, at + dt.timedelta(seconds=1)}
            row = {
                "entry_id": f"E-{firm % 2}",
                "uscc": (a, b)[firm % 2].uscc,
                "list_type": "key_watch",
                "reason": f"第{k}次",
                "authority": "测试局",
                "listed_on": "2025-01-10",
                "received_at": at.isoformat(),
            }
            _land(session, "public_credit", [row])
        for source in ("vat_declarations", "public_credit"):
            for at in sorted(moments) + [None]:
                ours = set(session.scalars(sa.select(current_versions(SOURCES[source], as_of=at).subquery().c.id)))
                assert ours == set(session.scalars(window(source, at))), (source, at)
    finally:
        nested.rollback()
