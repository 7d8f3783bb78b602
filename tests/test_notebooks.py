"""The analysts' notebooks run end to end (nbclient) on a small synthetic province; a failing cell fails."""

import datetime as dt
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from bank_tax import create_app, demo
from bank_tax.batch import runner
from bank_tax.config import TestConfig
from bank_tax.db import db
from bank_tax.migrate import upgrade
from bank_tax.modelling.registry import Registry
from bank_tax.synth.province import SynthParams, generate
from bank_tax.synth.writers import write_province
from tests.conftest import fresh_database

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


@pytest.fixture(scope="module")
def province(tmp_path_factory, fitted):
    """A migrated database with a province, a champion in a registry, and two batch scoring runs."""
    tmp = tmp_path_factory.mktemp("notebooks")
    with fresh_database(tmp) as url:
        upgrade(url)
        models = tmp / "models"
        reg = Registry(models)
        reg.promote(reg.register(fitted.model, {"data": {"source": "tests"}, "evaluation": fitted.report}))
        app = create_app(TestConfig, instance_path=str(tmp / "instance"), DATABASE_URL=url, MODEL_DIR=str(models))
        params = SynthParams.make(firms=600, months=48, seed=5, end_period="2026-06", application_rate=0.3)
        write_province(generate(params), tmp / "p")
        with app.app_context():
            with db.scope() as session:
                demo.load_records(session, tmp / "p")
                demo.load_history(session, tmp / "p")
            for day in ("2026-04-01", "2026-07-01"):
                with db.scope() as session:
                    runner.run("scores", session=session, as_of=dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC))
        db.engine_of(app).dispose()
        yield {
            "DATABASE_URL": url,
            "MODEL_DIR": str(models),
            "BANK_TAX_INSTANCE_PATH": str(tmp / "instance"),
            "BANK_TAX_OBSERVATION": params.as_of.isoformat(),
        }


@pytest.mark.slow
@pytest.mark.parametrize("name", ["retrain.ipynb", "monitoring.ipynb"])
def test_notebook_runs(province, name, monkeypatch, tmp_path):
    for key, value in province.items():
        monkeypatch.setenv(key, value)
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    if name == "retrain.ipynb":
        assert "as challenger" in text
        reg = Registry(province["MODEL_DIR"])
        assert reg.index()["aliases"].get("challenger")
    else:
        assert "champion" in text
    assert any("image/png" in o.get("data", {}) for o in outputs), "the charts were drawn"
    assert os.environ["MODEL_DIR"] == province["MODEL_DIR"]
