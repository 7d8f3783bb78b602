"""The consent mask against a slow, obvious reference on random consent sets, and revocation under races."""

import datetime as dt
import threading

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bank_tax import clock
from bank_tax.categories import CATEGORIES, from_bits
from bank_tax.consent.mask import consent_mask
from bank_tax.consent.models import Consent
from bank_tax.db import db
from tests import factories

pytestmark = pytest.mark.dated  # make test-moments runs it at every moment of tests/moments.py

NOW = clock.now().replace(microsecond=0)
PURPOSES = ["pre_screen", "underwriting", "post_loan_monitoring"]

consent_st = st.fixed_dictionaries(
    {
        "firm": st.integers(0, 5),
        "bank": st.sampled_from(["A", "B", None]),  # None: all banks
        "purpose": st.sampled_from(PURPOSES),
        "bits": st.integers(1, 31),
        "start": st.integers(-40, 10),  # days from NOW
        "length": st.integers(1, 60),
        "ended": st.one_of(st.none(), st.integers(0, 65)),  # days after the start: mostly inside its life
        "window": st.integers(1, 36),
    }
)


def reference(consents, firms, bank, purpose, at):
    """The rule in words: a consent counts when it names the bank (or all banks, for pre-screening),
    has the purpose, has started (at or before the moment), has not expired (its expiry is the first
    moment it no longer holds) and had not been revoked or superseded by then. A firm's window is the
    longest of the consents that count, and the consent relied on the most recent (highest id)."""
    out = {f: {"categories": set(), "window": 0, "id": -1} for f in firms}
    for c in consents:
        recipient_ok = c["bank_code"] == bank or (c["all_banks"] and purpose == "pre_screen")
        live = c["starts_at"] <= at < c["expires_at"] and (c["ended_at"] is None or c["ended_at"] > at)
        if recipient_ok and c["purpose"] == purpose and live and c["uscc"] in out:
            o = out[c["uscc"]]
            o["categories"] |= set(from_bits(c["categories"]))
            o["window"] = max(o["window"], c["data_window_months"])
            o["id"] = max(o["id"], c["id"])
    return out


def _edges(rows):
    """Every start, expiry and end of the drawn consents."""
    return sorted({r[k] for r in rows for k in ("starts_at", "expires_at", "ended_at") if r[k] is not None})


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],  # no slow "explain" on a failure
)
@given(
    specs=st.lists(consent_st, max_size=12),
    bank=st.sampled_from(["A", "B"]),
    purpose=st.sampled_from(PURPOSES),
    at_day=st.integers(-30, 30),
    data=st.data(),
)
def test_mask_matches_reference(session, specs, bank, purpose, at_day, data):
    nested = session.begin_nested()
    try:
        for code in ("A", "B"):
            if session.get(factories.bank_models.Bank, code) is None:
                factories.bank(session, code)
        firms = [factories.enterprise(session).uscc for _ in range(6)]
        rows = []
        for s in specs:
            start = NOW + dt.timedelta(days=s["start"])
            row = {
                "uscc": firms[s["firm"]],
                "bank_code": s["bank"],
                "all_banks": s["bank"] is None,
                "purpose": "pre_screen" if s["bank"] is None else s["purpose"],
                "categories": s["bits"],
                "starts_at": start,
                "expires_at": start + dt.timedelta(days=s["length"]),
                "ended_at": None if s["ended"] is None else start + dt.timedelta(days=s["ended"]),
                "data_window_months": s["window"],
                "purpose_text": "t",
                "granted_by": "t",
                "receipt": "{}",
                "signature": "x",
                "mode": "view",
                "status": "active",
                "granted_at": start,
            }
            rows.append(row)
        if rows:
            session.execute(sa.insert(Consent), rows)
            ids = session.scalars(sa.select(Consent.id).where(Consent.uscc.in_(firms)).order_by(Consent.id)).all()
            for row, cid in zip(rows, ids, strict=True):  # inserted in order: ids rise with the rows
                row["id"] = cid
        # a moment on (or a microsecond beside) a start, an expiry or an end, or any hour of a day
        relevant = [
            r
            for r in rows
            if (r["bank_code"] == bank or (r["all_banks"] and purpose == "pre_screen")) and r["purpose"] == purpose
        ]
        edges = _edges(relevant or rows)  # the edges that can change the answer, when there are any
        if edges and data.draw(st.integers(0, 3), label="where") > 0:  # 3 times in 4 on or beside an edge
            edge = data.draw(st.sampled_from(edges), label="edge")
            at = edge + dt.timedelta(microseconds=data.draw(st.sampled_from([0, 0, -1, 1]), label="beside"))
        else:
            at = NOW + dt.timedelta(days=at_day, hours=1)
        queried = firms[:5] + [factories.new_uscc()]  # one firm nobody knows
        mask = consent_mask(session, bank_code=bank, purpose=purpose, usccs=queried, at=at)
        expected = reference(rows, queried, bank, purpose, at)
        for i, firm in enumerate(queried):
            e = expected[firm]
            assert {c for c, ok in zip(CATEGORIES, mask.allowed[i], strict=True) if ok} == e["categories"]
            assert int(mask.window_months[i]) == e["window"] and int(mask.consent_id[i]) == e["id"]
    finally:
        nested.rollback()


