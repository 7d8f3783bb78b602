"""Panels are point in time: only records received by T, at the version known at T, disputes left out."""

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bank_tax import clock
from bank_tax.features.panels import month_range, monthly
from bank_tax.security.roles import Principal, Role
from bank_tax.sources import ingest
from bank_tax.sources import service as sources
from bank_tax.sources.specs import SOURCES
from tests import factories
from tests.sources.helpers import csv_bytes, vat

pytestmark = pytest.mark.dated  # make test-moments runs it at every moment of tests/moments.py

VAT = SOURCES["vat_declarations"]


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC)


def land(session, rows, name):
    ingest.ingest(session, source=VAT, data=csv_bytes("vat_declarations", rows), filename=name, actor=None)


def test_month_range_ends_with_the_last_full_month():
    months = month_range(at("2025-07-15T00:00:00"), 3)
    assert months.astype(str).tolist() == ["2025-04", "2025-05", "2025-06"]


def test_no_value_leaks_from_after_the_as_of_moment(session):
    firm = factories.enterprise(session).uscc
    other = factories.enterprise(session).uscc
    land(session, [vat(firm), vat(other)], "first.csv")  # March return, received 11 April
    land(
        session,
        [
            vat(
                firm,
                version="2",
                taxable_sales="150000.00",
                tax_payable="4500.00",
                tax_paid="4500.00",
                received_at="2025-06-01T02:00:00+00:00",
            )
        ],
        "fix.csv",
    )  # the correction arrives late
    land(
        session,
        [
            vat(
                firm,
                period="2025-04",
                due_date="2025-05-15",
                filed_on="2025-05-30",
                received_at="2025-05-31T02:00:00+00:00",
            )
        ],
        "late.csv",
    )  # April filed late, in late May

    def panel(day):
        p = monthly(
            session, source=VAT, columns=["taxable_sales", "filed_on"], usccs=[other, firm], as_of=at(day), months=12
        )
        return p.usccs.tolist().index(firm), p

    def month(p, name):
        return int(np.nonzero(p.months == np.datetime64(name))[0][0])

    i, before = panel("2025-05-20T00:00:00")
    march, april = month(before, "2025-03"), month(before, "2025-04")
    assert before["taxable_sales"][i, march] == 12_000_000  # version 1: the correction was not known yet
    assert np.isnan(before["taxable_sales"][i, april])  # filed after the moment asked about
    i, after = panel("2025-06-15T00:00:00")
    march, april = month(after, "2025-03"), month(after, "2025-04")
    assert after["taxable_sales"][i, march] == 15_000_000
    assert after["filed_on"][i, april] == np.datetime64("2025-05-30").astype(np.int64)
    j = after.usccs.tolist().index(other)
    assert after["taxable_sales"][j, march] == 12_000_000


def test_records_under_dispute_are_left_out_while_open(session):
    firm = factories.enterprise(session).uscc
    land(session, [vat(firm)], "v.csv")  # March 2025
    [record] = sources.records(session, source=VAT, uscc=firm)
    user = Principal(0, "firm", Role.ENTERPRISE, uscc=firm)
    dispute = sources.open_dispute(session, uscc=firm, source=VAT, record_id=record["id"], reason="wrong", actor=user)
    opened = dispute.opened_at

    def march_2025(as_of):
        """The record's month in a panel long enough to hold it, whatever the clock says."""
        months = int((np.datetime64(clock.business_date(as_of), "M") - np.datetime64("2025-03", "M")).astype(int))
        p = monthly(session, source=VAT, columns=["taxable_sales"], usccs=[firm], as_of=as_of, months=months)
        march = p.months.astype(str).tolist().index("2025-03")  # the month is in the panel: not vacuous
        return p["taxable_sales"][0, march]

    assert march_2025(at("2025-06-01T00:00:00")) == 12_000_000  # before the dispute was opened, it counted
    assert np.isnan(march_2025(opened)) and np.isnan(march_2025(clock.now()))  # under dispute: left out
    staff = Principal(0, "ops", Role.OPERATOR)
    sources.resolve_dispute(
        session, dispute_id=dispute.id, outcome="upheld", reply="核实无误", correction={}, actor=staff
    )
    session.flush()
    assert march_2025(clock.now() + dt.timedelta(seconds=1)) == 12_000_000  # upheld: it counts again
    assert np.isnan(march_2025(opened))  # and as of a moment it was open, it still did not


