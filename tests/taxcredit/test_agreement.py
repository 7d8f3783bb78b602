"""On a synthetic province, the pre-evaluated grade of each closed year equals the grade the province
published for at least 95% of firms (the confusion matrix is printed; ``pytest -s`` shows it)."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from bank_tax import clock, create_app, demo, migrate
from bank_tax.config import TestConfig
from bank_tax.db import db
from bank_tax.sources.models import CreditGrade
from bank_tax.synth.province import SynthParams, generate
from bank_tax.synth.writers import write_province
from bank_tax.taxcredit.evaluate import pre_evaluate

pytestmark = pytest.mark.dated  # make test-moments runs it at every moment of tests/moments.py

LETTERS = "ABMCD"


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    """A 400-firm province (36 months to October 2026, so 2024 and 2025 lie whole in its window) loaded
    through ingestion into its own SQLite database: the same province whatever the day."""
    tmp = tmp_path_factory.mktemp("agreement")
    params = SynthParams.make(firms=400, months=36, seed=5, end_period="2026-10")
    write_province(generate(params), tmp / "files")
    url = f"sqlite:///{tmp / 'province.sqlite'}"
    migrate.upgrade(url)
    app = create_app(TestConfig, instance_path=str(tmp / "instance"), DATABASE_URL=url)
    with app.app_context(), db.scope() as s:
        demo.load_records(s, tmp / "files")
    yield app, clock.day_start(params.as_of)
    db.engine_of(app).dispose()


def confusion(published: dict[str, str], ours: dict[str, str]) -> np.ndarray:
    m = np.zeros((5, 5), dtype=int)
    for u, g in published.items():
        m[LETTERS.index(g), LETTERS.index(ours[u])] += 1
    return m


def test_pre_evaluation_agrees_with_the_published_grades(province):
    app, as_of = province
    with app.app_context(), db.scope() as s:
        years = sorted(set(s.scalars(sa.select(CreditGrade.year))))[-2:]  # the window's closed years
        assert len(years) == 2
        for year in years:
            published = dict(
                s.execute(sa.select(CreditGrade.uscc, CreditGrade.grade).where(CreditGrade.year == year)).all()
            )
            ev = pre_evaluate(s, usccs=list(published), year=year, as_of=as_of)
            ours = dict(zip(ev.usccs.tolist(), ev.grade.tolist(), strict=True))
            m = confusion(published, ours)
            agreement = np.trace(m) / m.sum()
            print(f"\n{year} ({ev.rule_set} rules), {m.sum()} firms, agreement {agreement:.1%}")
            print("published ↓ / pre-evaluated →  " + "  ".join(LETTERS))
            for i, row in enumerate(m):
                print(f"  {LETTERS[i]}  " + " ".join(f"{v:4d}" for v in row))
            assert agreement >= 0.95, (year, m)
