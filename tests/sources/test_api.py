"""Ingestion over HTTP, the drop folder and CLI, a firm's records, bank access through consent, disputes."""

import io
import json

import pytest
import sqlalchemy as sa

from bank_tax.security.models import AuditEvent
from bank_tax.sources.specs import SOURCES
from tests import factories
from tests.sources.helpers import csv_bytes, si, vat

pytestmark = pytest.mark.dated  # make test-moments runs it at every moment of tests/moments.py


@pytest.fixture
def world(session):
    firm = factories.enterprise(session)
    firm_headers, _ = factories.auth(session, "enterprise", uscc=firm.uscc)
    operator, _ = factories.auth(session, "operator")
    bank = factories.bank(session)
    officer, _ = factories.auth(session, "bank_officer", bank_code=bank.code)
    return {"uscc": firm.uscc, "firm": firm_headers, "operator": operator, "bank": bank.code, "officer": officer}


def upload(client, headers, source, data, name="batch.csv"):
    return client.post(
        f"/api/v1/ingest/{source}",
        headers=headers,
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def recent_vat(uscc, months_ago=1, **kw):
    """A return for the month ``months_ago`` before two days ago's, filed on the 1st after it and received
    the next morning: already known at the clock's moment, even on the 1st of a month."""
    import datetime as dt

    from bank_tax import clock

    period = clock.add_months(clock.today() - dt.timedelta(days=2), -months_ago)
    filed = clock.add_months(period, 1)
    return vat(
        uscc,
        period=f"{period:%Y-%m}",
        due_date=f"{filed:%Y-%m}-15",
        filed_on=filed.isoformat(),
        received_at=f"{filed + dt.timedelta(days=1)}T02:00:00+00:00",
        **kw,
    )


def test_upload_report_then_same_file_again(client, world):
    data = csv_bytes("vat_declarations", [vat(world["uscc"]), vat("91350100M000100Y44")])
    first = upload(client, world["operator"], "vat_declarations", data)
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert (body["inserted"], body["rejected"], body["new"]) == (1, 1, True)
    assert body["erroneous_codes"] == ["91350100M000100Y44"]
    again = upload(client, world["operator"], "vat_declarations", data)
    assert again.status_code == 200 and again.get_json()["new"] is False
    batches = client.get("/api/v1/ingest/batches", headers=world["operator"]).get_json()
    assert len(batches) == 1
    detail = client.get(f"/api/v1/ingest/batches/{body['batch_id']}", headers=world["operator"]).get_json()
    assert detail["rejections"][0]["line"] == 3
    codes = client.get("/api/v1/ingest/erroneous-codes", headers=world["operator"]).get_json()
    assert codes[0]["uscc"] == "91350100M000100Y44"


def test_upload_refusals(client, world):
    data = csv_bytes("vat_declarations", [vat(world["uscc"])])
    assert upload(client, world["firm"], "vat_declarations", data).status_code == 403
    assert upload(client, world["operator"], "no_such_source", data).status_code == 404
    bad_type = upload(client, world["operator"], "vat_declarations", data, "batch.exe")
    assert bad_type.status_code == 422 and "file" in bad_type.get_json()["errors"]
    wrong_header = upload(client, world["operator"], "vat_declarations", b"a,b\n1,2\n")
    assert wrong_header.status_code == 422 and "missing" in wrong_header.get_json()["errors"]
    no_file = client.post(
        "/api/v1/ingest/vat_declarations", headers=world["operator"], data={}, content_type="multipart/form-data"
    )
    assert no_file.status_code == 422


def test_the_firm_sees_its_own_records(client, world):
    upload(client, world["operator"], "vat_declarations", csv_bytes("vat_declarations", [vat(world["uscc"])]))
    rows = client.get(f"/api/v1/enterprises/{world['uscc']}/records/vat_declarations", headers=world["firm"]).get_json()
    assert len(rows) == 1 and rows[0]["data"]["taxable_sales"] == 12_000_000 and rows[0]["disputed"] is False


FIRM_DATA = ["/api/v1/enterprises/{uscc}"] + [f"/api/v1/enterprises/{{uscc}}/records/{s}" for s in SOURCES]


@pytest.mark.parametrize("path", FIRM_DATA)
@pytest.mark.parametrize("purpose", [None, "pre_screen", "underwriting", "post_loan_monitoring"])
def test_a_bank_without_consent_is_refused_on_every_firm_data_endpoint(client, session, world, path, purpose):
    other_bank = factories.bank(session).code  # the firm consents to someone else, for everything
    factories.consent(
        session,
        uscc=world["uscc"],
        bank_code=other_bank,
        purpose=purpose or "underwriting",
        categories=["tax", "social_insurance", "housing_fund", "utilities", "public_credit"],
    )
    url = path.format(uscc=world["uscc"]) + (f"?purpose={purpose}" if purpose else "")
    resp = client.get(url, headers=world["officer"])
    assert resp.status_code in (403, 404)
    assert resp.get_json()["code"] == resp.status_code


def test_a_bank_sees_consented_categories_within_the_window_and_is_audited(client, session, world):
    upload(
        client,
        world["operator"],
        "vat_declarations",
        csv_bytes("vat_declarations", [recent_vat(world["uscc"], 1), recent_vat(world["uscc"], 30)]),
    )
    upload(client, world["operator"], "social_insurance", csv_bytes("social_insurance", [si(world["uscc"])]))
    factories.consent(session, uscc=world["uscc"], bank_code=world["bank"], categories=["tax"], data_window_months=12)
    base = f"/api/v1/enterprises/{world['uscc']}/records"
    tax = client.get(f"{base}/vat_declarations?purpose=underwriting", headers=world["officer"])
    assert tax.status_code == 200 and len(tax.get_json()) == 1  # the 30-month-old return is outside the window
    assert client.get(f"{base}/social_insurance?purpose=underwriting", headers=world["officer"]).status_code == 403
    reads = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.uscc == world["uscc"], AuditEvent.action == "firmdata.read")
    ).all()
    assert (
        len(reads) == 1 and reads[0].purpose == "underwriting" and json.loads(reads[0].details)["categories"] == ["tax"]
    )