@settings(max_examples=60, deadline=None)
@given(
    firms=st.lists(st.text("0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=1, max_size=18), max_size=30, unique=True),
    others=st.lists(st.text("0123456789ABCDEFGHJKLMNPQRTUWXY中", min_size=1, max_size=18), max_size=30),
)
def test_firm_positions_by_machine_words_equal_a_search_of_the_text(firms, others):
    from bank_tax.features.panels import firm_positions

    usccs = np.sort(np.array(firms, dtype="U18"))
    codes = np.array(firms[::2] + others, dtype="U18")
    pos, hit = firm_positions(usccs, codes)
    assert hit.tolist() == [c in set(firms) for c in codes.tolist()]  # exact, whatever the hash does
    assert (usccs[pos[hit]] == codes[hit]).all()


def test_firm_positions_find_codes_that_differ_only_where_a_weak_hash_would_not_see():
    from bank_tax.features.panels import firm_positions

    # two valid codes that a multiply-only hash of their words maps to one key (found in review)
    usccs = np.array(["9133010000000065XA", "913301030000006RXA"], dtype="U18")
    pos, hit = firm_positions(usccs, usccs[[1, 0, 1]])
    assert hit.all() and pos.tolist() == [1, 0, 1]
    # and a district's run of sequential codes: every firm found at its own row
    codes = np.sort(np.array([f"91330100{i:08d}X{i % 10}" for i in range(50_000)], dtype="U18"))
    pos, hit = firm_positions(codes, codes[::-1])
    assert hit.all() and (pos == np.arange(codes.size)[::-1]).all()


@settings(max_examples=60, deadline=None)
@given(
    firms=st.lists(st.text("0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=1, max_size=18), max_size=30, unique=True),
    others=st.lists(st.text("0123456789ABCDEFGHJKLMNPQRTUWXY中", min_size=1, max_size=18), max_size=30),
    runs=st.lists(st.integers(1, 40), min_size=1, max_size=60),
)
def test_firm_positions_of_codes_in_runs_equal_those_code_by_code(firms, others, runs):
    """A source's rows come a firm at a time: each run is looked up once, with the same answer."""
    from bank_tax.features.panels import _search, firm_positions

    usccs = np.sort(np.array(firms, dtype="U18"))
    pool = np.array(firms + others or ["X"], dtype="U18")
    codes = np.repeat(pool[np.arange(len(runs)) % pool.size], runs)
    pos, hit = firm_positions(usccs, codes)
    want_pos, want_hit = _search(usccs, codes)
    assert hit.tolist() == want_hit.tolist() == [c in set(firms) for c in codes.tolist()]
    assert (pos[hit] == want_pos[want_hit]).all()


def test_cells_scatter_a_column_into_the_last_months_as_a_whole_panel_would():
    """A panel of the last months is the right-hand columns of the whole span's panel; rows of other firms
    or months land nowhere, and of two rows of a cell the later wins."""
    from bank_tax.features.panels import Cells

    usccs = np.array(["A", "B", "C"], dtype="U18")
    span = np.arange(np.datetime64("2026-01"), np.datetime64("2026-07"))
    rows = {
        "uscc": np.array(["A", "A", "B", "Z", "C", "C", "C"], dtype="U18"),
        "month": np.array(["2026-06", "2026-01", "2026-03", "2026-06", "2025-12", "2026-05", "2026-05"], "M8[M]"),
        "x": np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]),
    }
    cells = Cells.of(rows, usccs=usccs, span=span)
    whole = cells.panel(rows["x"])
    assert whole.shape == (3, 6) and np.nansum(whole) == 1 + 2 + 3 + 7
    assert whole[0, 5] == 1 and whole[0, 0] == 2 and whole[1, 2] == 3 and whole[2, 4] == 7
    for months in (1, 3, 6):
        assert np.array_equal(cells.panel(rows["x"], months), whole[:, -months:], equal_nan=True)
    flags = cells.panel(rows["x"] > 2, 3, fill=False)  # April to June: B's March is not among them
    assert flags.tolist() == [[False, False, False], [False, False, False], [False, True, False]]


def test_the_hash_table_of_firm_keys_finds_every_key_and_refuses_a_shared_one():
    """Keys crowded onto few first slots are still each found (probing on), absent keys are not, and two
    equal keys give no table (the search then compares text)."""
    from bank_tax.features.panels import _lookup, _table

    rng = np.random.default_rng(5)
    keys = rng.integers(0, 2**63, 5000, dtype=np.uint64) | np.uint64(1)
    keys[:300] = np.uint64(7) << np.uint64(40) | np.arange(300, dtype=np.uint64)  # one first slot for 300
    table, bits = _table(keys)
    assert (np.sort(table[table >= 0]) == np.arange(keys.size)).all()
    asked = np.r_[keys[::-1], keys[:10] + np.uint64(1) << np.uint64(20), np.uint64(0)]
    pos = _lookup(table, bits, keys, asked)
    assert (pos[: keys.size] == np.arange(keys.size)[::-1]).all() and (pos[keys.size :] == -1).all()
    assert _table(np.r_[keys, keys[3:4]]) is None


@settings(max_examples=60, deadline=None)
@given(codes=st.lists(st.sampled_from(["", "A", "AB", "91330106MA00000001", "91330106MA00000002", "中"]), max_size=40))
def test_neighbours_compared_as_machine_words_as_numpy_compares_text(codes):
    from bank_tax.features.panels import _neighbours_differ

    for width in ("U18", "U2", "U3"):
        a = np.array(codes, dtype=width)
        assert _neighbours_differ(a, chunk=7).tolist() == (a[1:] != a[:-1]).tolist()
