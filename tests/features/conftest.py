"""A small synthetic province in the test's database, with disputes on its newest VAT records."""

import csv
import datetime as dt

import pytest
import sqlalchemy as sa

from bank_tax.demo import AGENCY_FILES
from bank_tax.enterprises import service as enterprises
from bank_tax.sources import ingest
from bank_tax.sources.models import Dispute
from bank_tax.sources.specs import SOURCES
from bank_tax.synth.province import SynthParams, generate
from bank_tax.synth.writers import write_province


@pytest.fixture
def province(session, tmp_path):
    out = tmp_path / "p"
    params = SynthParams.make(firms=60, months=36, seed=3, end_period="2026-06")
    write_province(generate(params), out)
    with open(out / "registry" / "enterprises.csv", encoding="utf-8") as fh:
        rows = [{**r, "established_on": dt.date.fromisoformat(r["established_on"])} for r in csv.DictReader(fh)]
    enterprises.register_many(session, rows, actor=None)
    for source, rel in AGENCY_FILES.items():
        ingest.ingest(session, source=SOURCES[source], data=(out / rel).read_bytes(), filename=rel, actor=None)
    # disputes on the newest VAT records: open, resolved in May 2026, opened only after both moments
    t = SOURCES["vat_declarations"].table.__table__
    newest = session.execute(sa.select(t.c.id, t.c.uscc).order_by(t.c.period.desc(), t.c.id).limit(9)).all()
    for i, (record_id, uscc) in enumerate(newest):
        opened = dt.datetime(2026, 8 if i % 3 == 2 else 1, 5, tzinfo=dt.UTC)
        resolved = dt.datetime(2026, 5, 1, tzinfo=dt.UTC) if i % 3 == 1 else None
        session.add(
            Dispute(
                uscc=uscc,
                source="vat_declarations",
                record_id=record_id,
                reason="测试",
                opened_by="t",
                opened_at=opened,
                resolved_at=resolved,
                status="upheld" if resolved else "open",
            )
        )
    session.flush()
    return [r["uscc"] for r in rows]
