"""The history export: every version of every record known at the moment, per source and partition, as
Parquet that reads back equal to the database (ids, versions, arrival moments, what superseded what as
known then); a version that arrived later is not in it, and the same moment exports the same bytes."""

import datetime as dt
import json

import pyarrow.dataset as ds
import pytest
import sqlalchemy as sa

from bank_tax import clock, demo, store
from bank_tax.batch import export, runner
from bank_tax.db import db
from bank_tax.enterprises.models import Enterprise
from bank_tax.security.roles import Principal, Role
from bank_tax.sources import ingest
from bank_tax.sources import service as sources
from bank_tax.sources.models import VatDeclaration
from bank_tax.sources.specs import SOURCES
from bank_tax.synth.province import SynthParams, generate
from bank_tax.synth.writers import write_province
from tests.sources.helpers import VAT_ROW, csv_bytes

pytestmark = pytest.mark.slow
AS_OF = dt.datetime(2026, 10, 12, 2, tzinfo=dt.UTC)


def _send(s, uscc, version, at, paid):
    row = {**VAT_ROW, "uscc": uscc, "version": str(version), "received_at": at.isoformat(), "tax_paid": paid}
    batch, _ = ingest.ingest(
        s, source=SOURCES["vat_declarations"], data=csv_bytes("vat_declarations", [row]), filename="c.csv", actor=None
    )
    assert ingest.counts(batch)["rejected"] == 0


@pytest.fixture
def province(committing_app, tmp_path):
    params = SynthParams.make(firms=60, months=18, seed=5, end_period="2026-09", faults=False)
    write_province(generate(params), tmp_path / "p")
    with committing_app.app_context(), db.scope() as s:
        demo.load_records(s, tmp_path / "p")
        first = s.scalar(sa.select(Enterprise.uscc).order_by(Enterprise.uscc))
        _send(s, first, 1, AS_OF - dt.timedelta(days=30), "3600.00")
        _send(s, first, 2, AS_OF - dt.timedelta(minutes=10), "3500.00")  # a correction known at the moment
        _send(s, first, 3, AS_OF + dt.timedelta(days=1), "3400.00")  # one that arrived after it
        v2 = s.scalar(
            sa.select(VatDeclaration.id).where(
                VatDeclaration.uscc == first, VatDeclaration.period == dt.date(2025, 3, 1), VatDeclaration.version == 2
            )
        )
        firm = Principal(0, "f", Role.ENTERPRISE, uscc=first)
        with clock.travel(AS_OF - dt.timedelta(minutes=5)):  # the firm contests the correction before the moment
            sources.open_dispute(
                s, uscc=first, source=SOURCES["vat_declarations"], record_id=v2, reason="未申报此数", actor=firm
            )
    return committing_app, first


def test_the_history_reads_back_as_the_database_knew_it_then(province):
    app, corrected = province
    with app.app_context():
        summary = runner.run("history", as_of=AS_OF, workers=1, partition_firms=25)
        assert summary.status == "done" and summary.partitions == 3
        folder = store.root() / export.history_folder(summary.run_id)
        manifest = json.loads((folder / export.MANIFEST).read_text(encoding="utf-8"))
        assert manifest["firms"] == 60 and len(manifest["parts"]) == 3 * len(SOURCES)
        with db.scope() as s:
            for name, spec in SOURCES.items():
                t = spec.table.__table__
                data = ds.dataset(folder / name, format="parquet", partitioning="hive").to_table()
                known = s.execute(sa.select(t.c.id, t.c.version).where(t.c.received_at <= AS_OF)).all()
                got = zip(data.column("id").to_pylist(), data.column("version").to_pylist(), strict=True)
                assert sorted(got) == sorted((i, v) for i, v in known), name
                assert data.num_rows == sum(p["rows"] for p in manifest["parts"] if p["source"] == name)
                assert "row_hash" not in data.column_names
            rows = s.execute(
                sa.select(VatDeclaration.version, VatDeclaration.received_at, VatDeclaration.tax_paid)
                .where(VatDeclaration.uscc == corrected, VatDeclaration.period == dt.date(2025, 3, 1))
                .order_by(VatDeclaration.version)
            ).all()
        assert [r.version for r in rows] == [1, 2, 3]
        vat = ds.dataset(folder / "vat_declarations", format="parquet", partitioning="hive").to_table()
        mine = sorted(
            (r for r in vat.to_pylist() if r["uscc"] == corrected and r["period"] == dt.date(2025, 3, 1)),
            key=lambda r: r["version"],
        )
        assert [r["version"] for r in mine] == [1, 2]  # version 3 arrived after the moment
        assert mine[0]["superseded_at"] == rows[1].received_at  # as it was then
        assert mine[1]["superseded_at"] is None  # superseded only later, by version 3
        assert [r["tax_paid"] for r in mine] == [360000, 350000]  # money in 分
        assert [r["under_dispute"] for r in mine] == [False, True]  # contested then: the features left it out
        assert sum(vat.column("under_dispute").to_pylist()) == 1
        assert mine[0]["part"] == 0  # Hive's layout: the partition is a column
        again = runner.run("history", as_of=AS_OF, workers=1, partition_firms=25)  # the same moment again
        second = json.loads((store.root() / export.history_folder(again.run_id) / export.MANIFEST).read_text("utf-8"))
        assert again.run_id != summary.run_id
        assert [p["sha256"] for p in second["parts"]] == [p["sha256"] for p in manifest["parts"]]  # byte for byte


def test_a_history_of_no_firms_is_an_empty_sealed_export(committing_app):
    with committing_app.app_context():
        summary = runner.run("history", as_of=AS_OF, workers=1)
        manifest = json.loads(
            (store.root() / export.history_folder(summary.run_id) / export.MANIFEST).read_text(encoding="utf-8")
        )
    assert summary.status == "done" and manifest["firms"] == 0 and manifest["parts"] == []
