"""Targeted push (精准推送): after each run of the pipeline, the firms that became eligible for a bank
product since the last push get a message in their portal inbox, once; and the firms at risk of
dropping from A or B this year are listed for the tax offices to review.

"Eligible" is the firm's own match (all its data, no bank's consent involved: the message goes to the
firm, not to a bank). The eligibility found is kept (:class:`ProductEligibility`): a firm that stays
eligible is not told again; one that drops out and comes back is, because it became eligible again.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import clock
from bank_tax.db import bulk_insert
from bank_tax.enterprises.models import Enterprise
from bank_tax.features.panels import firm_positions
from bank_tax.matching import rules as R
from bank_tax.matching import service as matching
from bank_tax.matching.facts import gather
from bank_tax.modelling.scoring import champion
from bank_tax.security import audit
from bank_tax.sources.models import CreditGrade
from bank_tax.sources.service import records_state
from bank_tax.taxcredit.evaluate import pre_evaluate, published_year, rows_for_firms
from bank_tax.taxcredit.models import Notification, ProductEligibility

ORDER = {"A": 0, "B": 1, "M": 2, "C": 3, "D": 4}
AT_RISK_CHUNK = 20_000  # A/B firms pre-evaluated at a time: memory stays that of a chunk


def eligible_pairs(session: Session, *, usccs, now: dt.datetime) -> tuple[np.ndarray, np.ndarray]:
    """(firm codes, product ids), one pair per firm of ``usccs`` and active product it qualifies for now."""
    compiled = matching.catalogue(session)
    firms = np.asarray(usccs, dtype="U18")
    if not firms.size or not len(compiled):
        return np.array([], dtype="U18"), np.array([], dtype=np.int64)
    facts = gather(session, usccs=firms, as_of=now, model=champion())
    ev = R.evaluate(facts.firms, compiled, on=clock.business_date(now))
    ids = np.array([p["id"] for p in compiled.products], dtype=np.int64)
    rows, cols = np.nonzero(ev.eligible)
    return facts.firms.usccs[rows], ids[cols]


DELETE_IDS = 10_000  # ids per delete statement (SQLite caps bound parameters)


def _messages(session: Session, usccs: np.ndarray, product_ids: np.ndarray, stamp) -> dict[str, np.ndarray]:
    """The inbox messages of new (firm, product) pairs (sorted by firm), as columns: one message per firm,
    naming the product when there is one and the first of them with their number when there are several
    (a firm newly eligible for forty products gets one message, not forty)."""
    products = sorted(matching.active_products(session), key=lambda p: p["id"])
    ids = np.array([p["id"] for p in products], dtype=np.int64)
    zh = [f"{p['bank_name']}“{p['name']}”" for p in products]
    en = [f"{p['bank_name_en'] or p['bank_name']} {p['name_en'] or p['name']}" for p in products]
    firms, first, count = np.unique(usccs, return_index=True, return_counts=True)
    at = np.searchsorted(ids, product_ids[first]).tolist()
    title_zh = [
        f"您已符合{zh[i]}的申请条件" if c == 1 else f"您已符合{zh[i]}等{c}款产品的申请条件"
        for i, c in zip(at, count.tolist(), strict=True)
    ]
    title_en = [
        f"You now qualify for {en[i]}" if c == 1 else f"You now qualify for {en[i]} and {c - 1} more products"
        for i, c in zip(at, count.tolist(), strict=True)
    ]
    n = firms.shape[0]
    return {
        "uscc": firms,
        "kind": np.full(n, "product_eligible", dtype=object),
        "title_zh": np.array(title_zh, dtype=object),
        "title_en": np.array(title_en, dtype=object),
        "body_zh": np.full(n, "信用越好，贷款越容易。可在“可申请产品”中查看额度与利率并在线申请。", dtype=object),
        "body_en": np.full(n, "See the limit and rate under Products, and apply online.", dtype=object),
        "link": np.full(n, "/firm/products", dtype=object),
        "created_at": np.full(n, stamp),
    }


def push_partition(session: Session, *, usccs, now: dt.datetime) -> dict[str, int]:
    """The push for the firms ``usccs`` (a partition, sorted): notify the newly eligible, forget the pairs
    no longer eligible. Returns its counts (the batch sums them over the partitions). Pairs are integer
    keys (firm's row × products + product id), so a partition with millions of pairs stays columnar."""
    firms = np.asarray(usccs, dtype="U18")
    if not firms.size:
        return {"eligible": 0, "notified": 0, "no_longer_eligible": 0}
    found_u, found_p = eligible_pairs(session, usccs=firms, now=now)
    t = ProductEligibility.__table__
    known = session.execute(
        sa.select(t.c.id, t.c.uscc, t.c.product_id).where(t.c.uscc.between(str(firms[0]), str(firms[-1])))
    ).all()
    known_id = np.array([r[0] for r in known], dtype=np.int64)
    known_u = np.array([r[1] for r in known], dtype="U18")
    known_p = np.array([r[2] for r in known], dtype=np.int64)
    kpos, member = firm_positions(firms, known_u)  # rows of firms in the range but not in the partition stay
    known_id, kpos, known_p = known_id[member], kpos[member], known_p[member]
    fpos, ours = firm_positions(firms, found_u)
    assert ours.all(), "eligible pairs of firms outside the partition"  # gather answers for the asked firms
    width = int(max(found_p.max(initial=0), known_p.max(initial=0))) + 1
    found_key, known_key = fpos * width + found_p, kpos * width + known_p
    new = ~np.isin(found_key, known_key)
    gone = known_id[~np.isin(known_key, found_key)]
    for lo in range(0, gone.shape[0], DELETE_IDS):
        session.execute(
            sa.delete(ProductEligibility).where(ProductEligibility.id.in_(gone[lo : lo + DELETE_IDS].tolist()))
        )
    if new.any():
        order = np.lexsort((found_p[new], found_u[new]))  # by firm, then product
        new_u, new_p = found_u[new][order], found_p[new][order]
        stamp = np.datetime64(now.astimezone(dt.UTC).replace(tzinfo=None), "us")  # bulk_insert: naive UTC
        bulk_insert(
            session,
            ProductEligibility.__table__,
            {"uscc": new_u, "product_id": new_p, "since": np.full(new_u.shape[0], stamp)},
        )
        bulk_insert(session, Notification.__table__, _messages(session, new_u, new_p, stamp))
    return {"eligible": int(found_u.shape[0]), "notified": int(new.sum()), "no_longer_eligible": int(gone.shape[0])}


def record_push(session: Session, counts: dict[str, int]) -> None:
    """The push's line in the audit log, once every partition is in."""
    audit.record(
        session,
        actor=None,
        action="taxcredit.push",
        resource="notifications",
        details={
            "eligible": counts.get("eligible", 0),
            "newly_eligible": counts.get("notified", 0),
            "no_longer": counts.get("no_longer_eligible", 0),
        },
    )


_AT_RISK: dict[tuple, list[dict]] = {}


def at_risk(session: Session, *, now: dt.datetime | None = None) -> list[dict]:
    """Firms graded A or B last year whose running score this year grades lower, worst first, with what
    cost them the points (the list the policies ask tax offices to review). Kept in this process while
    the records and the day are unchanged (it reads every A/B firm's records)."""
    now = now or clock.now()
    # the bind's identity too: a test's rolled-back connection may reuse ids, and so a state, on SQLite
    bind = session.get_bind()
    state = session.execute(sa.select(*records_state())).one()
    key = (matching.db_key(session), id(bind), clock.business_date(now), *state)
    if key not in _AT_RISK:
        if len(_AT_RISK) >= 16:
            _AT_RISK.clear()
        _AT_RISK[key] = _at_risk(session, now)
    return _AT_RISK[key]


def _at_risk(session: Session, now: dt.datetime) -> list[dict]:
    # the latest published year (last year from April on; before, the year before last) against the
    # year after it: this year's running score, or (January to April) last year's, about to be published
    year = published_year(session, as_of=now)
    if year is None:
        return []
    last = dict(
        session.execute(
            sa.select(CreditGrade.uscc, CreditGrade.grade)
            .where(
                CreditGrade.year == year,
                CreditGrade.received_at <= now,
                CreditGrade.evaluated_on <= clock.business_date(now),
            )
            .order_by(CreditGrade.uscc, CreditGrade.version)  # a correction (later version) wins
        ).all()
    )
    last = {u: g for u, g in last.items() if g in ("A", "B")}
    if not last:
        return []
    out = []
    codes = sorted(last)
    for lo in range(0, len(codes), AT_RISK_CHUNK):  # consecutive codes: each chunk reads its range only
        out += _worse(session, codes[lo : lo + AT_RISK_CHUNK], last, year=year, now=now)
    return sorted(out, key=lambda r: (r["running_score"], r["uscc"]))


def _worse(session: Session, codes: list[str], last: dict[str, str], *, year: int, now: dt.datetime) -> list[dict]:
    """Of ``codes``, the firms whose running grade is below last year's ``last``."""
    ev = pre_evaluate(session, usccs=codes, year=year + 1, as_of=now)
    names = dict(rows_for_firms(session, sa.select(Enterprise.uscc, Enterprise.name), Enterprise.uscc, ev.usccs))
    out = []
    for i, uscc in enumerate(ev.usccs.tolist()):
        running = str(ev.grade[i])
        if ORDER.get(running, 9) > ORDER[last[uscc]] and running != "M":
            out.append(
                {
                    "uscc": uscc,
                    "name": names.get(uscc, ""),
                    "last_grade": last[uscc],
                    "running_score": float(ev.score[i]),
                    "running_grade": running,
                    "deductions": {k: float(v[i]) for k, v in ev.deductions.items() if v[i]},
                }
            )
    return out
