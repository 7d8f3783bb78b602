"""The soak's isolation check: what two banks' officers read, judged against the consents and the
ownership in force when each read was made.

The soak records a trace: every consent a firm held, granted or revoked, and every read a bank's officer
made, in the order they happened for each firm (one client thread drives a firm's consents and the
officers' reads of it, so that order is exact; the firms whose consents nobody changes are read from
anywhere). :func:`judge` replays it:

- a read of a firm's data answered 2xx had a consent of the reader's bank, for that purpose and
  category, in force at that moment, and the answer showed no category beyond it;
- an object of the other bank (an application, a loan, a product, a whitelist edition, a consent
  receipt, a list under the other bank's path) is never answered 2xx;
- no 2xx answer carried anything of the other bank (:func:`scan`: its code, the mark on its products,
  contracts and applications, its application ids, contracts or consents) or, for a firm's read,
  another firm.

:func:`audit_gaps` checks the audit log beside it: every firm read answered has its audit event, and
every event names a consent of the reader's bank. Plain data in, plain data out, so a test plants a
violation and sees it flagged.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

OUTCOMES = ("reads", "allowed", "refused", "errors", "violations")


@dataclass(frozen=True)
class Grant:
    """A consent the firm holds from this point of the trace on (seeded, or granted and answered 201)."""

    firm: str
    consent_id: int
    bank: str | None
    all_banks: bool
    purpose: str
    categories: tuple[str, ...]


@dataclass(frozen=True)
class Revoke:
    """The firm's revocation of a consent, answered 200."""

    firm: str
    consent_id: int


@dataclass(frozen=True)
class Unknown:
    """A grant or revocation the client got no answer to: its outcome is unknown, so the firm's reads by
    this bank are not judged against consent after it (their bodies still are)."""

    firm: str
    bank: str


@dataclass(frozen=True)
class Read:
    """One request of a bank's officer and its answer.

    ``owner``: the bank the object read belongs to (None for a firm's data, judged by consent instead).
    ``firm``, ``purpose``, ``category``: a read of a firm's data, and the category it needs (None: any
    one, as the firm's registration). ``seen``: the categories the answer showed (a score's
    ``categories_used``, the sources of records). ``leaks``: what :func:`scan` found in the body.
    """

    kind: str
    bank: str
    status: int
    owner: str | None = None
    firm: str | None = None
    purpose: str | None = None
    category: str | None = None
    seen: tuple[str, ...] = ()
    leaks: tuple[str, ...] = ()
    request_id: str = ""


Event = Grant | Revoke | Unknown | Read


@dataclass
class Owned:
    """What each bank owns, as seeded: the reference answers are judged against.

    ``marks``: a token on every object of the bank that has a name (its own product codes, contract
    numbers, the purpose of funds of its applications, its officer's name); ``consents``: every consent
    known, id → (bank, all banks). The soak adds the consents granted during the run as they are answered.
    """

    banks: tuple[str, ...]
    marks: dict[str, str]
    applications: dict[str, set[int]] = field(default_factory=dict)
    contracts: dict[str, set[str]] = field(default_factory=dict)
    editions: dict[str, set[int]] = field(default_factory=dict)
    consents: dict[int, tuple[str | None, bool, str]] = field(default_factory=dict)


@dataclass
class Verdict:
    """The replay's result: counts per (kind, bank) (:data:`OUTCOMES`), every violation in words, and the
    reads refused that should have been answered (the bank's own object, or a firm read with consent)."""

    counts: dict[tuple[str, str], Counter]
    violations: list[str]
    unexpected: list[str]
    judged: int  # firm reads judged against consent


def _permits(grant: Grant, bank: str, purpose: str | None, category: str | None) -> bool:
    recipient = grant.bank == bank or (grant.all_banks and purpose == "pre_screen")
    return recipient and grant.purpose == purpose and (category is None or category in grant.categories)


def outcome(status: int) -> str:
    """'allowed' (2xx), 'refused' (403, 404) or 'errors' (no answer, 5xx, any other)."""
    if 200 <= status < 300:
        return "allowed"
    return "refused" if status in (403, 404) else "errors"


