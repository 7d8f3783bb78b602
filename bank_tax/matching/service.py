"""Matches for one firm, and whitelists for a bank: generated, stored, read through today's consents,
diffed and exported."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import OrderedDict

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import IsoJSONProvider, clock
from bank_tax.banks.models import Bank
from bank_tax.enterprises.models import Enterprise
from bank_tax.errors import NotFound
from bank_tax.matching import reading
from bank_tax.matching import rules as R
from bank_tax.matching.facts import gather
from bank_tax.matching.models import WhitelistEdition
from bank_tax.matching.reading import WHITELIST_PURPOSE
from bank_tax.modelling.scoring import champion
from bank_tax.products.models import Product, ProductVersion
from bank_tax.security import audit, policy
from bank_tax.security.roles import Principal
from bank_tax.sources.service import records_state

REPAIR_NOTICE = {
    "zh": "贵企业已被列入严重失信主体名单，暂不能获得信用贷款。纠正失信行为、履行相关义务并在最短公示期满后，"
    "可通过“信用中国”网站向认定单位申请信用修复；修复完成、移出名单后即可重新匹配产品。",
    "en": "The firm is on the serious-dishonesty list and cannot be offered credit. After correcting the "
    "conduct, meeting its obligations and the minimum publicity period, it may apply to the listing "
    "authority for credit repair (via Credit China); once removed from the list, products match again.",
}
PRIORITY_NOTICE = {
    "zh": "贵企业在守信红名单上，银行将优先受理。",
    "en": "The firm is on the red list of trustworthy firms: banks give it priority.",
}


def active_products(session: Session, bank_code: str | None = None) -> list[dict]:
    """Every active product (of one bank, or of all), with its current rules and its bank's names."""
    stmt = _products_select(ProductVersion.version == Product.version).where(Product.status == "active")
    if bank_code is not None:
        stmt = stmt.where(Product.bank_code == bank_code)
    return _product_dicts(session, stmt)


def pinned_products(session: Session, pins: list[tuple[int, int]]) -> list[dict]:
    """The products named by (product id, version) pairs, each with the rules of that version, whatever
    the product's status or version is now (a whitelist edition's products as it began)."""
    if not pins:
        return []
    wanted = sa.tuple_(ProductVersion.product_id, ProductVersion.version).in_([tuple(p) for p in pins])
    return _product_dicts(session, _products_select(wanted))


def _products_select(version_clause) -> sa.Select:
    return (
        sa.select(Product, ProductVersion.version, ProductVersion.rules, Bank.name, Bank.name_en)
        .join(Bank, Bank.code == Product.bank_code)
        .join(ProductVersion, sa.and_(ProductVersion.product_id == Product.id, version_clause))
        .order_by(Product.bank_code, Product.code)
    )


def _product_dicts(session: Session, stmt: sa.Select) -> list[dict]:
    return [
        {
            "bank_code": p.bank_code,
            "bank_name": bank_name,
            "bank_name_en": bank_name_en,
            "id": p.id,
            "code": p.code,
            "name": p.name,
            "name_en": p.name_en,
            "version": version,
            "rules": json.loads(rules),
        }
        for p, version, rules, bank_name, bank_name_en in session.execute(stmt).all()
    ]


def _product_state() -> list:
    """Scalar subqueries that name a state of the product table. Every product change (new rules, pause,
    resume) stamps ``updated_at`` with the time of the change; with the count and the version and status
    totals they change whenever the active catalogue can."""
    return [
        sa.select(agg).select_from(Product).scalar_subquery()
        for agg in (
            sa.func.count(),
            sa.func.max(Product.updated_at),
            sa.func.sum(Product.version),
            sa.func.sum(sa.case((Product.status == "active", 1), else_=0)),
        )
    ]


def db_key(session: Session) -> str:
    return session.get_bind().engine.url.render_as_string()


_CATALOGUES: dict[tuple, R.Catalogue] = {}


def catalogue(session: Session, bank_code: str | None = None) -> R.Catalogue:
    """The active products compiled for the rules, kept in this process while the product table is in the
    same state: one small aggregate query per request instead of reading and parsing every product's rules."""
    state = session.execute(sa.select(*_product_state())).one()
    key = (db_key(session), bank_code, *state)
    compiled = _CATALOGUES.get(key)
    if compiled is None:
        if len(_CATALOGUES) >= 64:
            _CATALOGUES.clear()
        compiled = _CATALOGUES[key] = R.compile_products(active_products(session, bank_code))
    return compiled


def pinned_catalogue(session: Session, pins: list[tuple[int, int]]) -> R.Catalogue:
    """:func:`pinned_products` compiled for the rules (read each time: one query per partition and bank)."""
    return R.compile_products(pinned_products(session, pins))


