"""The feature pipeline on hand-made records: each value as defined, masked by consent, point in time."""

import datetime as dt

import numpy as np
import pytest

from bank_tax.consent.mask import consent_mask
from bank_tax.features import pipeline
from bank_tax.features.catalogue import CATALOGUE, of_category
from bank_tax.sources import ingest
from bank_tax.sources.specs import SOURCES
from tests import factories
from tests.sources.helpers import csv_bytes, vat

AS_OF = dt.datetime(2025, 7, 15, tzinfo=dt.UTC)


def month_row(uscc, month: str, sales: str, late=False, **kw):
    y, m = (int(x) for x in month.split("-"))
    ny, nm = (y + m // 12, m % 12 + 1)
    due = f"{ny}-{nm:02d}-15"
    filed = f"{ny}-{nm:02d}-{'20' if late else '10'}"
    payable = f"{float(sales) * 0.03:.2f}"
    return vat(
        uscc,
        period=month,
        taxable_sales=sales,
        tax_payable=payable,
        tax_paid=payable,
        due_date=due,
        filed_on=filed,
        received_at=f"{filed}T02:00:00+00:00",
        **kw,
    )


@pytest.fixture
def firm(session):
    f = factories.enterprise(session, established_on=dt.date(2015, 5, 1))
    rows = []
    for i in range(24):  # July 2023 … June 2025
        m = 2023 * 12 + 6 + i
        month = f"{m // 12}-{m % 12 + 1:02d}"
        sales = "200000.00" if i >= 12 else "100000.00"  # doubled in the last 12 months
        rows.append(month_row(f.uscc, month, sales, late=(i in (20, 22))))  # late in Mar and May 2025
    ingest.ingest(
        session,
        source=SOURCES["vat_declarations"],
        data=csv_bytes("vat_declarations", rows),
        filename="v.csv",
        actor=None,
    )
    return f.uscc


def test_tax_features_as_defined(session, firm):
    f = pipeline.compute(session, usccs=[firm], as_of=AS_OF)
    get = {name: f.column(name)[0] for name in f.names}
    assert get["sales_12m"] == 2_400_000 and get["sales_yoy"] == pytest.approx(1.0)
    assert get["sales_volatility"] == pytest.approx(0.0)
    assert get["quarter_end_share"] == pytest.approx(4 / 12)
    assert get["late_filings_12m"] == 2 and get["late_filings_24m"] == 2
    assert get["months_since_late"] == 1  # May is one month before June, the last full month
    assert get["zero_months_12m"] == 0 and get["missing_months_12m"] == 0
    assert get["tax_burden"] == pytest.approx(0.03) and get["payment_ratio_12m"] == pytest.approx(1.0)
    assert get["months_operating"] == (2025 - 2015) * 12 + 2
    assert np.isnan(get["headcount"]) and get["blacklisted"] == 0


def test_point_in_time(session, firm):
    earlier = pipeline.compute(session, usccs=[firm], as_of=dt.datetime(2024, 7, 15, tzinfo=dt.UTC))
    assert earlier.column("sales_12m")[0] == 1_200_000 and np.isnan(earlier.column("sales_yoy")[0])
    assert earlier.column("late_filings_12m")[0] == 0


def test_a_missing_month_and_a_correction(session, firm):
    later = pipeline.compute(session, usccs=[firm], as_of=dt.datetime(2025, 9, 2, tzinfo=dt.UTC))
    assert later.column("missing_months_12m")[0] == 2  # July and August 2025 never came


def test_categories_outside_the_consent_are_nan(session, firm):
    bank = factories.bank(session).code
    factories.consent(session, uscc=firm, bank_code=bank, categories=["public_credit"])
    mask = consent_mask(session, bank_code=bank, purpose="underwriting", usccs=[firm])
    f = pipeline.compute(session, usccs=[firm], as_of=AS_OF, mask=mask)
    for name in of_category("tax"):
        assert np.isnan(f.column(name)[0]), name
    assert f.column("blacklisted")[0] == 0


def test_every_catalogue_feature_is_computed(session, firm):
    f = pipeline.compute(session, usccs=[firm, factories.new_uscc()], as_of=AS_OF)
    assert f.values.shape == (2, len(CATALOGUE))
