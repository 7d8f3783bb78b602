"""Applications and decisions: the state machine, the consent an application relies on, one decision wins.

States: submitted → in_review → approved / declined / returned; the firm may withdraw while submitted or
in review, resubmit a returned application, and ask for a declined one to be reviewed by another officer
(scores advise, people decide). Any other move is a 409.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from bank_tax import clock
from bank_tax.categories import CATEGORIES
from bank_tax.consent import service as consents
from bank_tax.consent.mask import consent_mask
from bank_tax.errors import Conflict, Forbidden, Invalid, NotFound
from bank_tax.lending.models import Application, ApplicationEvent
from bank_tax.lending.reasons import REASONS
from bank_tax.products import service as products
from bank_tax.products.lpr import lpr_on
from bank_tax.security import audit
from bank_tax.security.audit import canonical_json
from bank_tax.security.roles import Principal

# (from state, action) → to state
TRANSITIONS: dict[tuple[str, str], str] = {
    ("submitted", "review"): "in_review",
    ("submitted", "withdraw"): "withdrawn",
    ("in_review", "withdraw"): "withdrawn",
    ("in_review", "approve"): "approved",
    ("in_review", "decline"): "declined",
    ("in_review", "return"): "returned",
    ("returned", "resubmit"): "submitted",
    ("returned", "withdraw"): "withdrawn",  # a firm asked for more may give up instead
    ("declined", "request_review"): "in_review",
}


def _move(session: Session, app: Application, action: str, actor: Principal, reason: str = "") -> None:
    to = TRANSITIONS.get((app.status, action))
    if to is None:
        raise Conflict(
            f"申请当前状态为 {app.status}，不能执行 {action} / an application that is {app.status} "
            f"cannot be {action}ed",
            {"status": [app.status]},
        )
    app.status = to
    session.add(ApplicationEvent(application_id=app.id, status=to, actor=actor.username, reason=reason))
    audit.record(
        session,
        actor=actor,
        action=f"application.{action}",
        uscc=app.uscc,
        bank_code=app.bank_code,
        resource=f"application/{app.id}",
        purpose="underwriting",
        details={"to": to},
    )


def submit(
    session: Session,
    *,
    uscc: str,
    actor: Principal,
    key,
    bank_code: str,
    product_code: str,
    amount: int,
    term_months: int,
    purpose_of_funds: str,
    grant_consent: bool = False,
    consent_expires_at: dt.datetime | None = None,
) -> Application:
    """A firm applies for a product. It needs an underwriting consent to the bank for the product's
    categories, or grants one in the same step when it says so (``grant_consent``)."""
    product = products.get(session, bank_code=bank_code, code=product_code)
    if product.status != "active":
        raise Conflict("该产品已暂停申请 / this product is paused", {"product_code": ["paused"]})
    rules = products.rules_of(session, product)
    errors = {}
    if not rules["amount_min"] * 100 <= amount <= rules["amount_max"] * 100:
        errors["amount"] = [
            f"产品额度为 {rules['amount_min']}–{rules['amount_max']} 元 / the product lends "
            f"{rules['amount_min']}–{rules['amount_max']} yuan"
        ]
    if term_months not in rules["terms_months"]:
        errors["term_months"] = [f"可选期限 / terms offered: {rules['terms_months']}"]
    if errors:
        raise Invalid("申请不符合产品条件 / the application does not fit the product", errors)
    needed = rules["consent_categories"]
    mask = consent_mask(session, bank_code=bank_code, purpose="underwriting", usccs=[uscc])
    have = {c for c, ok in zip(CATEGORIES, mask.allowed[0], strict=True) if ok}
    if not set(needed) <= have:
        if not grant_consent:
            raise Invalid(
                "申请前需授权该银行查看以下数据 / applying needs your consent for this bank to see: "
                + ", ".join(sorted(set(needed) - have)),
                {"grant_consent": ["required for " + ", ".join(needed)]},
            )
        consents.grant(
            session,
            uscc=uscc,
            actor=actor,
            key=key,
            purpose="underwriting",
            bank_code=bank_code,
            categories=needed,
            expires_at=consent_expires_at or clock.now() + dt.timedelta(days=180),
        )
        mask = consent_mask(session, bank_code=bank_code, purpose="underwriting", usccs=[uscc])
    snapshot = {
        "categories": [c for c, ok in zip(CATEGORIES, mask.allowed[0], strict=True) if ok],
        "data_window_months": int(mask.window_months[0]),
        "consent_id": int(mask.consent_id[0]),
        "product_version": product.version,
        "rules": rules,
    }
    app = Application(
        uscc=uscc,
        bank_code=bank_code,
        product_id=product.id,
        product_version=product.version,
        amount=amount,
        term_months=term_months,
        purpose_of_funds=purpose_of_funds,
        consent_id=int(mask.consent_id[0]),
        snapshot=canonical_json(snapshot),
    )
    session.add(app)
    session.flush()
    session.add(ApplicationEvent(application_id=app.id, status="submitted", actor=actor.username))
    audit.record(
        session,
        actor=actor,
        action="application.submit",
        uscc=uscc,
        bank_code=bank_code,
        resource=f"application/{app.id}",
        purpose="underwriting",
        details={"product": product_code, "amount": amount, "categories": snapshot["categories"]},
    )
    return app


def get(session: Session, application_id: int) -> Application:
    """An application by id, or 404."""
    app = session.get(Application, application_id)
    if app is None:
        raise NotFound("没有该申请 / no such application")
    return app


def record_view(session: Session, *, app: Application, actor: Principal) -> None:
    """An officer's view of a firm's application is on record (the firm's own and staff views are not)."""
    if actor.is_bank:
        audit.record(
            session,
            actor=actor,
            action="application.view",
            uscc=app.uscc,
            resource=f"application/{app.id}",
            purpose="underwriting",
        )


def act(session: Session, *, app: Application, action: str, actor: Principal, reason: str = "") -> Application:
    """A firm's or officer's move without a decision (review, withdraw, resubmit, request_review)."""
    if action == "request_review":
        app.review_requested, app.previous_officer, app.officer = True, app.officer, None
    if action == "review":
        if app.review_requested and app.previous_officer == actor.username:
            raise Forbidden("复核须由另一位审批人进行 / a review must be done by another officer")
        app.officer = actor.username
    _move(session, app, action, actor, reason)
    return _flush(session, app)


def decide(
    session: Session,
    *,
    app: Application,
    decision: str,
    actor: Principal,
    reason_code: str | None,
    reason: str,
    amount: int | None = None,
    term_months: int | None = None,
    rate: float | None = None,
) -> Application:
    """Approve (amount, term, rate within the product version's rules), decline (a reason code) or return.

    Concurrent decisions on one application: the row version makes exactly one of them win (409 for the rest).
    """
    if app.review_requested and app.previous_officer == actor.username:
        raise Forbidden("复核须由另一位审批人进行 / a review must be done by another officer")
    action = {"approved": "approve", "declined": "decline", "returned": "return"}[decision]
    errors = {}
    if decision == "approved":
        rules = _rules(session, app)
        lpr = lpr_on(clock.today())
        if amount is None or not rules["amount_min"] * 100 <= amount <= rules["amount_max"] * 100:
            errors["amount"] = [f"{rules['amount_min']}–{rules['amount_max']} 元 / yuan"]
        if term_months not in rules["terms_months"]:
            errors["term_months"] = [f"terms offered: {rules['terms_months']}"]
        lo, hi = round(lpr + rules["rate_spread_min"], 4), round(lpr + rules["rate_spread_max"], 4)
        if rate is None or not lo <= rate <= hi:
            errors["rate"] = [f"利率应在 LPR {lpr}% 加点范围内：{lo}%–{hi}% / the rate must be within {lo}%–{hi}%"]
    elif reason_code not in REASONS:
        errors["reason_code"] = [f"one of {', '.join(REASONS)}"]
    if errors:
        raise Invalid("决定不符合产品规则 / the decision does not fit the product", errors)
    _move(session, app, action, actor, reason)
    app.officer, app.reason_code, app.reason, app.decided_at = actor.username, reason_code, reason, clock.now()
    if decision == "approved":
        app.decided_amount, app.decided_term_months, app.decided_rate = amount, term_months, rate
    return _flush(session, app)


def _rules(session: Session, app: Application) -> dict:
    from bank_tax.products.models import Product

    return products.rules_of(session, session.get(Product, app.product_id), app.product_version)


def _flush(session: Session, app: Application) -> Application:
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict("该申请已被他人处理，请刷新 / someone else changed this application first; reload it") from exc
    return app


def list_for_firm(session: Session, uscc: str) -> list[Application]:
    """A firm's applications, newest first."""
    return list(session.scalars(sa.select(Application).where(Application.uscc == uscc).order_by(Application.id.desc())))


def list_for_bank(session: Session, bank_code: str, status: str | None = None) -> list[Application]:
    """A bank's applications (its queue), oldest first."""
    stmt = sa.select(Application).where(Application.bank_code == bank_code).order_by(Application.id)
    if status:
        stmt = stmt.where(Application.status == status)
    return list(session.scalars(stmt))


def history(session: Session, application_id: int) -> list[ApplicationEvent]:
    """The application's state history, oldest first."""
    return list(
        session.scalars(
            sa.select(ApplicationEvent)
            .where(ApplicationEvent.application_id == application_id)
            .order_by(ApplicationEvent.id)
        )
    )