def test_mask_keeps_query_order_and_duplicates(session):
    bank = factories.bank(session).code
    a, b = factories.enterprise(session).uscc, factories.enterprise(session).uscc
    factories.consent(session, uscc=a, bank_code=bank, categories=["tax", "utilities"], data_window_months=12)
    factories.consent(session, uscc=a, bank_code=bank, categories=["public_credit"], data_window_months=36)
    mask = consent_mask(session, bank_code=bank, purpose="underwriting", usccs=[b, a, a])
    assert mask.allowed.tolist() == [[False] * 5, [True, False, False, True, True], [True, False, False, True, True]]
    assert mask.window_months.tolist() == [0, 36, 36]


def test_mask_is_vectorised_over_many_firms(session):
    """10⁴ firms in one call (the benchmark runs 10⁵); the answer is a dense boolean matrix."""
    bank = factories.bank(session).code
    firms = np.array([factories.new_uscc() for _ in range(10_000)])
    mask = consent_mask(session, bank_code=bank, purpose="pre_screen", usccs=firms)
    assert mask.allowed.shape == (10_000, 5) and not mask.allowed.any()


@pytest.mark.concurrency
def test_no_read_that_starts_after_revocation_succeeds(committing_app):
    """Readers hammer a firm while the firm revokes: every read that starts after the revoke has
    committed is refused; reads before it may succeed."""
    app = committing_app
    with app.app_context():
        with db.scope() as s:
            firm = factories.enterprise(s)
            bank = factories.bank(s)
            c = factories.consent(s, uscc=firm.uscc, bank_code=bank.code)
            officer = factories.user(s, "bank_officer", bank_code=bank.code)
            firm_user = factories.user(s, "enterprise", uscc=firm.uscc)
            officer_token, firm_token = factories.token(s, officer), factories.token(s, firm_user)
            uscc, cid = firm.uscc, c.id
    results = []
    revoked_at = []
    stop = threading.Event()

    def reader():
        client = app.test_client()
        while not stop.is_set():
            started = clock.now()
            code = client.get(
                f"/api/v1/enterprises/{uscc}", headers={"Authorization": f"Bearer {officer_token}"}
            ).status_code
            results.append((started, code))

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    threading.Event().wait(0.3)
    resp = app.test_client().post(
        f"/api/v1/enterprises/{uscc}/consents/{cid}/revoke", json={}, headers={"Authorization": f"Bearer {firm_token}"}
    )
    revoked_at.append(clock.now())  # the response is sent after the commit
    assert resp.status_code == 200
    threading.Event().wait(0.3)
    stop.set()
    for t in threads:
        t.join()
    after = [code for started, code in results if started > revoked_at[0]]
    assert after and set(after) == {403}
    assert 200 in {code for started, code in results if started < revoked_at[0]}
