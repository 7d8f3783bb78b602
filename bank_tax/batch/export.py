"""The province export: every partition's inputs as of a moment, as Parquet, with the model to score them.

Written by the ``export`` stage (:mod:`bank_tax.batch.stages`) under the store, one folder a run::

    exports/run-<id>/inputs/part=<n>/inputs.parquet   one partition's inputs (bank_tax.features.exchange)
    exports/run-<id>/model.skops                      the champion the run was keyed to
    exports/run-<id>/manifest.json                    moment, model, and every part with its digest

The history export (the ``history`` stage) holds every version of every record known at the moment, for
analysts who rebuild past points in time or audit corrections (:mod:`bank_tax.sources.history`)::

    exports/history-<id>/<source>/part=<n>/records.parquet   one source's history for one partition
    exports/history-<id>/manifest.json                       moment, and every part with rows and digest

``part=<n>`` is Hive's layout, so Spark (and ``pyarrow.dataset``) see ``part`` as a column. The inputs are
the records as known at the moment (latest versions then, disputes left out), so whoever reads the export
computes exactly the features this machine would, without the database. The manifest is written last: an
export without one is unfinished.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bank_tax import store

MANIFEST = "manifest.json"
MODEL = "model.skops"
PART = "inputs/part={part}/inputs.parquet"  # inside the export's folder, as the manifest records it
HISTORY_PART = "{source}/part={part}/records.parquet"


def folder(run_id: int) -> str:
    """The export's folder, relative to the store."""
    return f"exports/run-{run_id}"


def history_folder(run_id: int) -> str:
    """The history export's folder, relative to the store."""
    return f"exports/history-{run_id}"


def history_part_path(run_id: int, source: str, part: int) -> str:
    """Where one source's history of partition ``part`` goes, relative to the store."""
    return f"{history_folder(run_id)}/{HISTORY_PART.format(source=source, part=part)}"


def part_path(run_id: int, part: int) -> str:
    """Where partition ``part``'s inputs go, relative to the store (the same path on a retry: rewritten)."""
    return f"{folder(run_id)}/{PART.format(part=part)}"


def copy_model(run_id: int, source: Path) -> str:
    """A copy of the model file beside the inputs; returns its name inside the export's folder."""
    target = store.root() / folder(run_id) / MODEL
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return MODEL


def write_manifest(run_id: int, manifest: dict, *, where: str | None = None) -> Path:
    """Seal the export (in ``where``, the store-relative folder; the province export's by default): the
    manifest, written to a temporary name and renamed into place."""
    target = store.root() / (where or folder(run_id)) / MANIFEST
    target.parent.mkdir(parents=True, exist_ok=True)  # an export of no firms has no parts to make it
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(target)
    return target


def read_manifest(path: str | Path) -> dict:
    """The manifest of the export in folder ``path`` (refused when the export is unfinished)."""
    target = Path(path) / MANIFEST
    if not target.exists():
        raise FileNotFoundError(f"{path} has no {MANIFEST}: not an export, or one that did not finish")
    return json.loads(target.read_text(encoding="utf-8"))