def test_dispute_life_cycle(client, session, world):
    upload(client, world["operator"], "vat_declarations", csv_bytes("vat_declarations", [vat(world["uscc"])]))
    base = f"/api/v1/enterprises/{world['uscc']}"
    [record] = client.get(f"{base}/records/vat_declarations", headers=world["firm"]).get_json()
    opened = client.post(
        f"{base}/disputes",
        headers=world["firm"],
        json={"source": "vat_declarations", "record_id": record["id"], "reason": "销售额有误，应为15万"},
    )
    assert opened.status_code == 201
    dispute = opened.get_json()
    again = client.post(
        f"{base}/disputes",
        headers=world["firm"],
        json={"source": "vat_declarations", "record_id": record["id"], "reason": "again"},
    )
    assert again.status_code == 409
    [flagged] = client.get(f"{base}/records/vat_declarations", headers=world["firm"]).get_json()
    assert flagged["disputed"] is True
    queue = client.get("/api/v1/disputes?status=open", headers=world["operator"]).get_json()
    assert [d["id"] for d in queue] == [dispute["id"]]
    bad = client.post(
        f"/api/v1/disputes/{dispute['id']}/resolve",
        headers=world["operator"],
        json={"outcome": "corrected", "reply": "已更正", "correction": {"taxable_sales": "-1"}},
    )
    assert bad.status_code == 422
    resolved = client.post(
        f"/api/v1/disputes/{dispute['id']}/resolve",
        headers=world["operator"],
        json={
            "outcome": "corrected",
            "reply": "已按税务机关核实结果更正",
            "correction": {"taxable_sales": "150000.00", "tax_payable": "4500.00", "tax_paid": "4500.00"},
        },
    )
    assert resolved.status_code == 200, resolved.get_json()
    assert resolved.get_json()["status"] == "corrected"
    [now] = client.get(f"{base}/records/vat_declarations", headers=world["firm"]).get_json()
    assert (now["version"], now["data"]["taxable_sales"], now["disputed"]) == (2, 15_000_000, False)
    mine = client.get(f"{base}/disputes", headers=world["firm"]).get_json()
    assert mine[0]["reply"] == "已按税务机关核实结果更正"
    twice = client.post(
        f"/api/v1/disputes/{dispute['id']}/resolve",
        headers=world["operator"],
        json={"outcome": "upheld", "reply": "x" * 3},
    )
    assert twice.status_code == 409
    actions = session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.uscc == world["uscc"], AuditEvent.action.like("dispute.%"))
    ).all()
    assert actions == ["dispute.open", "dispute.corrected"]


def test_dispute_upheld_and_foreign_records(client, session, world):
    other = factories.enterprise(session).uscc
    upload(client, world["operator"], "social_insurance", csv_bytes("social_insurance", [si(world["uscc"]), si(other)]))
    theirs = client.get(f"/api/v1/enterprises/{other}/records/social_insurance", headers=world["operator"]).get_json()
    base = f"/api/v1/enterprises/{world['uscc']}"
    stolen = client.post(
        f"{base}/disputes",
        headers=world["firm"],
        json={"source": "social_insurance", "record_id": theirs[0]["id"], "reason": "not mine"},
    )
    assert stolen.status_code == 404
    [mine] = client.get(f"{base}/records/social_insurance", headers=world["firm"]).get_json()
    d = client.post(
        f"{base}/disputes",
        headers=world["firm"],
        json={"source": "social_insurance", "record_id": mine["id"], "reason": "人数不对"},
    ).get_json()
    upheld = client.post(
        f"/api/v1/disputes/{d['id']}/resolve",
        headers=world["operator"],
        json={"outcome": "upheld", "reply": "经核实，原记录无误"},
    )
    assert upheld.get_json()["status"] == "upheld"


def test_drop_folder_moves_files_with_their_reports(app, session, world, tmp_path):
    inbox = tmp_path / "inbox"
    app.config["INBOX_PATH"] = str(inbox)
    try:
        (inbox / "social_insurance").mkdir(parents=True)
        (inbox / "social_insurance" / "2025-03.csv").write_bytes(csv_bytes("social_insurance", [si(world["uscc"])]))
        (inbox / "vat_declarations").mkdir()
        (inbox / "vat_declarations" / "broken.csv").write_bytes(b"not,a,vat,file\n")
        result = app.test_cli_runner().invoke(args=["ingest-inbox"])
        assert result.exit_code == 0, result.output
        done = inbox / "social_insurance" / "done"
        assert (done / "2025-03.csv").exists()
        assert json.loads((done / "2025-03.csv.report.json").read_text())["inserted"] == 1
        failed = inbox / "vat_declarations" / "failed"
        assert (failed / "broken.csv").exists() and "header" in (failed / "broken.csv.report.json").read_text()
    finally:
        app.config.pop("INBOX_PATH")


def test_cli_ingest(app, world, tmp_path):
    path = tmp_path / "si.csv"
    path.write_bytes(csv_bytes("social_insurance", [si(world["uscc"]), si("91350100M000100Y44")]))
    result = app.test_cli_runner().invoke(
        args=["ingest", "social_insurance", str(path), "--report", str(tmp_path / "r.json")]
    )
    assert result.exit_code == 0, result.output
    assert "inserted=1" in result.output and "line 3: uscc" in result.output
    assert json.loads((tmp_path / "r.json").read_text())["rejected"] == 1
