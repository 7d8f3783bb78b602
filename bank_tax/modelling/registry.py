"""The model registry: versions of the scoring model in ``models/``, each with its card and hash.

Layout (``root`` is ``MODEL_DIR``, the repository's ``models/`` by default)::

    registry.json              versions (file hash, status, created) and aliases (champion, challenger)
    <version>/model.skops      the estimator and arrays, written with skops (no pickle)
    <version>/card.json        the model card: data window, feature set, metrics, fingerprint, code version
    <version>/card.md          the same card for people

Loading checks the file's SHA-256 against the index before anything is deserialised and refuses a
mismatch; skops then loads only the types listed in :data:`TRUSTED`. Writes to the index are atomic
(temporary file + rename) under a lock file, so two processes registering at once both land.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import skops.io as sio

from bank_tax import clock
from bank_tax.errors import Conflict, NotFound
from bank_tax.modelling.model import ScoringModel

ALIASES = ("champion", "challenger")
# Every type the model file may contain beyond skops' defaults, named one by one: anything else refuses.
TRUSTED = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]


class RegistryError(Conflict):
    """The registry refuses: altered file, unknown type in a file, a move that would leave no champion."""


def code_version() -> str:
    """The git commit the code runs from (``unknown`` outside a checkout)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def read_model(path: str | Path, *, version: str, sha256: str) -> ScoringModel:
    """The model in the file at ``path``, once its bytes hash to ``sha256`` and it holds only trusted types:
    how the registry loads a version, and how a Spark task loads the copy the province export carries."""
    path = Path(path)
    actual = _sha256(path)
    if actual != sha256:
        raise RegistryError(
            f"{path} does not match the hash the registry recorded ({actual[:12]}… ≠ {sha256[:12]}…);"
            " the file was altered or damaged and will not be loaded"
        )
    untrusted = sio.get_untrusted_types(file=path)
    unexpected = sorted(set(untrusted) - set(TRUSTED))
    if unexpected:
        raise RegistryError(f"{path} contains types outside the trusted list: {', '.join(unexpected)}")
    payload = sio.load(path, trusted=TRUSTED)
    model = ScoringModel(
        names=tuple(payload["names"]),
        directions=np.asarray(payload["directions"]),
        groups=tuple(payload["groups"]),
        estimator=payload["estimator"],
        platt=np.asarray(payload["platt"]),
        good=np.asarray(payload["good"]),
        feature_set_version=payload["feature_set_version"] or None,
        version=version,
    )
    model.fast_path()  # checks, as the model loads, that scikit-learn's internals are what scoring reads
    return model


