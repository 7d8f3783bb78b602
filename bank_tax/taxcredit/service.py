"""A firm's tax-credit warnings with last year's published grade and what repairing would open up:
the products that become eligible when the projected grade is the repaired one instead of the one the
firm gets by doing nothing (the projected grade is published next April; matching today uses the
published grade)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import clock
from bank_tax.enterprises import service as enterprises
from bank_tax.errors import Unavailable
from bank_tax.matching import rules as matching_rules
from bank_tax.matching import service as matching
from bank_tax.matching.facts import gather
from bank_tax.modelling.scoring import champion
from bank_tax.security import policy
from bank_tax.security.roles import Principal
from bank_tax.sources.models import CreditGrade
from bank_tax.taxcredit.evaluate import published_year
from bank_tax.taxcredit.warnings import firm_warnings


def published_grade(session: Session, uscc: str, year: int, *, as_of: dt.datetime | None = None) -> str | None:
    """The grade the tax bureau published for ``year`` (latest version), if any; as known at ``as_of``
    (received by then, evaluated by that day) when given."""
    stmt = sa.select(CreditGrade.grade).where(CreditGrade.uscc == uscc, CreditGrade.year == year)
    if as_of is not None:
        stmt = stmt.where(CreditGrade.received_at <= as_of, CreditGrade.evaluated_on <= clock.business_date(as_of))
    return session.scalar(stmt.order_by(CreditGrade.version.desc()).limit(1))


def what_if(session: Session, *, uscc: str, grades: dict[str, str], now: dt.datetime) -> dict:
    """Eligible products of the firm under each hypothetical tax-credit grade (everything else as it
    is now), and those eligible under ``grades['repaired']`` but not ``grades['as_is']``."""
    facts = gather(session, usccs=[uscc], as_of=now, model=champion())
    compiled = matching.catalogue(session)
    eligible = {}
    for scenario, grade in grades.items():
        facts.firms.tax_grade = np.array([grade], dtype="U1")
        ev = matching_rules.evaluate(facts.firms, compiled, on=clock.business_date(now))
        eligible[scenario] = [
            {"bank_code": p["bank_code"], "product_code": p["code"], "name": p["name"], "name_en": p["name_en"]}
            for p, ok in zip(compiled.products, ev.eligible[0], strict=True)
            if ok
        ]
    have = {(p["bank_code"], p["product_code"]) for p in eligible["as_is"]}
    return {
        "eligible_as_is": eligible["as_is"],
        "eligible_if_repaired": eligible["repaired"],
        "newly_eligible": [p for p in eligible["repaired"] if (p["bank_code"], p["product_code"]) not in have],
    }


def credit_warnings(
    session: Session, *, principal: Principal | None, uscc: str, now: dt.datetime | None = None
) -> dict:
    """The firm's running tax-credit evaluation, warnings, projections and what repairing opens up."""
    policy.require(principal, "taxcredit.read", uscc=uscc)
    enterprises.get(session, uscc)
    now = now or clock.now()
    body = firm_warnings(session, uscc=uscc, now=now)
    year = published_year(session, as_of=now)  # before April's publication: the year before last
    body["last_grade"] = published_grade(session, uscc, year, as_of=now) if year is not None else None
    body["last_grade_year"] = year
    try:
        body["what_if"] = what_if(
            session,
            uscc=uscc,
            grades={"as_is": body["projected_grade"], "repaired": body["projected_grade_if_repaired"]},
            now=now,
        )
    except Unavailable:
        body["what_if"] = None  # no champion model yet: no PD, so no product can be priced
    return body
