"""GET /api/v1/enterprises/{uscc}/score: the firm's full view, a bank's consent-masked view, reasons."""

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pytest
import sqlalchemy as sa

from bank_tax import clock
from bank_tax.batch import runner
from bank_tax.features.catalogue import CATALOGUE
from bank_tax.modelling import scoring
from bank_tax.modelling.models import ScoreRun, ScoreRunPart
from bank_tax.security.models import AuditEvent
from bank_tax.sources import deadlines, ingest
from bank_tax.sources.specs import SOURCES
from tests import factories
from tests.features import reference
from tests.sources.helpers import csv_bytes, si, vat

pytestmark = pytest.mark.dated  # make test-moments runs it at every moment of tests/moments.py

CATEGORY = {f.name: f.category for f in CATALOGUE}


@pytest.fixture
def firm(session):
    """A firm that filed late every other month and had social-insurance arrears (``late``: the late
    filings in the last 12 months known by today)."""
    e = factories.enterprise(session, established_on=dt.date(2015, 1, 1))
    today = clock.today()
    rows, si_rows = [], []
    late = 0
    for k in range(2, 14):
        month = clock.add_months(today, -k)
        period = f"{month:%Y-%m}"
        due = deadlines.monthly_return(month.year, month.month).due
        filed = due + dt.timedelta(days=9 if k % 2 else 0)
        late += k % 2 and k <= 12
        rows.append(
            vat(
                e.uscc,
                period=period,
                due_date=due.isoformat(),
                filed_on=filed.isoformat(),
                received_at=f"{filed.isoformat()}T02:00:00+00:00",
            )
        )
        si_rows.append(
            si(
                e.uscc,
                period=period,
                contribution_paid="20800.00",
                arrears="800.00",
                received_at=f"{due.isoformat()}T02:00:00+00:00",
            )
        )
    for source, data in (("vat_declarations", rows), ("social_insurance", si_rows)):
        batch, _ = ingest.ingest(
            session, source=SOURCES[source], data=csv_bytes(source, data), filename="f.csv", actor=None
        )
        assert ingest.counts(batch)["rejected"] == 0
    session.flush()
    return SimpleNamespace(uscc=e.uscc, late=late)


def _get(client, session, uscc, user, **query):
    headers = {"Authorization": f"Bearer {factories.token(session, user)}"}
    return client.get(f"/api/v1/enterprises/{uscc}/score", headers=headers, query_string=query)


def test_the_firm_sees_its_score_with_reasons_in_both_languages(app, client, session, champion, fitted, firm):
    me = factories.user(session, "enterprise", uscc=firm.uscc)
    resp = _get(client, session, firm.uscc, me)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["model_version"] == champion
    assert 0 < body["pd"] < 1 and 300 <= body["points"] <= 900 and body["grade"].startswith("R")
    assert len(body["categories_used"]) == 5
    codes = [r["code"] for r in body["reasons"]]
    assert "late_filings_12m" in codes
    late = next(r for r in body["reasons"] if r["code"] == "late_filings_12m")
    assert late["zh"] == f"近12个月逾期申报次数：{firm.late} 次"
    assert late["en"] == f"late filings, last 12 months: {firm.late}"
    assert all(r["pd_reduction"] > 0 for r in body["reasons"])
    # the score is what the champion gives the firm's features, computed independently (pandas reference)
    features = reference.compute(session, [firm.uscc], clock.now())
    assert features.loc[firm.uscc, "late_filings_12m"] == firm.late
    X = features[list(fitted.model.names)].to_numpy(dtype=float)
    assert body["pd"] == pytest.approx(float(fitted.model.pd(X)[0]), rel=1e-6)


def test_a_bank_scores_only_with_the_categories_it_was_given(client, session, champion, firm):
    bank = factories.bank(session)
    officer = factories.user(session, "bank_officer", bank_code=bank.code)
    assert _get(client, session, firm.uscc, officer).status_code == 403  # no consent at all
    factories.consent(session, uscc=firm.uscc, bank_code=bank.code, categories=("social_insurance",))
    session.flush()
    body = _get(client, session, firm.uscc, officer).get_json()
    assert body["categories_used"] == ["social_insurance"]
    assert body["reasons"] and all(CATEGORY[r["code"]] == "social_insurance" for r in body["reasons"])
    full = _get(client, session, firm.uscc, factories.user(session, "enterprise", uscc=firm.uscc)).get_json()
    assert body["pd"] != pytest.approx(full["pd"])  # the late filings are not the bank's to see
    events = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "firmdata.read", AuditEvent.uscc == firm.uscc)
    ).all()
    assert any(e.resource == f"score/{firm.uscc}" for e in events)
    # another purpose has no consent
    assert _get(client, session, firm.uscc, officer, purpose="pre_screen").status_code == 403


def test_errors(client, session, app, firm):
    analyst = factories.user(session, "analyst")
    assert _get(client, session, firm.uscc, analyst).status_code == 503  # no champion in this registry
    assert _get(client, session, factories.new_uscc(), analyst).status_code == 404
    assert _get(client, session, firm.uscc, analyst, purpose="gossip").status_code == 422


def test_batch_scoring_stores_every_firm(app, session, champion, firm):
    for _ in range(4):
        factories.enterprise(session)
    with app.app_context():
        summary = runner.run("scores", session=session, as_of=clock.now(), partition_firms=2)  # 3 partitions
        run = session.get(ScoreRun, summary.score_run_id)
        stored = scoring.run_scores(session, run.id).num_rows  # the parts in the app's store
        latest = scoring.latest_scores(session, [firm.uscc])[firm.uscc]
    assert (summary.status, summary.partitions, summary.done) == ("done", 3, 3)
    n = session.scalar(sa.select(sa.func.sum(ScoreRunPart.n_firms)).where(ScoreRunPart.run_id == run.id))
    firms = session.scalar(sa.text("select count(*) from enterprise"))
    assert run.n_firms == n == stored == firms and run.model_version == champion
    assert "late_filings_12m" in latest["reasons"]
    assert session.get(ScoreRun, run.id).snapshot_id is not None
    assert np.isfinite(latest["pd"])
