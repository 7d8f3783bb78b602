"""The loan officer's workbench (roles ``bank_officer``, ``bank_admin``): the current whitelist with its
filters and the changes since the last edition, a firm's consented profile (each view audited), the
application queue and the decision form. A bank's pages only ever name the officer's own bank."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from bank_tax.api import upload_bytes
from bank_tax.categories import CATEGORIES
from bank_tax.consent.mask import consent_mask, require_firm_read
from bank_tax.db import db
from bank_tax.enterprises import service as enterprises
from bank_tax.enterprises.uscc import normalize
from bank_tax.errors import DomainError, NotFound, Unavailable
from bank_tax.lending import loans
from bank_tax.lending import service as lending
from bank_tax.lending.models import EVENT_TYPES
from bank_tax.lending.reasons import REASONS
from bank_tax.lending.schemas import Decision, EventIn, LoanCreate, fen
from bank_tax.matching import service as matching
from bank_tax.matching.reading import MAX_PER_PAGE, PER_PAGE
from bank_tax.matching.schemas import EditionPageQuery
from bank_tax.modelling import scoring
from bank_tax.products import service as products
from bank_tax.products.schemas import ProductCreate, ProductUpdate
from bank_tax.security import policy
from bank_tax.security.roles import Role
from bank_tax.sources import service as sources
from bank_tax.sources.specs import SOURCES
from bank_tax.web.forms import as_form, field_errors, load, submit
from bank_tax.web.guard import BANK, roles
from bank_tax.web.i18n import L

bp = Blueprint("workbench", __name__, url_prefix="/bank")
PROFILE_PURPOSES = ("pre_screen", "underwriting", "post_loan_monitoring")


@bp.get("/whitelist")
@roles(*BANK)
def whitelist(principal):
    """The current edition one page at a time, filtered (region, industry, grade, limit), searched (name or
    USCC), sorted by a column, with the counts of what changed since the last edition. Bad parameters are
    shown at their fields over the first page of the unfiltered edition."""
    query, errors = load(EditionPageQuery(), request.args)
    if query is None:
        query = EditionPageQuery().load({})
    try:
        edition = matching.edition_of(db.session, bank_code=principal.bank_code)
    except NotFound:
        return render_template("bank/whitelist.html", body=None, changes=None, errors=errors, args=request.args)
    body = matching.delivered_view(db.session, edition, actor=principal, format="page", **query)
    changes = matching.change_counts(db.session, edition)
    own = products.list_for_bank(db.session, principal.bank_code)
    product_names = {p.code: L(p.name, p.name_en or p.name) for p in own}
    db.session.commit()
    state = {k: v for k, v in query.items() if v is not None and k != "page"}
    return render_template(
        "bank/whitelist.html",
        body=body,
        changes=changes,
        errors=errors,
        args=request.args,
        state=state,
        numbers=_page_numbers(body["page"], body["pages"]),
        product_names=product_names,
        per_pages=(PER_PAGE, 100, MAX_PER_PAGE),
    )


def _page_numbers(page: int, pages: int, around: int = 2) -> list[int | None]:
    """The page links to show: the first, the last and ``around`` either side of ``page``; None for a gap."""
    keep = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    out: list[int | None] = []
    for n in keep:
        if out and n - out[-1] > 1:
            out.append(None)
        out.append(n)
    return out


@bp.get("/firms/<uscc>")
@roles(*BANK)
def profile(principal, uscc: str):
    """A firm's profile through the bank's consent for the purpose asked: the masked score and the records
    of each consented category; 403 without a consent in force. Every view is in the audit log."""
    code = normalize(uscc)
    purpose = request.args.get("purpose", "pre_screen")
    if purpose not in PROFILE_PURPOSES:
        purpose = "pre_screen"
    firm = enterprises.get(db.session, code)
    mask = require_firm_read(
        db.session, principal=principal, uscc=code, purpose=purpose, categories=[], resource=f"profile/{code}"
    )
    try:
        score = scoring.score_firm(db.session, principal=principal, uscc=code, purpose=purpose)
    except Unavailable:
        score = None
    allowed = [c for c, ok in zip(CATEGORIES, mask.allowed[0], strict=True) if ok]
    records = [
        (spec, sources.records_for_reader(db.session, source=spec, uscc=code, mask=mask, as_of=None, limit=12))
        for spec in SOURCES.values()
        if spec.category in allowed
    ]
    db.session.commit()  # the audit records of the view
    return render_template(
        "bank/profile.html", firm=firm, purpose=purpose, score=score, allowed=allowed, records=records
    )


@bp.get("/applications")
@roles(*BANK)
def queue(principal):
    """The bank's applications, those waiting first."""
    status = request.args.get("status") or None
    rows = lending.list_for_bank(db.session, principal.bank_code, status)
    return render_template("bank/queue.html", applications=rows, status=status)


def _own(principal, application_id: int):
    app = lending.get(db.session, application_id)
    if app.bank_code != principal.bank_code:
        raise NotFound("没有该申请 / no such application")  # another bank's: as if it did not exist
    return app