class Registry:
    """The registry under ``root`` (created on first write)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._cache: dict[tuple[str, str], ScoringModel] = {}

    # -- the index ---------------------------------------------------------------------------------------
    @property
    def index_path(self) -> Path:
        return self.root / "registry.json"

    def index(self) -> dict:
        if not self.index_path.exists():
            return {"versions": {}, "aliases": {}}
        return json.loads(self.index_path.read_text(encoding="utf-8"))

    @contextlib.contextmanager
    def _locked(self):
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".registry.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                index = self.index()
                yield index
                tmp = self.index_path.with_suffix(".json.tmp")
                tmp.write_text(json.dumps(index, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
                os.replace(tmp, self.index_path)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    # -- writing -----------------------------------------------------------------------------------------
    def register(self, model: ScoringModel, card: dict) -> str:
        """Store a new version with its card; return the version name (``pd-YYYYMMDD-NNN``)."""
        today = clock.today().strftime("%Y%m%d")
        with self._locked() as index:
            n = 1 + sum(1 for v in index["versions"] if v.startswith(f"pd-{today}-"))
            version = f"pd-{today}-{n:03d}"
            folder = self.root / version
            folder.mkdir(parents=True, exist_ok=False)
            payload = {
                "estimator": model.estimator,
                "names": list(model.names),
                "directions": np.asarray(model.directions, dtype=np.int64),
                "groups": list(model.groups),
                "platt": np.asarray(model.platt, dtype=np.float64),
                "good": np.asarray(model.good, dtype=np.float64),
                "feature_set_version": model.feature_set_version or "",
            }
            sio.dump(payload, folder / "model.skops")
            sha = _sha256(folder / "model.skops")
            card = {
                **card,
                "version": version,
                "created_at": clock.now().isoformat(timespec="seconds"),
                "code_version": card.get("code_version") or code_version(),
                "feature_set_version": model.feature_set_version,
                "features": list(model.names),
                "sha256": sha,
            }
            (folder / "card.json").write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            from bank_tax.modelling.card import markdown

            (folder / "card.md").write_text(markdown(card), encoding="utf-8")
            index["versions"][version] = {"sha256": sha, "status": "registered", "created_at": card["created_at"]}
        return version

    def promote(self, version: str, alias: str = "champion") -> None:
        """Point ``alias`` at ``version``; the champion's previous holder stays registered (a rollback is
        one more promote)."""
        if alias not in ALIASES:
            raise RegistryError(f"unknown alias {alias!r}; use one of {', '.join(ALIASES)}")
        with self._locked() as index:
            entry = index["versions"].get(version)
            if entry is None:
                raise NotFound(f"no model version {version}")
            if entry["status"] == "retired":
                raise RegistryError(f"{version} is retired; register a new version instead")
            index["aliases"][alias] = version
            if alias == "champion" and index["aliases"].get("challenger") == version:
                del index["aliases"]["challenger"]

    def retire(self, version: str) -> None:
        """Mark a version retired (kept for audit, never scored with); the champion cannot be retired."""
        with self._locked() as index:
            entry = index["versions"].get(version)
            if entry is None:
                raise NotFound(f"no model version {version}")
            if index["aliases"].get("champion") == version:
                raise RegistryError(f"{version} is the champion; promote another version first")
            entry["status"] = "retired"
            for alias, v in list(index["aliases"].items()):
                if v == version:
                    del index["aliases"][alias]

    # -- reading -----------------------------------------------------------------------------------------
    def resolve(self, ref: str, index: dict | None = None) -> str:
        index = index or self.index()
        version = index["aliases"].get(ref, ref)
        if version not in index["versions"]:
            raise NotFound(f"no model {ref!r} in the registry" + (" (train one first)" if ref in ALIASES else ""))
        return version

    def has_champion(self) -> bool:
        return "champion" in self.index()["aliases"]

    def versions(self) -> list[dict]:
        """Every version, newest first, with its aliases and headline metrics."""
        index = self.index()
        by_version: dict[str, list[str]] = {}
        for alias, v in index["aliases"].items():
            by_version.setdefault(v, []).append(alias)
        out = []
        for version, entry in sorted(index["versions"].items(), reverse=True):
            card = self.card(version)
            out.append(
                {
                    "version": version,
                    "status": entry["status"],
                    "aliases": sorted(by_version.get(version, [])),
                    "created_at": entry["created_at"],
                    "auc": card.get("evaluation", {}).get("test", {}).get("auc"),
                    "ece": card.get("evaluation", {}).get("test", {}).get("ece"),
                    "data": card.get("data", {}),
                }
            )
        return out

    def card(self, ref: str) -> dict:
        version = self.resolve(ref)
        return json.loads((self.root / version / "card.json").read_text(encoding="utf-8"))

    def file_of(self, ref: str) -> tuple[str, Path, str]:
        """(version, path of its model file, the file's recorded SHA-256) of ``ref``."""
        index = self.index()
        version = self.resolve(ref, index)
        return version, self.root / version / "model.skops", index["versions"][version]["sha256"]

    def load(self, ref: str = "champion") -> ScoringModel:
        """The model ``ref`` names (a version or an alias), its file hash checked first.

        A model already loaded in this process is reused while its file is untouched (same size and
        modification time as when its hash was checked); any change to the file means a new check.
        """
        index = self.index()
        version = self.resolve(ref, index)
        entry = index["versions"][version]
        if entry["status"] == "retired":
            raise RegistryError(f"{version} is retired")
        path = self.root / version / "model.skops"
        stat = path.stat()
        key = (version, entry["sha256"], stat.st_size, stat.st_mtime_ns)
        if key in self._cache:
            return self._cache[key]
        model = read_model(path, version=version, sha256=entry["sha256"])
        self._cache = {key: model}
        return model
