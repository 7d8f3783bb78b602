"""Training from the platform's data, the first champion, and scoring firms with the champion.

Views, the CLI, jobs and notebooks call these; none of them holds modelling logic of its own.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import click
from flask import current_app
from sqlalchemy.orm import Session

from bank_tax.features.catalogue import FEATURE_SET_VERSION
from bank_tax.modelling import dataset, train
from bank_tax.modelling.registry import Registry

EXPECTED_AUC = "0.75–0.85"
# Firms of the training province apply more often than the demo's (one loan every ~1.5 years rather than
# ~3), so a province small enough to load in a minute or two still has enough matured loans for a stable
# out-of-time test. Who gets a loan and why it defaults is unchanged.
BOOTSTRAP_APPLICATION_RATE = 0.12


def registry() -> Registry:
    """The registry of the running app (``MODEL_DIR``); one instance per app, so loads are cached."""
    ext = current_app.extensions
    reg = ext.get("bank_tax.registry")
    if reg is None or str(reg.root) != str(current_app.config["MODEL_DIR"]):
        reg = ext["bank_tax.registry"] = Registry(current_app.config["MODEL_DIR"])
    return reg


def fit_dataset(data: dataset.Dataset, *, seed: int = 0) -> train.Fitted:
    """Train on a platform dataset with the catalogue's directions and consent categories."""
    return train.fit(
        data.X,
        data.y,
        names=data.names,
        directions=data.directions,
        categories=data.categories,
        time=data.start_date,
        seed=seed,
        feature_set_version=FEATURE_SET_VERSION,
    )


def card_for(fitted: train.Fitted, data: dataset.Dataset, *, source: str) -> dict:
    """The card's content (the registry adds version, hashes and code version)."""
    return {
        "summary": "Probability of default of a 银税 loan within 12 months of its start, from the firm's "
        "consented tax, social-insurance, housing-fund, utility and public-credit records.",
        "data": {**dataset.describe(data), "source": source},
        "evaluation": fitted.report,
        "expected_auc": EXPECTED_AUC,
    }


def train_from_database(
    session: Session, *, observation: dt.date, seed: int = 0, progress: bool = False
) -> tuple[train.Fitted, dict]:
    """Train on every loan labelled by ``observation`` in this database."""
    data = dataset.build(session, observation=observation, progress=progress)
    fitted = fit_dataset(data, seed=seed)
    return fitted, card_for(fitted, data, source=f"platform database, labels observed {observation}")


def train_on_synthetic(
    *,
    firms: int,
    months: int,
    seed: int,
    application_rate: float = BOOTSTRAP_APPLICATION_RATE,
    end_period: str | None = None,
    progress: bool = False,
) -> tuple[train.Fitted, dict]:
    """Train on a freshly generated synthetic province loaded into a throwaway SQLite database through
    the same ingestion and lending paths as real data (how a new installation gets its first champion).
    ``end_period`` ('YYYY-MM'): the province's last month (default: the last one whose data is in by now)."""
    from bank_tax import create_app, demo, migrate
    from bank_tax.db import db
    from bank_tax.synth.province import SynthParams, generate
    from bank_tax.synth.writers import write_province

    params = SynthParams.make(
        firms=firms, months=months, seed=seed, application_rate=application_rate, end_period=end_period
    )
    with tempfile.TemporaryDirectory(prefix="bank-tax-train-") as tmp:
        out = Path(tmp) / "province"
        write_province(generate(params, progress=progress), out, progress=progress)
        url = f"sqlite:///{Path(tmp) / 'train.sqlite'}"
        migrate.upgrade(url)
        app = create_app(instance_path=str(Path(tmp) / "instance"), DATABASE_URL=url)
        with app.app_context(), db.scope() as session:
            demo.load_records(session, out)
            demo.load_history(session, out)
            data = dataset.build(session, observation=params.as_of, progress=progress)
    fitted = fit_dataset(data, seed=seed)
    source = (
        f"synthetic province (bank_tax/synth): {firms} firms × {months} months, seed {seed}, "
        f"application rate {application_rate}"
    )
    return fitted, card_for(fitted, data, source=source)


def bootstrap(*, progress: bool = True) -> str | None:
    """Train, register and promote a first champion when the registry has none; return its version."""
    reg = registry()
    if reg.has_champion():
        return None
    cfg = current_app.config
    fitted, card = train_on_synthetic(
        firms=cfg["MODEL_BOOTSTRAP_FIRMS"],
        months=cfg["MODEL_BOOTSTRAP_MONTHS"],
        seed=cfg["MODEL_BOOTSTRAP_SEED"],
        progress=progress,
    )
    version = reg.register(fitted.model, card)
    reg.promote(version, "champion")
    t = fitted.report["test"]
    click.echo(f"first champion {version}: out-of-time AUC {t['auc']:.3f}, ECE {t['ece']:.4f}")
    return version


def promote(session: Session, *, version: str, alias: str, actor) -> None:
    """Point ``alias`` (champion or challenger) at ``version``, on the record: who promoted what, and
    which version held the alias before (a rollback is one more promote)."""
    from bank_tax.security import audit, policy

    policy.require(actor, "model.promote")
    reg = registry()
    before = reg.index()["aliases"].get(alias)
    reg.promote(version, alias)
    audit.record(
        session,
        actor=actor,
        action="model.promote",
        resource=f"models/{version}",
        details={"alias": alias, "previous": before},
    )
