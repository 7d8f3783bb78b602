"""Batch ingestion: every quarantine reason, good rows land beside bad ones, idempotency, versions, atomicity."""

import datetime as dt

import pytest
import sqlalchemy as sa

from bank_tax import faults
from bank_tax.db import db
from bank_tax.errors import Invalid
from bank_tax.sources import ingest, service
from bank_tax.sources.models import IngestBatch, QuarantinedRow, SocialInsurance, VatDeclaration
from bank_tax.sources.specs import SOURCES
from tests import factories
from tests.sources.helpers import csv_bytes, si, vat

VAT = SOURCES["vat_declarations"]


def run(session, source, data, filename="batch.csv"):
    batch, new = ingest.ingest(session, source=SOURCES[source], data=data, filename=filename, actor=None)
    return ingest.report(session, batch), new


@pytest.fixture
def firm(session):
    return factories.enterprise(session).uscc


BAD_VAT = [
    ({"uscc": "91350100M000100Y44"}, "uscc", "check_character"),
    ({"uscc": "91350100M000100Y53"}, "uscc", "organization_code_check"),
    ({"uscc": "9135O100M000100Y43"}, "uscc", "charset"),
    ({"uscc": "91350100"}, "uscc", "length"),
    ({"period": "2025-13"}, "period", "YYYY-MM"),
    ({"period": "25-03"}, "period", "YYYY-MM"),
    ({"taxable_sales": "-5.00"}, "taxable_sales", "negative"),
    ({"taxable_sales": "12.345"}, "taxable_sales", "2 decimals"),
    ({"taxable_sales": "abc"}, "taxable_sales", "yuan"),
    ({"tax_payable": ""}, "tax_payable", "required"),
    ({"is_zero": "maybe"}, "is_zero", "1 or 0"),
    ({"filed_on": "2025-02-30"}, "filed_on", "YYYY-MM-DD"),
    ({"received_at": "2025-04-11 02:00"}, "received_at", "zone"),
    ({"version": "0"}, "version", "within"),
    ({"tax_paid": "4000.00"}, "tax_paid", "must not exceed tax_payable"),
    ({"tax_payable": "130000.00", "tax_paid": "100"}, "tax_payable", "must not exceed taxable_sales"),
    ({"is_zero": "1"}, "is_zero", "zero declaration"),
    ({"filed_on": "2025-03-20"}, "filed_on", "before the period ended"),
    ({"received_at": "2025-04-01T00:00:00+00:00"}, "received_at", "received before"),
]


@pytest.mark.parametrize(("change", "field", "words"), BAD_VAT, ids=[f"{b[1]}-{b[2]}" for b in BAD_VAT])
def test_every_quarantine_reason_with_line_and_field(session, firm, change, field, words):
    good = [
        vat(
            firm,
            period=f"2024-{m:02d}",
            filed_on=f"2024-{m + 1:02d}-10",
            due_date=f"2024-{m + 1:02d}-15",
            received_at=f"2024-{m + 1:02d}-11T02:00:00+00:00",
        )
        for m in (1, 2)
    ]
    bad = {**vat(firm), **change}
    report, _ = run(session, "vat_declarations", csv_bytes("vat_declarations", [good[0], bad, good[1]]))
    assert (report["inserted"], report["rejected"]) == (2, 1)
    [rejection] = report["rejections"]
    assert rejection["line"] == 3 and rejection["field"] == field
    assert words in rejection["reason"]


def test_wrong_number_of_fields_is_reported(session, firm):
    data = csv_bytes("vat_declarations", [vat(firm)]) + b"only,three,fields\n"
    report, _ = run(session, "vat_declarations", data)
    assert report["inserted"] == 1 and report["rejections"][0]["line"] == 3
    assert "expected 10 fields" in report["rejections"][0]["reason"]


def test_a_wrong_header_refuses_the_file(session):
    with pytest.raises(Invalid) as err:
        run(session, "vat_declarations", b"uscc,period,amount\n")
    assert err.value.errors == {
        "missing": ["version", "taxable_sales", "tax_payable", "tax_paid", "is_zero", "filed_on"],  # not due_date
        "unknown": ["amount"],
    }