class _Answers:
    """Firms' match answers as JSON, least recently used out, each kept with the state it was computed
    from. A firm's answer depends only on its records (:func:`sources.service.records_state`), its
    registry row (never changed), the products, the champion and the day, so an answer is served again
    while :func:`_data_state`, the champion's version and the date are the same."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items: OrderedDict[tuple, tuple[tuple, bytes]] = OrderedDict()

    def get(self, key: tuple, state: tuple) -> bytes | None:
        with self.lock:
            hit = self.items.get(key)
            if hit is None or hit[0] != state:
                return None
            self.items.move_to_end(key)
            return hit[1]

    def put(self, key: tuple, state: tuple, document: bytes, size: int) -> None:
        with self.lock:
            self.items[key] = (state, document)
            self.items.move_to_end(key)
            while len(self.items) > size:
                self.items.popitem(last=False)


_ANSWERS = _Answers()


def _data_state(session: Session) -> tuple:
    """One query naming the state of everything a firm's matches are computed from in the database."""
    return tuple(session.execute(sa.select(*records_state(), *_product_state())).one())


def firm_matches_document(session: Session, *, principal: Principal | None, uscc: str, cache_size: int = 0) -> bytes:
    """:func:`firm_matches` as a JSON document, served from this process's answers while nothing it was
    computed from has changed (``cache_size`` firms at most; 0 computes every time). The permission check
    runs on every request."""
    policy.require(principal, "match.read", uscc=uscc)
    if cache_size <= 0:
        return _dumps(firm_matches(session, principal=principal, uscc=uscc))
    model = champion()
    key = (db_key(session), uscc)
    state = (*_data_state(session), model.version, clock.today())
    document = _ANSWERS.get(key, state)
    if document is None:
        document = _dumps(firm_matches(session, principal=principal, uscc=uscc))
        _ANSWERS.put(key, state, document, cache_size)
    return document


def _dumps(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, default=IsoJSONProvider.default).encode()


def firm_matches(session: Session, *, principal: Principal | None, uscc: str, as_of: dt.datetime | None = None) -> dict:
    """Every active product of every bank for one firm, ranked, each eligible or with every failed rule."""
    policy.require(principal, "match.read", uscc=uscc)
    if session.scalar(sa.select(Enterprise.id).where(Enterprise.uscc == uscc)) is None:
        raise NotFound("no such enterprise")
    model = champion()
    moment = as_of or clock.now()
    facts = gather(session, usccs=[uscc], as_of=moment, model=model)
    compiled = catalogue(session)
    products = compiled.products
    ev = R.evaluate(facts.firms, compiled, on=clock.business_date(moment))
    f = facts.firms
    eligible, limit, rate = ev.eligible[0].tolist(), ev.limit[0].tolist(), ev.rate[0].tolist()
    p_approve = ev.p_approve[0].tolist()
    matches = []
    for j in R.order(ev, 0, [p["bank_code"] + p["code"] for p in products]):
        p, ok = products[j], eligible[j]
        matches.append(
            {
                "bank_code": p["bank_code"],
                "bank_name": p["bank_name"],
                "product_code": p["code"],
                "name": p["name"],
                "name_en": p["name_en"],
                "eligible": ok,
                "limit": int(limit[j]) if ok else None,
                "rate": rate[j] if ok else None,
                "rate_range": [float(p["rules"]["rate_spread_min"]), float(p["rules"]["rate_spread_max"])],
                "terms_months": p["rules"]["terms_months"],
                "probability_of_approval": p_approve[j],
                "consent_needed": p["rules"]["consent_categories"],
                "failed": [] if ok else R.reasons(f, ev, 0, j, p["rules"]),
            }
        )
    blacklisted, redlisted = bool(f.blacklisted[0]), bool(f.redlisted[0])
    return {
        "uscc": uscc,
        "as_of": moment,
        "model_version": model.version,
        "pd": float(facts.scores.pd[0]),
        "points": int(facts.scores.points[0]),
        "grade": str(facts.scores.grade[0]),
        "tax_grade": f.tax_grade[0] or None,
        "priority": redlisted,
        "notice": REPAIR_NOTICE if blacklisted else (PRIORITY_NOTICE if redlisted else None),
        "eligible_count": int(ev.eligible[0].sum()),
        "matches": matches,
    }


# -- whitelists -----------------------------------------------------------------------------------------
def bank(session: Session, bank_code: str) -> Bank:
    """The bank, or 404."""
    bank = session.get(Bank, bank_code)
    if bank is None:
        raise NotFound("no such bank")
    return bank


def editions(session: Session, *, bank_code: str, limit: int = 100) -> list[WhitelistEdition]:
    """The bank's editions, newest first."""
    return list(
        session.scalars(
            sa.select(WhitelistEdition)
            .where(WhitelistEdition.bank_code == bank_code, WhitelistEdition.digest != "")
            .order_by(WhitelistEdition.id.desc())
            .limit(limit)
        )
    )


