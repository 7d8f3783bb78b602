"""Prometheus metrics at /metrics: for operators and the loopback scraper only; requests by route (never
by path), batch stages, ingestion accepted and rejected, consents, whitelist deliveries and scheduler
jobs counted where they happen."""

from __future__ import annotations

from prometheus_client import REGISTRY

from bank_tax import clock
from bank_tax.batch import daily, runner
from bank_tax.consent import service as consents
from bank_tax.scheduler import JobSpec, run_job
from bank_tax.security.roles import Role
from bank_tax.sources import ingest
from bank_tax.sources.specs import SOURCES
from tests import factories
from tests.matching.helpers import firm
from tests.sources.helpers import csv_bytes, vat

ELSEWHERE = {"REMOTE_ADDR": "10.20.30.40"}


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_only_operators_and_the_loopback_scraper_read_the_metrics(client, session):
    operator, _ = factories.auth(session, Role.OPERATOR)
    officer, _ = factories.auth(session, Role.BANK_OFFICER, bank_code=factories.bank(session).code)
    assert client.get("/metrics").status_code == 200  # the test client calls from 127.0.0.1
    assert client.get("/metrics", environ_base=ELSEWHERE).status_code == 404
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404  # via a proxy
    assert client.get("/metrics", headers=officer, environ_base=ELSEWHERE).status_code == 404
    resp = client.get("/metrics", headers=operator, environ_base=ELSEWHERE)
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    assert "bank_tax_http_request_duration_seconds" in resp.get_data(as_text=True)


def test_requests_are_timed_by_route_not_by_path(client, session):
    uscc = factories.enterprise(session).uscc
    labels = {"route": "/api/v1/enterprises/<string:uscc>", "method": "GET", "status": "401"}
    before = value("bank_tax_http_request_duration_seconds_count", **labels)
    for _ in range(3):
        client.get(f"/api/v1/enterprises/{uscc}")
    text = client.get("/metrics").get_data(as_text=True)
    assert value("bank_tax_http_request_duration_seconds_count", **labels) == before + 3
    assert uscc not in text  # a firm's code never becomes a label


def test_ingestion_counts_accepted_and_rejected_rows(session):
    a, b = factories.enterprise(session).uscc, factories.enterprise(session).uscc
    rows = [vat(a), vat(b), vat(a, period="2025-13")]  # the last one has no such month
    accepted = value("bank_tax_ingest_rows_total", source="vat_declarations", outcome="accepted")
    rejected = value("bank_tax_ingest_rows_total", source="vat_declarations", outcome="rejected")
    data = csv_bytes("vat_declarations", rows)
    ingest.ingest(session, source=SOURCES["vat_declarations"], data=data, filename="v.csv", actor=None)
    assert value("bank_tax_ingest_rows_total", source="vat_declarations", outcome="accepted") == accepted + 2
    assert value("bank_tax_ingest_rows_total", source="vat_declarations", outcome="rejected") == rejected + 1


def test_consents_granted_and_revoked_are_counted(session):
    granted = value("bank_tax_consent_changes_total", action="granted")
    revoked = value("bank_tax_consent_changes_total", action="revoked")
    c = factories.consent(session, uscc=factories.enterprise(session).uscc, purpose="pre_screen")
    actor = factories.user(session, Role.ENTERPRISE, uscc=c.uscc)
    from bank_tax.security import service as security

    consents.revoke(session, uscc=c.uscc, consent_id=c.id, actor=security.principal_of(actor), reason="test")
    assert value("bank_tax_consent_changes_total", action="granted") == granted + 1
    assert value("bank_tax_consent_changes_total", action="revoked") == revoked + 1


def test_batch_stages_and_whitelist_deliveries_are_counted(app, session, champion):
    bank = factories.bank(session)
    factories.product(session, bank.code, "YSD")
    for _ in range(3):
        f = firm(session, grade="A")
        factories.consent(session, uscc=f.uscc, purpose="pre_screen")
    firms = value("bank_tax_batch_stage_firms_total", stage="scores")
    runs = value("bank_tax_batch_stage_duration_seconds_count", stage="scores", status="done")
    delivered = value("bank_tax_whitelist_deliveries_total", bank=bank.code)
    with app.app_context():
        summary = runner.run("scores", session=session, as_of=clock.now(), partition_firms=2)
        daily.whitelist(session, bank_code=bank.code, actor=None)
    assert value("bank_tax_batch_stage_firms_total", stage="scores") == firms + summary.firms
    assert value("bank_tax_batch_stage_duration_seconds_count", stage="scores", status="done") == runs + 1
    assert value("bank_tax_whitelist_deliveries_total", bank=bank.code) == delivered + 1
    assert REGISTRY.get_sample_value("bank_tax_score_psi") is not None


def test_scheduler_job_outcomes_are_counted(committing_app):
    ok = JobSpec("test.ok", "time:time", "interval", {"hours": 1}, "a job that works")
    bad = JobSpec("test.bad", "math:sqrt", "interval", {"hours": 1}, "a job that fails", args=(-1,))
    before = value("bank_tax_scheduler_job_runs_total", job="test.ok", outcome="done")
    failed = value("bank_tax_scheduler_job_runs_total", job="test.bad", outcome="failed")
    run_job(committing_app, ok, force=True)
    run_job(committing_app, bad, force=True)
    assert value("bank_tax_scheduler_job_runs_total", job="test.ok", outcome="done") == before + 1
    assert value("bank_tax_scheduler_job_runs_total", job="test.bad", outcome="failed") == failed + 1


def test_every_counter_is_exposed_from_the_start(app):
    """The app names its sources, stages and jobs to the counters, so a scrape before any event finds each
    series (at 0 when nothing has happened in this process yet)."""
    for source in SOURCES:
        assert (
            REGISTRY.get_sample_value("bank_tax_ingest_rows_total", {"source": source, "outcome": "rejected"})
            is not None
        )
    assert REGISTRY.get_sample_value("bank_tax_consent_changes_total", {"action": "revoked"}) is not None
    assert REGISTRY.get_sample_value("bank_tax_batch_stage_firms_total", {"stage": "features"}) is not None
    job = {"job": "pipeline.run", "outcome": "failed"}
    assert REGISTRY.get_sample_value("bank_tax_scheduler_job_runs_total", job) is not None


def test_the_scheduler_starts_with_the_last_runs_psi(app, session, champion):
    from bank_tax.modelling import monitoring
    from bank_tax.scheduler import build

    for _ in range(3):
        factories.consent(session, uscc=firm(session, grade="A").uscc, purpose="pre_screen")
    with app.app_context():
        runner.run("scores", session=session, as_of=clock.now())
        session.commit()
        psi = monitoring.last_run_psi(session)
        from bank_tax import metrics

        metrics.SCORE_PSI.set(-1.0)  # whatever an earlier test left: the scheduler must replace it
        build(app)
    assert REGISTRY.get_sample_value("bank_tax_score_psi") == psi