def test_jsonl_malformed_lines_and_unknown_fields(session, firm):
    import json

    good = {
        "uscc": firm,
        "period": "2025-03",
        "utility": "electricity",
        "unit": "kWh",
        "consumption": 1200,
        "billed": "900.00",
        "due_date": "2025-04-20",
        "paid_on": "2025-04-18",
        "auto_debit": True,
        "received_at": "2025-04-19T02:00:00+00:00",
    }
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({**good, "colour": "red"}),
        json.dumps({**good, "utility": "water", "unit": "kWh"}),
    ]
    report, _ = run(session, "utilities", ("\n".join(lines) + "\n").encode(), "bills.jsonl")
    assert report["inserted"] == 1 and report["rejected"] == 3
    reasons = {r["line"]: r for r in report["rejections"]}
    assert "JSON" in reasons[2]["reason"] and "colour" in reasons[3]["reason"]
    assert reasons[4]["field"] == "unit"


def test_gb18030_files_are_read(session, firm):
    row = {
        "entry_id": "PC1",
        "uscc": firm,
        "list_type": "admin_penalty",
        "reason": "违反市场监管规定（一般程序）",
        "authority": "市场监督管理局",
        "listed_on": "2025-01-10",
        "removed_on": "",
        "received_at": "2025-01-11T02:00:00+00:00",
    }
    report, _ = run(session, "public_credit", csv_bytes("public_credit", [row], encoding="gb18030"))
    assert report["encoding"] == "gb18030" and report["inserted"] == 1
    [rec] = service.records(session, source=SOURCES["public_credit"], uscc=firm)
    assert rec["data"]["reason"] == "违反市场监管规定（一般程序）"


def test_same_file_twice_lands_nothing_the_second_time(session, firm):
    data = csv_bytes("vat_declarations", [vat(firm)])
    first, new = run(session, "vat_declarations", data)
    again, new_again = run(session, "vat_declarations", data, "renamed.csv")
    assert new and not new_again and again["batch_id"] == first["batch_id"]
    assert session.scalar(sa.select(sa.func.count()).select_from(VatDeclaration)) == 1


def test_resent_rows_in_another_file_are_duplicates(session, firm):
    run(session, "vat_declarations", csv_bytes("vat_declarations", [vat(firm)]))
    other = vat(
        firm, period="2025-04", filed_on="2025-05-12", due_date="2025-05-15", received_at="2025-05-13T02:00:00+00:00"
    )
    report, _ = run(session, "vat_declarations", csv_bytes("vat_declarations", [vat(firm), other, other]))
    assert (report["inserted"], report["duplicate"]) == (1, 2)


def test_explicit_version_conflict_is_quarantined(session, firm):
    run(session, "vat_declarations", csv_bytes("vat_declarations", [vat(firm)]))
    report, _ = run(
        session,
        "vat_declarations",
        csv_bytes("vat_declarations", [vat(firm, taxable_sales="1.00", tax_payable="0.03", tax_paid="0.03")]),
    )
    assert report["rejected"] == 1 and report["rejections"][0]["field"] == "version"


def test_corrections_are_versions_and_readable_as_of(session, firm):
    run(session, "vat_declarations", csv_bytes("vat_declarations", [vat(firm)]))
    fixed = vat(
        firm,
        version="2",
        taxable_sales="150000.00",
        tax_payable="4500.00",
        tax_paid="4500.00",
        received_at="2025-06-01T02:00:00+00:00",
    )
    report, _ = run(session, "vat_declarations", csv_bytes("vat_declarations", [fixed]))
    assert report["corrected"] == 1
    t = dt.datetime(2025, 5, 1, tzinfo=dt.UTC)
    [before] = service.records(session, source=VAT, uscc=firm, as_of=t)
    [after] = service.records(session, source=VAT, uscc=firm)
    assert (before["version"], before["data"]["taxable_sales"]) == (1, 12_000_000)
    assert (after["version"], after["data"]["taxable_sales"]) == (2, 15_000_000)
    assert service.records(session, source=VAT, uscc=firm, as_of=dt.datetime(2025, 4, 1, tzinfo=dt.UTC)) == []