def judge(trace: Iterable[Event]) -> Verdict:
    """Replay ``trace`` in order and judge every read (see the module's docstring)."""
    held: dict[str, dict[int, Grant]] = defaultdict(dict)
    blind: set[tuple[str, str]] = set()
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    violations: list[str] = []
    unexpected: list[str] = []
    judged = 0
    for ev in trace:
        if isinstance(ev, Grant):
            held[ev.firm][ev.consent_id] = ev
            continue
        if isinstance(ev, Revoke):
            held[ev.firm].pop(ev.consent_id, None)
            continue
        if isinstance(ev, Unknown):
            blind.add((ev.firm, ev.bank))
            continue
        got = outcome(ev.status)
        c = counts[(ev.kind, ev.bank)]
        c["reads"] += 1
        c[got] += 1
        found: list[str] = []
        what = f"{ev.kind} by {ev.bank} ({ev.request_id or 'no id'}, {ev.status})"
        if ev.firm is not None and (ev.firm, ev.bank) not in blind:
            judged += 1
            grants = held[ev.firm].values()
            consented = any(_permits(g, ev.bank, ev.purpose, ev.category) for g in grants)
            needs = ev.category or "registration"
            if got == "allowed" and not consented:
                found.append(f"{what}: read firm {ev.firm}'s {needs} for {ev.purpose} without its consent")
            if got == "refused" and consented:
                unexpected.append(f"{what}: refused firm {ev.firm}'s {needs} for {ev.purpose} despite its consent")
            if got == "allowed":
                for cat in ev.seen:
                    if not any(_permits(g, ev.bank, ev.purpose, cat) for g in grants):
                        found.append(f"{what}: the answer showed firm {ev.firm}'s {cat} without consent for it")
        if ev.owner is not None:
            if got == "allowed" and ev.owner != ev.bank:
                found.append(f"{what}: answered an object of bank {ev.owner}")
            if got == "refused" and ev.owner == ev.bank:
                unexpected.append(f"{what}: refused the bank its own object")
        if got == "allowed":
            found += [f"{what}: the body carried {leak}" for leak in ev.leaks]
        c["violations"] += len(found)
        violations += found
    return Verdict(counts=dict(counts), violations=violations, unexpected=unexpected, judged=judged)


def _dicts(doc) -> Iterator[dict]:
    stack = [doc]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            yield x
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)


def scan(body: bytes, *, bank: str, owned: Owned, firm: str | None = None) -> tuple[str, ...]:
    """What an answer to ``bank`` carried that is not its own: another bank's code (as a JSON string) or
    mark anywhere in the text; in the JSON, an object naming another bank, an application id, contract or
    consent of another bank, or, in a read of ``firm``, another firm's code."""
    text = body.decode("utf-8", "replace")
    low = text.lower()
    found: list[str] = []
    others = [b for b in owned.banks if b != bank]
    for other in others:
        if owned.marks[other].lower() in low:
            found.append(f"bank {other}'s mark {owned.marks[other]!r}")
        if json.dumps(other) in text:
            found.append(f"bank {other}'s code")
    try:
        doc = json.loads(text)
    except ValueError:
        return tuple(found)
    for d in _dicts(doc):
        code = d.get("bank_code")
        if code is not None and code != bank:
            found.append(f"an object of bank {code} ({d.get('contract_no') or d.get('code') or d.get('id')})")
        consent = d.get("consent_id")
        if isinstance(consent, int) and consent in owned.consents:
            to, all_banks, _ = owned.consents[consent]
            if not all_banks and to != bank:
                found.append(f"consent {consent} to bank {to}")
        for other in others:
            if d.get("contract_no") in owned.contracts.get(other, ()):
                found.append(f"bank {other}'s contract {d['contract_no']}")
            if "purpose_of_funds" in d and d.get("id") in owned.applications.get(other, ()):
                found.append(f"bank {other}'s application {d['id']}")
        if firm is not None and isinstance(d.get("uscc"), str) and d["uscc"] != firm:
            found.append(f"firm {d['uscc']} in a read of firm {firm}")
    return tuple(dict.fromkeys(found))


def audit_gaps(trace: Iterable[Event], audits: dict[str, list[dict]], owned: Owned) -> list[str]:
    """Firm reads answered without their audit event, and audit events of a bank's read that name a consent
    not of that bank or not for that purpose. ``audits``: request id → its ``firmdata.read`` events, each
    ``{"bank", "uscc", "purpose", "consent_id"}``."""
    gaps: list[str] = []
    for ev in trace:
        if isinstance(ev, Read) and ev.firm is not None and outcome(ev.status) == "allowed":
            rows = audits.get(ev.request_id, [])
            if not any(r["bank"] == ev.bank and r["uscc"] == ev.firm and r["purpose"] == ev.purpose for r in rows):
                gaps.append(f"{ev.kind} by {ev.bank} ({ev.request_id}): firm {ev.firm} read without its audit event")
    for rid, rows in audits.items():
        for r in rows:
            consent = r.get("consent_id")
            to, all_banks, purpose = owned.consents.get(consent, (None, False, None))
            recipient = to == r["bank"] or (all_banks and r["purpose"] == "pre_screen")
            if not (recipient and purpose == r["purpose"]):
                gaps.append(
                    f"audit of {rid}: {r['bank']} read firm {r['uscc']} for {r['purpose']} relying on consent"
                    f" {consent} ({purpose} to {'all banks' if all_banks else to})"
                )
    return gaps
