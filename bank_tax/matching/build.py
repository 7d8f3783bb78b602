"""Whitelist editions built partition by partition: the ``whitelists`` stage of the batch.

One run builds an edition for each of several banks. Each partition of firms is read once
(:func:`bank_tax.matching.facts.shared`) and serves every bank: each bank's consent mask hides what it may
not use from the same features, its own products' rules pick the firms that qualify, and their entries
land with the partition's checkpoint. Ranks need every partition, so entries land unranked (with the value
that ranks them) and :func:`finish` ranks them in SQL, digests them in rank order as they stream back, and
seals each edition (an empty digest marks one still being built, which nobody is shown).
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import clock, faults, metrics
from bank_tax.batch.models import BatchRun
from bank_tax.consent.mask import consent_mask
from bank_tax.db import bulk_insert
from bank_tax.matching import facts as F
from bank_tax.matching import rules as R
from bank_tax.matching.models import WhitelistEdition, WhitelistEntry
from bank_tax.matching.service import WHITELIST_PURPOSE, catalogue, pinned_catalogue
from bank_tax.modelling.service import registry
from bank_tax.security import audit
from bank_tax.security.roles import Principal

STREAM = 20_000


def editions_of(session: Session, run: BatchRun) -> list[WhitelistEdition]:
    """The editions a run builds, by bank."""
    return list(
        session.scalars(
            sa.select(WhitelistEdition)
            .where(WhitelistEdition.batch_run_id == run.id)
            .order_by(WhitelistEdition.bank_code)
        )
    )


def begin(
    session: Session, run: BatchRun, *, banks: list[str], actor: Principal | None, trigger: str
) -> list[WhitelistEdition]:
    """An empty, unsealed edition per bank, tied to the run, with the bank's active products as they are
    now (id and version): every partition applies these rules, whatever changes while it is built."""
    out = []
    for code in sorted(set(banks)):
        products = catalogue(session, code).products
        edition = WhitelistEdition(
            bank_code=code,
            as_of=run.as_of,
            model_version=run.key.split(":", 1)[0],
            trigger=trigger,
            n_firms=0,
            n_products=len(products),
            products=json.dumps([[p["id"], p["version"]] for p in products]),
            digest="",
            created_by=actor.username if actor else "system",
            batch_run_id=run.id,
        )
        session.add(edition)
        out.append(edition)
    session.flush()
    return out


def _lookup(codes: np.ndarray, values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """``values`` of ``wanted`` codes (each one of ``codes``, in any order)."""
    order = np.argsort(codes, kind="stable")
    return values[order[np.searchsorted(codes[order], wanted)]]


def partition(session: Session, run: BatchRun, usccs) -> int:
    """Entries of every edition of the run for the firms ``usccs``, each bank with its active products; the
    partition's records are read once, and only if some bank has a firm in it with consent. Returns the
    number of firms."""
    codes = np.asarray(usccs, dtype="U18")
    editions = editions_of(session, run)
    if not codes.size or not editions:
        return int(codes.size)
    model = registry().load(editions[0].model_version)
    base = None
    said: dict[int, str] = {}  # reasons by (firm, categories it let the bank use): equal for equal masks
    on = clock.business_date(run.as_of)
    for edition in editions:
        pins = json.loads(edition.products)
        # an edition begun before its products were recorded (revision 0020) goes on with the active ones
        compiled = (
            pinned_catalogue(session, pins) if pins or not edition.n_products else catalogue(session, edition.bank_code)
        )
        if not compiled.products:
            continue
        mask = consent_mask(session, bank_code=edition.bank_code, purpose=WHITELIST_PURPOSE, usccs=codes, at=run.as_of)
        consenting = mask.usccs[mask.consent_id >= 0]
        if not consenting.size:
            continue
        if base is None:
            base = F.shared(session, usccs=codes, as_of=run.as_of)
        rows = np.searchsorted(base.frame.usccs, np.sort(consenting))
        facts = F.facts(base, model=model, mask=mask, rows=rows)
        ev = R.evaluate(facts.firms, compiled, on=on)
        value = np.where(ev.eligible, ev.value, -1.0)
        best = np.argmax(value, axis=1)  # each firm's best product (first by code among equals)
        chosen = np.nonzero(ev.eligible.any(axis=1))[0]
        if not chosen.size:
            continue
        reasons = _reasons(model, facts.frame.values[chosen], rows[chosen], facts.firms.consented[chosen], said)
        firms, scores, pick = facts.firms.usccs[chosen], facts.scores, best[chosen]
        bulk_insert(
            session,
            WhitelistEntry.__table__,
            {
                "edition_id": np.full(chosen.size, edition.id),
                "rank": np.zeros(chosen.size, dtype=np.int64),  # set by finish, once every partition is in
                "uscc": firms,
                "product_code": np.array([p["code"] for p in compiled.products])[pick],
                "limit_yuan": ev.limit[chosen, pick].astype(np.int64),
                "rate": ev.rate[chosen, pick],
                "pd": scores.pd[chosen],
                "points": scores.points[chosen],
                "grade": scores.grade[chosen],
                "eligible_products": ev.eligible[chosen].sum(axis=1),
                "reasons": reasons,
                "consent_id": _lookup(mask.usccs, mask.consent_id, firms),
                "rank_value": value[chosen, pick],
            },
        )
        faults.checkpoint("whitelist.entries")
    return int(codes.size)


def _reasons(model, values: np.ndarray, rows: np.ndarray, allowed: np.ndarray, said: dict[int, str]) -> list[str]:
    """The top three reason codes of each row, joined; a firm's reasons depend only on its features and
    the categories a bank may use, so a firm that gave several banks the same consent is explained once
    (explaining costs a prediction per reason group, scoring one)."""
    keys = (rows.astype(np.int64) << 8) + (allowed.astype(np.int64) << np.arange(allowed.shape[1])).sum(axis=1)
    todo = np.array([k not in said for k in keys.tolist()], dtype=bool)
    if todo.any():
        r = model.reasons(values[todo], k=3)
        names = np.array(model.names)
        codes = np.where(r.index >= 0, names[np.maximum(r.index, 0)], "")
        for k, row in zip(keys[todo].tolist(), codes, strict=True):
            said[k] = ",".join(c for c in row if c)
    return [said[k] for k in keys.tolist()]


_RANK = sa.text(
    "UPDATE whitelist_entry SET rank = r.rn FROM (SELECT id, row_number() OVER "
    "(ORDER BY rank_value DESC, uscc) AS rn FROM whitelist_entry WHERE edition_id = :edition) AS r "
    "WHERE whitelist_entry.id = r.id"
)


def _seal(session: Session, edition: WhitelistEdition) -> list[int]:
    """Rank the edition's entries (by value, then code), count and digest them in rank order; returns the
    first thousand consents they rely on, for the audit log."""
    session.execute(_RANK, {"edition": edition.id})
    t = WhitelistEntry.__table__
    lines = session.execute(
        sa.select(t.c.uscc, t.c.product_code, t.c.limit_yuan, t.c.consent_id)
        .where(t.c.edition_id == edition.id)
        .order_by(t.c.rank)
        .execution_options(yield_per=STREAM)
    )
    digest, n = hashlib.sha256(), 0
    for u, p, limit, consent in lines:
        digest.update(f"{'' if n == 0 else chr(10)}{u}\t{p}\t{int(limit)}\t{int(consent)}".encode())
        n += 1
    edition.n_firms, edition.digest = n, digest.hexdigest()
    return list(
        session.scalars(
            sa.select(t.c.consent_id)
            .where(t.c.edition_id == edition.id)
            .distinct()
            .order_by(t.c.consent_id)
            .limit(1000)
        )
    )


def finish(session: Session, run: BatchRun, *, actor: Principal | None) -> list[WhitelistEdition]:
    """Seal every edition of the run and put its delivery in the audit log."""
    out = editions_of(session, run)
    for edition in out:
        consents = _seal(session, edition)
        audit.record(
            session,
            actor=actor,
            action="whitelist.deliver",
            bank_code=edition.bank_code,
            resource=f"whitelists/{edition.id}",
            purpose=WHITELIST_PURPOSE,
            details={"edition": edition.id, "firms": edition.n_firms, "digest": edition.digest, "consents": consents},
        )
        metrics.count(metrics.DELIVERIES, bank=edition.bank_code)
    session.flush()
    return out