@bp.route("/applications/<int:application_id>", methods=["GET", "POST"])
@roles(*BANK)
def application(principal, application_id: int):
    """One application with the firm's score reasons beside it; start the review, then decide."""
    app = _own(principal, application_id)
    errors, form = {}, request.form
    if request.method == "POST":
        try:
            if form.get("action") == "review":
                lending.act(db.session, app=app, action="review", actor=principal)
                db.session.commit()
                return redirect(url_for("workbench.application", application_id=app.id))
            body, errors = load(Decision(), form)
            if body is not None:
                amount = fen(body.pop("amount")) if body.get("amount") is not None else None
                lending.decide(db.session, app=app, actor=principal, amount=amount, **body)
                db.session.commit()
                return redirect(url_for("workbench.application", application_id=app.id))
        except DomainError as exc:
            db.session.rollback()
            errors = field_errors(exc)
            app = _own(principal, application_id)
    lending.record_view(db.session, app=app, actor=principal)
    try:
        score = scoring.score_firm(db.session, principal=principal, uscc=app.uscc, purpose="underwriting")
    except DomainError:
        score = None  # the consent has ended, or no model yet: the snapshot of the application remains
    # the profile opens only while the firm's underwriting consent to this bank is in force: say so instead
    mask = consent_mask(db.session, bank_code=principal.bank_code, purpose="underwriting", usccs=[app.uscc])
    db.session.commit()
    return (
        render_template(
            "bank/application.html",
            app=app,
            firm=enterprises.get(db.session, app.uscc),
            score=score,
            consented=bool(mask.allowed[0].any()),
            history=lending.history(db.session, app.id),
            reasons=REASONS,
            errors=errors,
            form=form,
        ),
        422 if errors else 200,
    )


@bp.route("/products", methods=["GET", "POST"])
@roles(*BANK)
def product_list(principal):
    """The bank's products; a bank admin creates one here, with every refused rule shown at its field."""
    errors, form = {}, request.form
    if request.method == "POST":
        policy.require(principal, "product.manage", bank_code=principal.bank_code)
        done, errors = submit(
            ProductCreate(),
            form,
            lambda body: products.create(db.session, bank_code=principal.bank_code, actor=principal, **body),
            then=url_for("workbench.product_list"),
        )
        if done:
            return done
    return (
        render_template(
            "bank/products.html",
            products=[products.public(db.session, p) for p in products.list_for_bank(db.session, principal.bank_code)],
            can_manage=principal.role == Role.BANK_ADMIN,
            errors=errors,
            form=form,
        ),
        422 if errors else 200,
    )


@bp.route("/loans", methods=["GET", "POST"])
@roles(*BANK)
def loan_list(principal):
    """The bank's loans with days past due; report a disbursement, one outcome event, or a file of them
    (its rejected rows listed with line, field and reason while the good rows land)."""
    errors, form, report, kind = {}, request.form, None, request.form.get("kind")
    if request.method == "POST":
        policy.require(principal, "loan.report", bank_code=principal.bank_code)
        try:
            if kind == "disbursement":
                body, errors = load(LoanCreate(), form)
                if body is not None:
                    loans.report_disbursement(
                        db.session,
                        bank_code=principal.bank_code,
                        actor=principal,
                        **{**body, "principal": fen(body["principal"])},
                    )
            elif kind == "event":
                body, errors = load(EventIn(), form)
                if body is not None:
                    columns, lines = loans.one_event(**{**form.to_dict(), "dpd": body["dpd"]})
                    report = loans.record_events(
                        db.session, bank_code=principal.bank_code, columns=columns, lines=lines, actor=principal
                    )
            else:
                upload = request.files.get("file")
                if upload is None or not upload.filename:
                    errors = {"file": [L("请选择文件", "choose a file")]}
                else:
                    _, data = upload_bytes(upload, (".csv",), "CSV")
                    columns, lines = loans.read_events_csv(data)
                    report = loans.record_events(
                        db.session, bank_code=principal.bank_code, columns=columns, lines=lines, actor=principal
                    )
            if not errors:
                db.session.commit()
                if report is None:
                    return redirect(url_for("workbench.loan_list"))
        except DomainError as exc:
            db.session.rollback()
            errors = field_errors(exc)
    rows = loans.list_for_bank(db.session, principal.bank_code)
    return (
        render_template(
            "bank/loans.html",
            loans=[(loan, loans.dpd_bucket(loan.dpd)) for loan in rows],
            event_types=EVENT_TYPES,
            report=report,
            kind=kind,
            errors=errors,
            form=form,
        ),
        422 if errors else 200,
    )


@bp.route("/products/<code>", methods=["GET", "POST"])
@roles(*BANK)
def product_edit(principal, code: str):
    """Edit a product's rules (saved as its next version; earlier applications keep theirs), or pause and
    resume it. Bank admins only; another bank's product is not found."""
    policy.require(principal, "product.manage", bank_code=principal.bank_code)
    product = products.get(db.session, bank_code=principal.bank_code, code=code)
    current = products.public(db.session, product)
    errors = {}
    if request.method == "POST":
        form = request.form
        try:
            if form.get("status") in ("active", "paused"):
                products.set_status(db.session, product=product, status=form["status"], actor=principal)
                db.session.commit()
                return redirect(url_for("workbench.product_list"))
            body, errors = load(ProductUpdate(), form)
            if body is not None:
                products.update(db.session, product=product, actor=principal, **body)
                db.session.commit()
                return redirect(url_for("workbench.product_list"))
        except DomainError as exc:
            db.session.rollback()
            errors = field_errors(exc)
    else:
        form = as_form({"name": current.name, "name_en": current.name_en, "rules": current.rules})
    return render_template("bank/product.html", product=current, errors=errors, form=form), 422 if errors else 200
