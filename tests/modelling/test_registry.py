"""The registry: versions with cards and hashes, aliases, refusing altered files; the CLI over it."""

import json

import numpy as np
import pytest

from bank_tax.errors import NotFound
from bank_tax.modelling.registry import Registry, RegistryError
from tests.modelling.data import catalogue_matrix


@pytest.fixture
def reg(tmp_path, fitted):
    r = Registry(tmp_path / "models")
    r.register(fitted.model, {"data": {"source": "tests"}, "evaluation": fitted.report})
    return r


def test_a_registered_model_loads_back_and_scores_the_same(reg, fitted):
    (version,) = reg.index()["versions"]
    X, _, _ = catalogue_matrix(500, seed=4)
    loaded = reg.load(version)
    assert loaded.version == version and loaded.names == fitted.model.names
    assert np.array_equal(loaded.pd(X), fitted.model.pd(X))
    assert np.array_equal(loaded.reasons(X[:20]).index, fitted.model.reasons(X[:20]).index)
    card = reg.card(version)
    assert card["sha256"] == reg.index()["versions"][version]["sha256"]
    assert card["evaluation"]["test"]["auc"] > 0.7 and card["code_version"]
    md = (reg.root / version / "card.md").read_text(encoding="utf-8")
    assert f"# Model card: {version}" in md and "Out-of-time performance" in md


def test_an_altered_file_is_refused_before_it_is_read(reg):
    (version,) = reg.index()["versions"]
    path = reg.root / version / "model.skops"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(RegistryError, match="does not match the hash"):
        reg.load(version)


def test_aliases_promote_and_retire(reg, fitted):
    (first,) = reg.index()["versions"]
    with pytest.raises(NotFound, match="train one first"):
        reg.load("champion")
    reg.promote(first)
    second = reg.register(fitted.model, {"data": {}})
    reg.promote(second, "challenger")
    assert {v["version"]: v["aliases"] for v in reg.versions()} == {first: ["champion"], second: ["challenger"]}
    with pytest.raises(RegistryError, match="is the champion"):
        reg.retire(first)
    reg.promote(second)  # the challenger wins: it is no longer the challenger
    assert reg.index()["aliases"] == {"champion": second}
    reg.retire(first)
    with pytest.raises(RegistryError, match="retired"):
        reg.load(first)
    with pytest.raises(RegistryError, match="retired"):
        reg.promote(first)
    with pytest.raises(RegistryError, match="unknown alias"):
        reg.promote(second, "king")
    with pytest.raises(NotFound):
        reg.card("../../etc/passwd")
    assert json.loads(reg.index_path.read_text())["versions"][first]["status"] == "retired"


def test_the_cli_lists_promotes_and_retires(app, reg, fitted):
    app.config["MODEL_DIR"], saved = str(reg.root), app.config["MODEL_DIR"]
    try:
        runner = app.test_cli_runner()
        (first,) = reg.index()["versions"]
        second = reg.register(fitted.model, {"data": {}})
        assert runner.invoke(args=["model", "promote", first]).exit_code == 0
        out = runner.invoke(args=["model", "list"]).output
        assert first in out and "champion" in out and second in out
        bad = runner.invoke(args=["model", "retire", first])
        assert bad.exit_code != 0 and "is the champion" in bad.output
        assert runner.invoke(args=["model", "retire", second]).exit_code == 0
        assert "Model card" in runner.invoke(args=["model", "card"]).output
        assert "champion present" in runner.invoke(args=["model", "bootstrap"]).output
    finally:
        app.config["MODEL_DIR"] = saved
