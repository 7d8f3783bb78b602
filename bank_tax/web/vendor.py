"""Third-party browser files the pages serve from our own static folder (under the CSP, no CDN), fetched
once from the npm registry at a pinned version and checked against the registry's sha512 before a byte
is kept. Nothing fetched is committed: ``make run`` and ``make test`` call ``python -m
bank_tax.web.vendor``, which does nothing when the files are already here.

Apache ECharts draws the dashboards' charts (the norm of Chinese dashboards: tooltips, readable
category axes that hide overlapping labels, an ARIA description); axe-core is the accessibility engine
the browser tests inject."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

# a mirror (e.g. npmmirror.com in China) serves the same tarballs: the pinned sha512 still checks them
REGISTRY = os.environ.get("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org").rstrip("/")
STATIC = Path(__file__).parent / "static" / "vendor"


@dataclass(frozen=True)
class Package:
    """One file out of one npm tarball: where it comes from, how to check it, where it goes."""

    name: str
    version: str
    integrity: str  # the registry's dist.integrity of the tarball
    member: str  # the file inside the tarball
    target: str  # its name under STATIC

    @property
    def url(self) -> str:
        return f"{REGISTRY}/{self.name}/-/{self.name.rsplit('/', 1)[-1]}-{self.version}.tgz"

    @property
    def path(self) -> Path:
        return STATIC / self.target

    @property
    def stamp(self) -> Path:
        """Beside the file: the pin it was fetched at, so a new pin fetches again."""
        return STATIC / f".{self.target}.pin"

    def current(self) -> bool:
        return self.path.exists() and self.stamp.exists() and self.stamp.read_text().strip() == self.pin

    @property
    def pin(self) -> str:
        return f"{self.name}@{self.version} {self.integrity}"


PACKAGES = (
    Package(
        "echarts",
        "6.1.0",
        "sha512-q0yaFPggC9FUdsWH4blavRWFmxdrIodbkoKNAjJudAI6CA9gNPxHtV2RcZNEepZVlk4yvBYkOkbk6HIVpIyHZA==",
        "package/dist/echarts.min.js",
        "echarts.min.js",
    ),
    Package(
        "axe-core",
        "4.11.0",
        "sha512-ilYanEU8vxxBexpJd8cWM4ElSQq4QctCLKih0TSfjIfCQTeyH/6zVrmIJfLPrKTKJRbiG+cfnZbQIjAlJmF1jQ==",
        "package/axe.min.js",
        "axe.min.js",
    ),
)


def _check(pkg: Package, data: bytes) -> None:
    algorithm, _, digest = pkg.integrity.partition("-")
    if algorithm != "sha512" or not digest:
        raise RuntimeError(f"{pkg.name}@{pkg.version}: no pinned integrity")
    got = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if got != digest:
        raise RuntimeError(f"{pkg.name}@{pkg.version}: tarball does not match its pinned sha512")


def fetch(pkg: Package, *, timeout: float = 120) -> Path:
    """The package's file, downloaded and checked when it is not here yet at its pinned version."""
    if pkg.current():
        return pkg.path
    with urllib.request.urlopen(pkg.url, timeout=timeout) as response:  # noqa: S310 (a pinned https URL)
        data = response.read()
    _check(pkg, data)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        member = tar.extractfile(pkg.member)
        if member is None:
            raise RuntimeError(f"{pkg.name}@{pkg.version}: no {pkg.member} in the tarball")
        body = member.read()
    pkg.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = pkg.path.with_suffix(".part")
    tmp.write_bytes(body)
    tmp.replace(pkg.path)  # never half a file under the real name
    pkg.stamp.write_text(pkg.pin + "\n")
    return pkg.path


def main() -> int:
    failed = 0
    for pkg in PACKAGES:
        try:
            fetch(pkg)
        except Exception as exc:  # noqa: BLE001 (reported, and the exit status says so)
            print(f"!!! could not fetch {pkg.name}@{pkg.version}: {exc}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
