"""The columnar store: analytical outputs (feature snapshots, score runs, exports) as Parquet files.

Files live under ``STORE_PATH`` (default ``instance/store``); the database keeps each file's path
relative to the store and its SHA-256, and every read checks the digest, so a file altered or swapped
behind the database's back is refused. Files are written once and never changed: a write goes to a
temporary name and is renamed into place (a crash leaves no half-written file under a real name), and
names carry a random part, so a transaction rolled back after writing leaves only an orphan that no row
points to (:func:`orphans` lists them), never a file a later row would mistake for its own.

Cross-cutting like ``db``: imports no domain.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from flask import current_app, has_app_context
from sqlmodel import Field, SQLModel

from bank_tax.errors import Conflict, NotFound

COMPRESSION = "zstd"


def root(path: str | os.PathLike | None = None) -> Path:
    """The store's folder: ``path`` if given, else the app's ``STORE_PATH`` (default ``instance/store``)."""
    if path is not None:
        return Path(path)
    if has_app_context():
        configured = current_app.config.get("STORE_PATH")
        return Path(configured) if configured else Path(current_app.instance_path) / "store"
    configured = os.environ.get("BANK_TAX_STORE_PATH") or os.environ.get("STORE_PATH")
    if configured:
        return Path(configured)
    from bank_tax import DEFAULT_INSTANCE

    return Path(os.environ.get("BANK_TAX_INSTANCE_PATH") or DEFAULT_INSTANCE) / "store"


@dataclass(frozen=True)
class Stored:
    """One file in the store: its path relative to the store, digest and rows."""

    path: str
    sha256: str
    rows: int


class StoredPart(SQLModel):
    """The columns of a row naming one partition's file in the store (feature snapshot and score run
    parts): the file, its digest, its firms and the range of their codes."""

    path: str = Field(max_length=200)
    sha256: str = Field(max_length=64)
    n_firms: int
    first_uscc: str = Field(default="", max_length=18)
    last_uscc: str = Field(default="", max_length=18)


def part_columns(stored: Stored, usccs) -> dict:
    """A :class:`StoredPart`'s values for ``stored``, the file of the (sorted) codes ``usccs``."""
    n = len(usccs)
    return {
        "path": stored.path,
        "sha256": stored.sha256,
        "n_firms": stored.rows,
        "first_uscc": str(usccs[0]) if n else "",
        "last_uscc": str(usccs[-1]) if n else "",
    }


def new_name(kind: str, suffix: str = ".parquet") -> str:
    """A fresh relative path for a file of ``kind`` (e.g. ``features``): never one used before."""
    return f"{kind}/{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}{suffix}"


def digest(path: Path) -> str:
    """The SHA-256 of a file's bytes."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def write(table: pa.Table, rel: str, *, base: Path | None = None) -> Stored:
    """Write ``table`` as Parquet at ``rel`` under the store, durably, and return what the database keeps."""
    folder = base or root()
    target = folder / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp, compression=COMPRESSION)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    return Stored(path=rel, sha256=digest(target), rows=table.num_rows)


def read(rel: str, sha256: str, *, base: Path | None = None, columns: list[str] | None = None) -> pa.Table:
    """The table at ``rel``, after checking that its bytes are still the ones recorded (409 if not)."""
    target = (base or root()) / rel
    if not target.exists():
        raise NotFound(f"the store has no file {rel} (was the store moved? STORE_PATH)")
    if digest(target) != sha256:
        raise Conflict(f"{rel} does not match its recorded digest; it was altered")
    return pq.read_table(target, columns=columns)


def orphans(known: set[str], *, base: Path | None = None) -> list[str]:
    """Files under the store that no row records (left by rolled-back transactions), for clean-up."""
    folder = base or root()
    if not folder.exists():
        return []
    found = (p.relative_to(folder).as_posix() for p in folder.rglob("*.parquet"))
    return sorted(p for p in found if p not in known)