def edition_of(session: Session, *, bank_code: str, edition_id: int | None = None) -> WhitelistEdition:
    """An edition of this bank (the latest when no id); 404 for another bank's (isolation)."""
    stmt = sa.select(WhitelistEdition).where(WhitelistEdition.bank_code == bank_code, WhitelistEdition.digest != "")
    stmt = stmt.where(WhitelistEdition.id == edition_id) if edition_id else stmt.order_by(WhitelistEdition.id.desc())
    edition = session.scalars(stmt.limit(1)).first()
    if edition is None:
        raise NotFound("没有白名单 / no such whitelist edition")
    return edition


def entries(session: Session, edition: WhitelistEdition, *, at: dt.datetime | None = None) -> tuple[list[dict], int]:
    """The edition's entries as the bank may see them now: firms whose pre-screening consent to this bank
    is no longer in force are left out (and counted)."""
    body = reading.read(session, edition, at=at)
    return body["entries"], body["withdrawn"]


def view(session: Session, edition: WhitelistEdition, **query) -> dict:
    """An edition for its bank: header, entries through today's consents (filtered, searched, sorted and
    paged by :func:`reading.read`'s ``query``), withdrawn count."""
    body = reading.read(session, edition, **query)
    return {
        "id": edition.id,
        "bank_code": edition.bank_code,
        "as_of": edition.as_of,
        "created_at": edition.created_at,
        "model_version": edition.model_version,
        "trigger": edition.trigger,
        "n_products": edition.n_products,
        "firms": len(body["entries"]),
        **body,
    }


def delivered_view(session: Session, edition: WhitelistEdition, *, actor: Principal | None, **query) -> dict:
    """:func:`view` for a reader, with the read on record: how many firms the bank received, and in what
    form (the API's JSON/CSV/XLSX and the workbench page read editions only through this). A page's
    record names the firms on it, and only those."""
    form = query.pop("format", None) or "page"
    body = view(session, edition, **query)
    details = {"firms": body["firms"], "format": form}
    if body["per_page"] is not None:
        details |= {
            "page": body["page"],
            "per_page": body["per_page"],
            "total": body["total"],
            "usccs": [e["uscc"] for e in body["entries"]],
        }
    audit.record(
        session,
        actor=actor,
        action="whitelist.read",
        bank_code=edition.bank_code,
        resource=f"whitelists/{edition.id}",
        purpose=WHITELIST_PURPOSE,
        details=details,
    )
    return body


def previous_edition(session: Session, edition: WhitelistEdition) -> WhitelistEdition | None:
    """The bank's edition before this one (None for its first)."""
    return session.scalars(
        sa.select(WhitelistEdition)
        .where(
            WhitelistEdition.bank_code == edition.bank_code,
            WhitelistEdition.id < edition.id,
            WhitelistEdition.digest != "",
        )
        .order_by(WhitelistEdition.id.desc())
        .limit(1)
    ).first()


def change_counts(session: Session, edition: WhitelistEdition) -> dict:
    """How many firms :func:`diff` would list as new, dropped and changed, counted in SQL (for pages that
    show only the counts of a large edition)."""
    return reading.change_counts(session, edition, previous_edition(session, edition))


def diff(session: Session, edition: WhitelistEdition) -> dict:
    """What changed since the bank's previous edition: new firms, dropped firms, changed limits (both
    editions read through today's consents, so a withdrawn firm appears in neither)."""
    previous = previous_edition(session, edition)
    now_rows, _ = entries(session, edition)
    before_rows, _ = entries(session, previous) if previous else ([], 0)
    now = {r["uscc"]: r for r in now_rows}
    before = {r["uscc"]: r for r in before_rows}
    return {
        "id": edition.id,
        "previous_id": previous.id if previous else None,
        "new": [now[u] for u in sorted(set(now) - set(before))],
        "dropped": [before[u] for u in sorted(set(before) - set(now))],
        "changed": [
            {**now[u], "previous_limit": before[u]["limit"], "previous_product_code": before[u]["product_code"]}
            for u in sorted(set(now) & set(before))
            if now[u]["limit"] != before[u]["limit"] or now[u]["product_code"] != before[u]["product_code"]
        ],
    }


EXPORT_COLUMNS = (
    ("rank", "排名"),
    ("uscc", "统一社会信用代码"),
    ("name", "企业名称"),
    ("region_code", "区划"),
    ("industry_code", "行业"),
    ("product_code", "产品"),
    ("limit", "建议额度（元）"),
    ("rate", "参考利率（%）"),
    ("points", "评分"),
    ("grade", "风险等级"),
    ("reasons", "主要原因"),
    ("consent_id", "授权编号"),
)


def export_rows(view_: dict) -> list[dict]:
    """Flat rows for CSV/XLSX, headed in Chinese and English."""
    return [
        {
            f"{zh} / {key}": ("；".join(x["zh"] for x in r[key]) if key == "reasons" else r[key])
            for key, zh in EXPORT_COLUMNS
        }
        for r in view_["entries"]
    ]
