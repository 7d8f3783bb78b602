"""Named fault points, for tests that prove a crash leaves nothing half done.

Code calls :func:`checkpoint` at the moments a crash would hurt most (mid-batch, between two writes).
Normally that is one dictionary lookup. With ``BANK_TAX_FAULTS="ingest.rows=raise@2,pipeline.x=kill"``
the named point raises :class:`InjectedFault` (or the process SIGKILLs itself) on its Nth hit.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

_hits: Counter = Counter()


class InjectedFault(RuntimeError):
    """Raised at a checkpoint armed with ``raise``."""


def _plan() -> dict[str, tuple[str, int, bool]]:
    spec = os.environ.get("BANK_TAX_FAULTS", "")
    plan = {}
    for item in filter(None, (s.strip() for s in spec.split(","))):
        name, _, action = item.partition("=")
        action, _, nth = action.partition("@")
        onwards = nth.endswith("+")  # "@3+": the third hit and every one after it
        plan[name] = (action or "raise", int(nth.rstrip("+") or 1), onwards)
    return plan


def checkpoint(name: str) -> None:
    """A place where an injected fault may strike (a no-op unless ``BANK_TAX_FAULTS`` arms it)."""
    if "BANK_TAX_FAULTS" not in os.environ:
        return
    action, nth, onwards = _plan().get(name, (None, 0, False))
    if action is None:
        return
    _hits[name] += 1
    if _hits[name] != nth and not (onwards and _hits[name] > nth):
        return
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    raise InjectedFault(f"injected fault at {name} (hit {nth})")


def reset() -> None:
    """Forget the hit counts (tests arm the same point more than once)."""
    _hits.clear()
