"""Reading a stored whitelist edition through today's consents, in SQL: filtered, searched, sorted and one
page at a time, so that a page of a 10⁵-firm edition costs a page (not the edition) in Python.

A firm is shown while it holds a pre-screening consent in force to the bank (the same condition as the
consent mask, :func:`bank_tax.consent.mask.in_force`); the others are left out and counted as withdrawn.
An entry's rank is its place among the shown entries of the edition (before filters), as it always was.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import clock
from bank_tax.consent.mask import in_force
from bank_tax.consent.models import Consent
from bank_tax.enterprises.models import Enterprise
from bank_tax.matching.models import WhitelistEdition, WhitelistEntry
from bank_tax.modelling import explain

WHITELIST_PURPOSE = "pre_screen"
PER_PAGE, MAX_PER_PAGE = 50, 200
INLINE_WITHDRAWN = 2000  # withdrawn entries left out by rank in the queries; more, and SQL asks the consents
SORTS = ("rank", "name", "region", "industry", "limit", "points")
ORDERS = ("asc", "desc")

_E = WhitelistEntry.__table__
_F = Enterprise.__table__


def _consented(edition: WhitelistEdition, at: dt.datetime, entry=_E):
    """SQL condition on an entry: its firm still consents to pre-screening by the edition's bank."""
    return sa.exists().where(Consent.uscc == entry.c.uscc, in_force(edition.bank_code, WHITELIST_PURPOSE, at))


def _conditions(region, industry, grade, min_limit, max_limit, q) -> list:
    out = []
    if region:
        out.append(_F.c.region_code.startswith(region, autoescape=True))
    if industry:
        out.append(_F.c.industry_code.startswith(industry, autoescape=True))
    if grade:
        out.append(_E.c.grade == grade)
    if min_limit is not None:
        out.append(_E.c.limit_yuan >= min_limit)
    if max_limit is not None:
        out.append(_E.c.limit_yuan <= max_limit)
    if q:
        out.append(sa.or_(_F.c.name.icontains(q, autoescape=True), _E.c.uscc.contains(q.upper(), autoescape=True)))
    return out


def _sort_key(session: Session, sort: str):
    if sort == "name":
        name = sa.func.coalesce(_F.c.name, "")
        # code-point order on both backends (PostgreSQL's default collation follows the server's locale)
        return name.collate("C") if session.get_bind().dialect.name == "postgresql" else name
    return {
        "rank": _E.c.rank,
        "region": sa.func.coalesce(_F.c.region_code, ""),
        "industry": sa.func.coalesce(_F.c.industry_code, ""),
        "limit": _E.c.limit_yuan,
        "points": _E.c.points,
    }[sort]


def read(
    session: Session,
    edition: WhitelistEdition,
    *,
    at: dt.datetime | None = None,
    region: str | None = None,
    industry: str | None = None,
    grade: str | None = None,
    min_limit: int | None = None,
    max_limit: int | None = None,
    q: str | None = None,
    sort: str = "rank",
    order: str = "asc",
    page: int | None = None,
    per_page: int | None = None,
) -> dict:
    """The edition's entries the bank may see at ``at`` (now), filtered (region and industry by code
    prefix, grade, limit range, ``q`` a fragment of the firm's name or USCC), sorted by ``sort``
    (:data:`SORTS`; ties by rank) and cut to ``page`` of ``per_page`` entries (all of them when
    ``per_page`` and ``page`` are None). A page past the last is the last.

    Returns ``entries``, ``total`` (entries matching, all pages), ``withdrawn`` (entries of the edition
    whose firm's consent ended, whatever the filters), ``page``, ``per_page`` and ``pages``.
    """
    if sort not in SORTS or order not in ORDERS:
        raise ValueError(f"sort {sort!r} {order!r}")
    if page is not None and per_page is None:
        per_page = PER_PAGE  # asking for a page asks for paging
    at = at or clock.now()
    gone = withdrawn_ranks(session, edition, at=at)
    filters = _conditions(region, industry, grade, min_limit, max_limit, q)
    where = [_E.c.edition_id == edition.id, *_shown(edition, at, gone), *filters]
    # a filter on the firm's registration wants the firm: an inner join lets SQL start from its index
    on_firm = bool(region or industry or q)
    joined = (_E.join if on_firm else _E.outerjoin)(_F, _F.c.uscc == _E.c.uscc)
    if filters:
        total = session.scalar(sa.select(sa.func.count()).select_from(joined).where(*where))
    else:  # the edition's entries less the withdrawn, counted by its own index
        total = session.scalar(sa.select(sa.func.count()).where(_E.c.edition_id == edition.id)) - gone.shape[0]
    key = _sort_key(session, sort)
    stmt = (
        sa.select(
            _E.c.rank,
            _E.c.uscc,
            _F.c.name,
            _F.c.region_code,
            _F.c.industry_code,
            _E.c.product_code,
            _E.c.limit_yuan,
            _E.c.rate,
            _E.c.pd,
            _E.c.points,
            _E.c.grade,
            _E.c.eligible_products,
            _E.c.reasons,
            _E.c.consent_id,
        )
        .select_from(joined)
        .where(*where)
        .order_by(key.desc() if order == "desc" else key.asc(), _E.c.rank)
    )
    if per_page is None:
        pages, page = 1, 1
    else:
        pages = max(1, math.ceil(total / per_page))
        page = min(max(page or 1, 1), pages)
        stmt = stmt.offset((page - 1) * per_page).limit(per_page)
    rows = session.execute(stmt).all()
    shown = np.array([r.rank for r in rows], dtype=np.int64)
    ranks = (shown - np.searchsorted(gone, shown)).tolist()
    return {
        "entries": [_entry(r, rank) for r, rank in zip(rows, ranks, strict=True)],
        "total": int(total),
        "withdrawn": int(gone.shape[0]),
        "page": page,
        "per_page": per_page,
        "pages": pages,
    }


