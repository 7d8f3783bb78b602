"""The batch stages as their callers start them (views, CLI commands, scheduled jobs): in the caller's
transaction, or committed partition by partition so that a killed run resumes when called again.

They live here, beside the runner, rather than in the domains the batch drives: the stages import the
domains' partition functions, so a domain that started its own stage would import the batch back.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import clock
from bank_tax.batch import runner
from bank_tax.matching import service as matching
from bank_tax.matching.models import WhitelistEdition
from bank_tax.security.roles import Principal


def whitelist(
    session: Session,
    *,
    bank_code: str,
    actor: Principal | None,
    trigger: str = "api",
    as_of: dt.datetime | None = None,
) -> WhitelistEdition:
    """A new whitelist edition for one bank, in the caller's transaction (the API): firms with a consent in
    force for pre-screening (to this bank or to all banks) that qualify for at least one of the bank's
    active products, scored through the bank's mask, ranked by expected credit; stored, and its delivery
    written to the audit log. The ``whitelists`` stage (:mod:`bank_tax.matching.build`) over every
    partition of firms. 404 for an unknown bank."""
    matching.bank(session, bank_code)
    summary = runner.run(
        "whitelists",
        session=session,
        as_of=as_of or clock.now(),
        params={"banks": [bank_code], "actor": actor, "trigger": trigger},
    )
    return session.scalars(sa.select(WhitelistEdition).where(WhitelistEdition.batch_run_id == summary.run_id)).one()


def whitelists(
    *,
    bank_codes: list[str],
    trigger: str = "cli",
    as_of: dt.datetime | None = None,
    workers: int | None = None,
    partition_firms: int | None = None,
    progress: bool = False,
) -> runner.Summary:
    """Editions for several banks in one batch run (the CLI and each bank's scheduled job), each partition
    read once for all of them and committed with its checkpoint; returns the runner's summary."""
    return runner.run(
        "whitelists",
        as_of=as_of,
        workers=workers,
        partition_firms=partition_firms,
        progress=progress,
        params={"banks": list(bank_codes), "actor": None, "trigger": trigger},
    )


def _counts(summary: runner.Summary) -> dict:
    return {k: summary.totals.get(k, 0) for k in ("eligible", "notified", "no_longer_eligible")}


def push(session: Session, *, now: dt.datetime | None = None) -> dict:
    """The targeted push over every partition of firms in the caller's transaction; returns its counts."""
    return _counts(runner.run("push", session=session, as_of=now or clock.now()))


def push_committed(*, workers: int | None = None, partition_firms: int | None = None, progress: bool = False) -> dict:
    """The push as of now, committed partition by partition (the daily job and the CLI; a killed push
    resumes where it stopped when run again). Returns its counts and status."""
    summary = runner.run("push", as_of=None, workers=workers, partition_firms=partition_firms, progress=progress)
    return {**_counts(summary), "status": summary.status, "batch_run_id": summary.run_id}
