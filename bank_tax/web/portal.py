"""The firm portal (role ``enterprise``): register, authorize data sharing, my credit, products, apply,
my applications. Every page calls the service functions the API calls, with the API's schemas."""

from __future__ import annotations

import datetime as dt
import json

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from bank_tax import clock
from bank_tax.banks import service as banks
from bank_tax.categories import CATEGORIES, CATEGORY_NAMES, PURPOSES, from_bits
from bank_tax.consent import receipts
from bank_tax.consent import service as consents
from bank_tax.consent.schemas import ConsentCreate
from bank_tax.db import db
from bank_tax.enterprises import service as enterprises
from bank_tax.enterprises.schemas import EnterpriseCreate
from bank_tax.errors import DomainError, NotFound, Unavailable
from bank_tax.lending import service as lending
from bank_tax.lending.schemas import ApplicationCreate, fen
from bank_tax.matching import service as matching
from bank_tax.modelling import scoring
from bank_tax.security import service as security
from bank_tax.sources import service as sources
from bank_tax.sources.schemas import DisputeCreate
from bank_tax.sources.specs import SOURCES
from bank_tax.taxcredit import inbox, repair
from bank_tax.taxcredit import service as taxcredit
from bank_tax.taxcredit.schemas import RepairCreate
from bank_tax.web.forms import field_errors, load, submit
from bank_tax.web.guard import FIRM, roles, start_session

bp = Blueprint("portal", __name__)
CHINA = clock.SHANGHAI


@bp.route("/register", methods=["GET", "POST"])
def register():
    """A firm registers itself with its USCC and its first user, and is logged in."""
    errors, form = {}, request.form
    if request.method == "POST":
        body, errors = load(EnterpriseCreate(), form)
        if body is not None:
            cfg = current_app.config
            try:
                enterprises.register(
                    db.session,
                    actor=None,
                    password_min_length=cfg["PASSWORD_MIN_LENGTH"],
                    password_cost=cfg["PASSWORD_HASH_N"],
                    **body,
                )
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                errors = field_errors(exc)
            else:
                start_session(security.user_by_name(db.session, body["account"]["username"]))
                return redirect(url_for("portal.home"))
    return render_template("firm/register.html", errors=errors, form=form), 422 if errors else 200


@bp.get("/firm")
@roles(*FIRM)
def home(principal):
    """My credit: score, grade and the reasons in plain language; the tax-credit warnings with their
    deadlines and repair paths, and what repairing would open up."""
    firm = enterprises.get(db.session, principal.uscc)
    try:
        score = scoring.score_firm(db.session, principal=principal, uscc=principal.uscc)
    except Unavailable:
        score = None
    credit = taxcredit.credit_warnings(db.session, principal=principal, uscc=principal.uscc)
    return render_template("firm/home.html", firm=firm, score=score, credit=credit)


@bp.get("/firm/consents")
@roles(*FIRM)
def consent_list(principal, errors=None, status=200):
    """Authorize data sharing: what each bank receives and until when; revoke with one click."""
    rows = consents.list_for_firm(db.session, principal.uscc)
    return (
        render_template(
            "firm/consents.html",
            consents=[(c, from_bits(c.categories)) for c in rows],
            banks=banks.list_all(db.session),
            categories=[(c, CATEGORY_NAMES[c]) for c in CATEGORIES],
            purposes=PURPOSES,
            errors=errors or {},
            form=request.form,
            default_expiry=(clock.today() + dt.timedelta(days=364)).isoformat(),
        ),
        status,
    )


def _end_of_day(text: str) -> str | None:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return dt.datetime.combine(day, dt.time(23, 59, 59), CHINA).isoformat()


@bp.post("/firm/consents")
@roles(*FIRM)
def consent_grant(principal):
    form = request.form.copy()
    expires = _end_of_day(form.pop("expires_on", ""))
    if expires:
        form["expires_at"] = expires
    if form.get("bank_code") == "*":
        form.pop("bank_code")
        form["all_banks"] = "1"
    done, errors = submit(
        ConsentCreate(),
        form,
        lambda body: consents.grant(
            db.session, uscc=principal.uscc, actor=principal, key=receipts.platform_key(), **body
        ),
        then=url_for("portal.consent_list"),
    )
    if done:
        return done
    if "expires_at" in errors:
        errors["expires_on"] = errors.pop("expires_at")
    return consent_list(errors=errors, status=422)


@bp.post("/firm/consents/<int:consent_id>/revoke")
@roles(*FIRM)
def consent_revoke(principal, consent_id: int):
    consents.revoke(
        db.session, uscc=principal.uscc, consent_id=consent_id, actor=principal, reason=request.form.get("reason", "")
    )
    db.session.commit()
    return redirect(url_for("portal.consent_list"))