def test_platform_versions_for_sources_without_one(session, firm):
    first = si(firm)
    changed = si(firm, contribution_paid="20000.00", arrears="1600.00", received_at="2025-05-10T02:00:00+00:00")
    report, _ = run(session, "social_insurance", csv_bytes("social_insurance", [first, changed, changed]))
    assert (report["inserted"], report["corrected"], report["duplicate"]) == (1, 1, 1)
    versions = session.scalars(
        sa.select(SocialInsurance.version).where(SocialInsurance.uscc == firm).order_by(SocialInsurance.version)
    ).all()
    assert versions == [1, 2]
    again, _ = run(session, "social_insurance", csv_bytes("social_insurance", [changed]), "resend.csv")
    assert again["duplicate"] == 1 and again["inserted"] == again["corrected"] == 0


def test_erroneous_codes_report(session, firm):
    run(session, "social_insurance", csv_bytes("social_insurance", [si(firm), si("91350100M000100Y44")]))
    [row] = service.erroneous_codes(session)
    assert row["uscc"] == "91350100M000100Y44" and row["source"] == "social_insurance" and row["line"] == 3


@pytest.mark.concurrency
def test_injected_failure_mid_batch_leaves_nothing(committing_app, monkeypatch):
    """A failure after the first chunk has been written: the whole batch rolls back, then a rerun lands it."""
    monkeypatch.setattr(ingest, "CHUNK", 2)
    monkeypatch.setenv("BANK_TAX_FAULTS", "ingest.rows=raise@2")
    faults.reset()
    with committing_app.app_context():
        with db.scope() as s:
            uscc = factories.enterprise(s).uscc
        rows = [
            vat(
                uscc,
                period=f"2024-{m:02d}",
                filed_on=f"2024-{m + 1:02d}-10",
                due_date=f"2024-{m + 1:02d}-15",
                received_at=f"2024-{m + 1:02d}-11T02:00:00+00:00",
            )
            for m in range(1, 8)
        ]
        data = csv_bytes("vat_declarations", rows + [vat("91350100M000100Y44")])

        def count(model):
            with db.scope() as s:
                return s.scalar(sa.select(sa.func.count()).select_from(model))

        with pytest.raises(faults.InjectedFault), db.scope() as s:
            run(s, "vat_declarations", data)
        assert (count(VatDeclaration), count(IngestBatch), count(QuarantinedRow)) == (0, 0, 0)
        monkeypatch.delenv("BANK_TAX_FAULTS")
        with db.scope() as s:
            report, new = run(s, "vat_declarations", data)
        assert new and (report["inserted"], report["rejected"]) == (7, 1)
        assert (count(VatDeclaration), count(IngestBatch), count(QuarantinedRow)) == (7, 1, 1)


def test_formats_document_names_every_source_and_column():
    from pathlib import Path

    import bank_tax.sources

    text = (Path(bank_tax.sources.__file__).parent / "FORMATS.md").read_text(encoding="utf-8")
    for name, spec in SOURCES.items():
        assert f"`{name}`" in text
        for column in spec.columns:
            assert column in text, f"{name}.{column} is not documented"


def test_keys_of_different_widths_never_collide(session, firm):
    """A stored key longer than any in the new batch must not be cut to match a shorter one."""
    row = {
        "entry_id": "PC100",
        "uscc": firm,
        "list_type": "admin_penalty",
        "reason": "x",
        "authority": "y",
        "listed_on": "2025-01-10",
        "removed_on": "",
        "received_at": "2025-01-11T02:00:00+00:00",
    }
    run(session, "public_credit", csv_bytes("public_credit", [{**row, "entry_id": "PC1000"}]))
    report, _ = run(session, "public_credit", csv_bytes("public_credit", [row]))
    assert (report["inserted"], report["corrected"], report["duplicate"]) == (1, 0, 0)