def withdrawn_ranks(session: Session, edition: WhitelistEdition, *, at: dt.datetime) -> np.ndarray:
    """The stored ranks, ascending, of the edition's entries whose firm no longer consents at ``at``."""
    stmt = sa.select(_E.c.rank).where(_E.c.edition_id == edition.id, ~_consented(edition, at)).order_by(_E.c.rank)
    return np.fromiter(session.scalars(stmt), dtype=np.int64)


def _entry(r, rank: int) -> dict:
    codes = [c for c in r.reasons.split(",") if c]
    return {
        "rank": rank,
        "uscc": r.uscc,
        "name": r.name or "",
        "region_code": r.region_code or "",
        "industry_code": r.industry_code or "",
        "product_code": r.product_code,
        "limit": r.limit_yuan,
        "rate": r.rate,
        "pd": r.pd,
        "points": r.points,
        "grade": r.grade,
        "eligible_products": r.eligible_products,
        "reasons": [{"code": c, **{k: explain.label(c, k) for k in ("zh", "en")}} for c in codes],
        "consent_id": r.consent_id,
    }


def _shown(edition: WhitelistEdition, at: dt.datetime, gone: np.ndarray, entry=_E) -> list:
    """SQL conditions on an entry of ``edition``: shown at ``at``, whose withdrawn ranks are ``gone``. The
    consent check costs a lookup a row, so it is done once (``gone``) and its result left out by rank
    while it is short; past that SQL asks the consents again."""
    if gone.shape[0] == 0:
        return []
    if gone.shape[0] <= INLINE_WITHDRAWN:
        return [entry.c.rank.not_in(gone.tolist())]
    return [_consented(edition, at, entry)]


def change_counts(
    session: Session, edition: WhitelistEdition, previous: WhitelistEdition | None, *, at: dt.datetime | None = None
) -> dict:
    """How many firms are new, dropped and changed (limit or product) against ``previous``, both read
    through the consents at ``at``: the counts of :func:`bank_tax.matching.service.diff`, in SQL.

    A firm's visibility depends on the firm and the bank only, so it is the same in both editions."""
    at = at or clock.now()
    now, before = _E.alias("now"), _E.alias("before")
    previous_id = previous.id if previous is not None else -1
    shown_now = _shown(edition, at, withdrawn_ranks(session, edition, at=at), now)

    def count(select_from, *where) -> int:
        return int(session.scalar(sa.select(sa.func.count()).select_from(select_from).where(*where)))

    both = now.join(before, sa.and_(before.c.uscc == now.c.uscc, before.c.edition_id == previous_id))
    in_before = sa.exists().where(before.c.edition_id == previous_id, before.c.uscc == now.c.uscc)
    in_now = sa.exists().where(now.c.edition_id == edition.id, now.c.uscc == before.c.uscc)
    return {
        "new": count(now, now.c.edition_id == edition.id, *shown_now, ~in_before),
        # the previous edition's firms that left are few: the consents are asked for those only
        "dropped": count(before, before.c.edition_id == previous_id, ~in_now, _consented(edition, at, before)),
        "changed": count(
            both,
            now.c.edition_id == edition.id,
            *shown_now,
            sa.or_(now.c.limit_yuan != before.c.limit_yuan, now.c.product_code != before.c.product_code),
        ),
    }