@bp.get("/firm/consents/<int:consent_id>/receipt")
@roles(*FIRM)
def consent_receipt(principal, consent_id: int):
    """The signed receipt, to keep: the same document as the API's, so the same tools verify it."""
    consent = consents.get(db.session, uscc=principal.uscc, consent_id=consent_id)
    document = receipts.document(consent.receipt, consent.signature, receipts.platform_key())
    return current_app.response_class(
        json.dumps(document, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f"attachment; filename=consent-{consent_id}.json"},
    )


@bp.get("/firm/products")
@roles(*FIRM)
def products(principal):
    """The matches, eligible first, with limit and rate, and why not for the rest."""
    try:
        body = matching.firm_matches(db.session, principal=principal, uscc=principal.uscc)
    except Unavailable:
        body = None
    return render_template("firm/products.html", body=body)


@bp.route("/firm/apply/<bank_code>/<product_code>", methods=["GET", "POST"])
@roles(*FIRM)
def apply(principal, bank_code: str, product_code: str):
    """Apply in a short form (granting the underwriting consent the product needs in the same step)."""
    errors, form = {}, request.form
    if request.method == "POST":
        done, errors = submit(
            ApplicationCreate(),
            form,
            lambda body: lending.submit(
                db.session,
                uscc=principal.uscc,
                actor=principal,
                key=receipts.platform_key(),
                **{**body, "amount": fen(body["amount"])},
            ),
            then=url_for("portal.applications"),
            bank_code=bank_code,
            product_code=product_code,
        )
        if done:
            return done
    return (
        render_template("firm/apply.html", bank_code=bank_code, product_code=product_code, errors=errors, form=form),
        422 if errors else 200,
    )


@bp.get("/firm/applications")
@roles(*FIRM)
def applications(principal):
    """My applications, their status and the bank's reasons."""
    return render_template("firm/applications.html", applications=lending.list_for_firm(db.session, principal.uscc))


@bp.get("/firm/data")
@roles(*FIRM)
def my_data(principal, errors=None, status=200):
    """The records the platform holds on the firm, per category, each with a dispute button; the disputes
    and their replies."""
    held = [
        (spec, sources.records(db.session, source=spec, uscc=principal.uscc, limit=24)) for spec in SOURCES.values()
    ]
    return (
        render_template(
            "firm/data.html",
            held=held,
            disputes=sources.disputes_of(db.session, principal.uscc),
            errors=errors or {},
        ),
        status,
    )


@bp.post("/firm/disputes")
@roles(*FIRM)
def dispute(principal):
    """Dispute one record (异议): it is left out of scoring until an operator resolves it."""
    body, errors = load(DisputeCreate(), request.form)
    if body is not None:
        spec = SOURCES.get(body["source"])
        try:
            if spec is None:
                raise NotFound("没有该数据来源 / no such source", {"source": ["unknown"]})
            sources.open_dispute(
                db.session,
                uscc=principal.uscc,
                source=spec,
                record_id=body["record_id"],
                reason=body["reason"],
                actor=principal,
            )
            db.session.commit()
            return redirect(url_for("portal.my_data"))
        except DomainError as exc:
            db.session.rollback()
            errors = field_errors(exc)
    return my_data(errors=errors, status=422)


@bp.get("/firm/access-log")
@roles(*FIRM)
def access_log(principal):
    """Who saw my data: each bank access, when, for what purpose, which categories."""
    return render_template("firm/access_log.html", events=consents.access_log(db.session, principal.uscc))


@bp.get("/firm/inbox")
@roles(*FIRM)
def messages(principal):
    """The inbox: products the firm became eligible for, repair decisions."""
    return render_template(
        "firm/inbox.html", messages=inbox.messages(db.session, principal=principal, uscc=principal.uscc)
    )


@bp.post("/firm/inbox/<int:notification_id>")
@roles(*FIRM)
def message_read(principal, notification_id: int):
    """Mark a message read, and open its link when asked."""
    inbox.mark_read(db.session, principal=principal, uscc=principal.uscc, notification_id=notification_id)
    db.session.commit()
    target = request.form.get("go", "")
    return redirect(target if target.startswith("/firm") else url_for("portal.messages"))


@bp.route("/firm/repairs", methods=["GET", "POST"])
@roles(*FIRM)
def repairs(principal):
    """The firm's public-credit list entries, a repair application for one of them, and its applications."""
    errors, form = {}, request.form
    if request.method == "POST":
        done, errors = submit(
            RepairCreate(),
            form,
            lambda body: repair.submit(db.session, principal=principal, uscc=principal.uscc, **body),
            then=url_for("portal.repairs"),
        )
        if done:
            return done
    entries = [row["data"] for row in sources.records(db.session, source=SOURCES["public_credit"], uscc=principal.uscc)]
    mine = repair.of_firm(db.session, principal.uscc)
    waiting = {r.entry_id for r in mine if r.status == "submitted"}
    repairable = [
        e
        for e in entries
        if e["removed_on"] is None and e["list_type"] in repair.REPAIRABLE and e["entry_id"] not in waiting
    ]
    return (
        render_template(
            "firm/repairs.html", entries=entries, repairable=repairable, repairs=mine, errors=errors, form=form
        ),
        422 if errors else 200,
    )
