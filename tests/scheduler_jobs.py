"""Jobs the scheduler tests run (importable by a subprocess as ``tests.scheduler_jobs:…``)."""

import time


def slow(path: str) -> str:
    """Append a line to ``path`` and take a while, so two schedulers would overlap."""
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("ran\n")
    time.sleep(1.5)
    return "slow done"


def boom() -> None:
    raise RuntimeError("the agency's server is down")
