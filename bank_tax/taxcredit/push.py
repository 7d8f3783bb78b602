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


def eligible_pairs(session: Session, *, now: dt.datetime) -> set[tuple[str, int]]:
    """(firm, product id) for every registered firm and active product it qualifies for now."""
    compiled = matching.catalogue(session)
    firms = np.array(session.scalars(sa.select(Enterprise.uscc).order_by(Enterprise.uscc)).all(), dtype="U18")
    if not firms.size or not len(compiled):
        return set()
    facts = gather(session, usccs=firms, as_of=now, model=champion())
    ev = R.evaluate(facts.firms, compiled, on=clock.business_date(now))
    ids = np.array([p["id"] for p in compiled.products])
    rows, cols = np.nonzero(ev.eligible)
    return set(zip(facts.firms.usccs[rows].tolist(), ids[cols].tolist(), strict=True))


def run(session: Session, *, now: dt.datetime | None = None) -> dict:
    """One push: notify the newly eligible firms, forget the pairs no longer eligible. Returns counts."""
    now = now or clock.now()
    found = eligible_pairs(session, now=now)
    known = {tuple(r) for r in session.execute(sa.select(ProductEligibility.uscc, ProductEligibility.product_id))}
    new, gone = sorted(found - known), known - found
    for uscc, product_id in gone:
        session.execute(
            sa.delete(ProductEligibility).where(
                ProductEligibility.uscc == uscc, ProductEligibility.product_id == product_id
            )
        )
    if new:
        stamp = np.datetime64(now.astimezone(dt.UTC).replace(tzinfo=None), "us")  # bulk_insert: naive UTC
        products = {p["id"]: p for p in matching.active_products(session)}
        bulk_insert(
            session,
            ProductEligibility.__table__,
            {
                "uscc": np.array([u for u, _ in new]),
                "product_id": np.array([p for _, p in new]),
                "since": np.full(len(new), stamp),
            },
        )
        messages = []
        for uscc, product_id in new:
            p = products[product_id]
            bank_en, name_en = p["bank_name_en"] or p["bank_name"], p["name_en"] or p["name"]
            messages.append(
                {
                    "uscc": uscc,
                    "kind": "product_eligible",
                    "title_zh": f"您已符合{p['bank_name']}“{p['name']}”的申请条件",
                    "title_en": f"You now qualify for {bank_en} {name_en}",
                    "body_zh": "信用越好，贷款越容易。可在“可申请产品”中查看额度与利率并在线申请。",
                    "body_en": "See the limit and rate under Products, and apply online.",
                    "link": "/firm/products",
                    "created_at": stamp,
                }
            )
        bulk_insert(
            session, Notification.__table__, {k: np.array([m[k] for m in messages], dtype=object) for k in messages[0]}
        )
    audit.record(
        session,
        actor=None,
        action="taxcredit.push",
        resource="notifications",
        details={"eligible": len(found), "newly_eligible": len(new), "no_longer": len(gone)},
    )
    return {"eligible": len(found), "notified": len(new), "no_longer_eligible": len(gone)}


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
    ev = pre_evaluate(session, usccs=list(last), year=year + 1, as_of=now)
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
    return sorted(out, key=lambda r: (r["running_score"], r["uscc"]))