def test_spaces_and_case_are_forgiven(session, firm):
    report, _ = run(
        session,
        "vat_declarations",
        csv_bytes(
            "vat_declarations",
            [vat(f" {firm.lower()} ", period=" 2025-03", filed_on="2025-04-10 ", received_at=" 2025-04-11T02:00:00Z")],
        ),
    )
    assert report["inserted"] == 1, report["rejections"]
    [rec] = service.records(session, source=VAT, uscc=firm)
    assert rec["data"]["period"] == dt.date(2025, 3, 1) and rec["data"]["filed_on"] == dt.date(2025, 4, 10)
    assert rec["received_at"] == dt.datetime(2025, 4, 11, 2, tzinfo=dt.UTC)


OTHER_RULES = [
    ("social_insurance", {"contribution_paid": "30000.00"}, "contribution_paid"),
    ("social_insurance", {"arrears": "5.00"}, "arrears"),
    ("housing_fund", {"deposit_paid": "900.00", "arrears": "50.00"}, "arrears"),
    ("housing_fund", {"depositors": "-1"}, "depositors"),
    ("cit_annual", {"tax_paid": "999999.00"}, "tax_paid"),
    ("credit_grades", {"grade": "E"}, "grade"),
    ("credit_grades", {"score": "101"}, "score"),
    ("tax_arrears", {"cleared_on": "2024-12-31"}, "cleared_on"),
    ("public_credit", {"removed_on": "2024-12-31"}, "removed_on"),
    ("public_credit", {"list_type": "grey_list"}, "list_type"),
    ("utilities", {"utility": "steam"}, "utility"),
]

BASE_ROWS = {
    "social_insurance": {
        "period": "2025-03",
        "insured_headcount": "12",
        "contribution_base": "6000.00",
        "contribution_due": "21600.00",
        "contribution_paid": "21600.00",
        "arrears": "0.00",
    },
    "housing_fund": {
        "period": "2025-03",
        "depositors": "10",
        "deposit_due": "1000.00",
        "deposit_paid": "1000.00",
        "arrears": "0.00",
    },
    "cit_annual": {
        "year": "2024",
        "revenue": "5000000.00",
        "profit_total": "-20000.00",
        "tax_payable": "0.00",
        "tax_paid": "0.00",
        "due_date": "2025-05-31",
        "filed_on": "2025-05-20",
    },
    "credit_grades": {"year": "2024", "grade": "A", "score": "95.0", "rule_set": "2021", "evaluated_on": "2025-04-15"},
    "tax_arrears": {
        "arrear_id": "AR1",
        "tax_type": "VAT",
        "period": "2025-01",
        "amount": "300.00",
        "arisen_on": "2025-02-16",
        "cleared_on": "",
    },
    "public_credit": {
        "entry_id": "PC9",
        "list_type": "key_watch",
        "reason": "社保费长期欠缴",
        "authority": "省信用办",
        "listed_on": "2025-01-10",
        "removed_on": "",
    },
    "utilities": {
        "period": "2025-03",
        "utility": "water",
        "unit": "t",
        "consumption": "40",
        "billed": "180.00",
        "due_date": "2025-04-20",
        "paid_on": "",
        "auto_debit": "0",
    },
}


@pytest.mark.parametrize(("source", "change", "field"), OTHER_RULES, ids=[f"{r[0]}-{r[2]}" for r in OTHER_RULES])
def test_rules_of_the_other_sources(session, firm, source, change, field):
    good = {"uscc": firm, **BASE_ROWS[source], "received_at": "2025-06-01T02:00:00+00:00"}
    report, _ = run(session, source, csv_bytes(source, [good, {**good, **change}]))
    assert report["inserted"] == 1 and report["rejected"] == 1, report
    assert report["rejections"][0]["field"] == field and report["rejections"][0]["line"] == 3
