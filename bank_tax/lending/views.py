"""API endpoints: a firm's applications; a bank's queue, decisions, loans and outcome events."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from flask.views import MethodView
from flask_smorest import Blueprint

from bank_tax.api import upload_bytes
from bank_tax.consent import receipts
from bank_tax.db import db
from bank_tax.errors import NotFound
from bank_tax.lending import loans, service
from bank_tax.lending.models import Loan
from bank_tax.lending.schemas import (
    ApplicationCreate,
    ApplicationDetail,
    ApplicationPublic,
    Decision,
    EventBatch,
    EventFile,
    EventReport,
    FirmAction,
    LoanCreate,
    LoanPublic,
    QueueQuery,
    fen,
)
from bank_tax.security import policy
from bank_tax.security.auth import current_principal

blp = Blueprint("lending", __name__, url_prefix="/api/v1", description="Applications, decisions, loans, outcomes")


def _detail(app):
    return SimpleNamespace(**app.model_dump(), history=service.history(db.session, app.id))


@blp.route("/applications")
class Applications(MethodView):
    @blp.arguments(ApplicationCreate)
    @blp.response(201, ApplicationPublic)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="firms apply for themselves")
    @blp.alt_response(404, description="no such product")
    @blp.alt_response(409, description="the product is paused")
    def post(self, body):
        """Apply online for a product; needs (or grants, when asked) an underwriting consent to the bank."""
        principal = current_principal()
        policy.require(principal, "application.create")
        app = service.submit(
            db.session,
            uscc=principal.uscc,
            actor=principal,
            key=receipts.platform_key(),
            **{**body, "amount": fen(body["amount"])},
        )
        db.session.commit()
        return app

    @blp.response(200, ApplicationPublic(many=True))
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="firms only")
    def get(self):
        """The firm's own applications, with status and reasons."""
        principal = current_principal()
        policy.require(principal, "application.create")
        return service.list_for_firm(db.session, principal.uscc)


@blp.route("/applications/<int:application_id>")
class ApplicationItem(MethodView):
    @blp.response(200, ApplicationDetail)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="a role that reads no applications")
    @blp.alt_response(404, description="no such application, or not the caller's firm's or bank's")
    def get(self, application_id):
        """One application with its history and the decision's reasons in plain language."""
        principal = current_principal()
        app = _application(principal, application_id, "application.read")
        service.record_view(db.session, app=app, actor=principal)
        db.session.commit()
        return _detail(app)


def _application(principal, application_id: int, permission: str):
    """The application if ``principal`` may do ``permission`` on it. To a firm or a bank user who may not,
    it does not exist (404, as a missing id): an id is no way to learn of another's application."""
    app = service.get(db.session, application_id)
    context = {"uscc": app.uscc, "bank_code": app.bank_code}
    outsider = principal is not None and (principal.is_bank or principal.uscc)
    if outsider and not policy.allowed(principal, "application.read", **context):
        raise NotFound("没有该申请 / no such application")
    policy.require(principal, permission, **context)  # its own bank may read it but not act as the firm
    return app


def _firm_action(application_id: int, action: str, reason: str):
    principal = current_principal()
    app = _application(principal, application_id, "application.firm_action")
    service.act(db.session, app=app, action=action, actor=principal, reason=reason)
    db.session.commit()
    return _detail(app)


def _firm_action_view(name: str, action: str, conflict: str, doc: str) -> type[MethodView]:
    """The view of one firm-side move (withdraw, resubmit, request review): same gate, same answers."""

    class View(MethodView):
        @blp.arguments(FirmAction)
        @blp.response(200, ApplicationDetail)
        @blp.alt_response(401, description="not logged in")
        @blp.alt_response(403, description="only the firm (its bank reads it but does not act for it)")
        @blp.alt_response(404, description="no such application, or another firm's or bank's")
        @blp.alt_response(409, description=conflict)
        def post(self, body, application_id):
            return _firm_action(application_id, action, body["reason"])

    View.__name__ = View.__qualname__ = name
    View.post.__doc__ = doc
    return View


blp.route("/applications/<int:application_id>/withdraw")(
    _firm_action_view(
        "Withdraw",
        "withdraw",
        "not withdrawable in its state",
        "Withdraw an application that is submitted or in review.",
    )
)
blp.route("/applications/<int:application_id>/resubmit")(
    _firm_action_view(
        "Resubmit", "resubmit", "only a returned application is resubmitted", "Resubmit a returned (退单) application."
    )
)
blp.route("/applications/<int:application_id>/request-review")(
    _firm_action_view(
        "RequestReview",
        "request_review",
        "only a declined application is reviewed",
        "Ask for a declined application to be reviewed by another officer (people decide, not scores).",
    )
)


@blp.route("/banks/<string:bank>/applications")
class Queue(MethodView):
    @blp.arguments(QueueQuery, location="query")
    @blp.response(200, ApplicationPublic(many=True))
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="not a user of this bank")
    def get(self, query, bank):
        """The bank's application queue (only its own: isolation)."""
        policy.require(current_principal(), "application.queue", bank_code=bank)
        return service.list_for_bank(db.session, bank, query["status"])


def _bank_app(bank: str, application_id: int):
    app = service.get(db.session, application_id)
    if app.bank_code != bank:
        raise NotFound("没有该申请 / no such application at this bank")
    return app


@blp.route("/banks/<string:bank>/applications/<int:application_id>/review")
class TakeForReview(MethodView):
    @blp.response(200, ApplicationDetail)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="not an officer of this bank, or the officer whose decision is reviewed")
    @blp.alt_response(404, description="no such application at this bank")
    @blp.alt_response(409, description="not submitted")
    def post(self, bank, application_id):
        """Take a submitted application into review."""
        principal = current_principal()
        policy.require(principal, "application.decide", bank_code=bank)
        app = _bank_app(bank, application_id)
        service.act(db.session, app=app, action="review", actor=principal)
        db.session.commit()
        return _detail(app)


@blp.route("/banks/<string:bank>/applications/<int:application_id>/decision")
class Decide(MethodView):
    @blp.arguments(Decision)
    @blp.response(200, ApplicationDetail)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="not an officer of this bank")
    @blp.alt_response(404, description="no such application at this bank")
    @blp.alt_response(409, description="not in review, or decided by someone else first")
    def post(self, body, bank, application_id):
        """Approve (amount, term, rate), decline (reason code) or return (退单) an application in review."""
        principal = current_principal()
        policy.require(principal, "application.decide", bank_code=bank)
        app = _bank_app(bank, application_id)
        amount = fen(body.pop("amount")) if body.get("amount") is not None else None
        service.decide(
            db.session, app=app, actor=principal, amount=amount, **{k: v for k, v in body.items() if k != "amount"}
        )
        db.session.commit()
        return _detail(app)


@blp.route("/banks/<string:bank>/loans")
class Loans(MethodView):
    @blp.arguments(LoanCreate)
    @blp.response(201, LoanPublic)
    @blp.alt_response(200, schema=LoanPublic, description="this contract was reported before")
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="not a user of this bank")
    @blp.alt_response(404, description="no such application at this bank")
    @blp.alt_response(409, description="the application is not approved, or the contract number is another loan")
    def post(self, body, bank):
        """Report a disbursement (放款): an approved application becomes a loan."""
        principal = current_principal()
        policy.require(principal, "loan.report", bank_code=bank)
        loan, created = loans.report_disbursement(
            db.session, bank_code=bank, actor=principal, **{**body, "principal": fen(body["principal"])}
        )
        db.session.commit()
        return _loan_out(loan), 201 if created else 200

    @blp.response(200, LoanPublic(many=True))
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="not a user of this bank")
    def get(self, bank):
        """The bank's loans with their days past due (only its own: isolation)."""
        policy.require(current_principal(), "loan.read", bank_code=bank)
        return [_loan_out(loan) for loan in loans.list_for_bank(db.session, bank)]


def _loan_out(loan: Loan):
    return SimpleNamespace(**loan.model_dump(), dpd_bucket=loans.dpd_bucket(loan.dpd))


@blp.route("/banks/<string:bank>/loan-events")
class LoanEvents(MethodView):
    @blp.arguments(EventBatch)
    @blp.response(200, EventReport)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="not a user of this bank")
    def post(self, body, bank):
        """Feed back outcome events (one or many); each is idempotent by the bank's own event id."""
        principal = current_principal()
        policy.require(principal, "loan.report", bank_code=bank)
        events = body["events"]
        columns = {
            "event_id": np.array([e["event_id"] for e in events]),
            "contract_no": np.array([e["contract_no"] for e in events]),
            "event_type": np.array([e["event_type"] for e in events]),
            "event_date": np.array([e["event_date"].isoformat() for e in events]),
            "amount": np.array([f"{e['amount']:.2f}" for e in events]),
            "dpd": np.array([str(e["dpd"]) for e in events]),
        }
        report = loans.record_events(
            db.session, bank_code=bank, columns=columns, lines=np.arange(1, len(events) + 1), actor=principal
        )
        db.session.commit()
        return report


@blp.route("/banks/<string:bank>/loan-events/file")
class LoanEventFile(MethodView):
    @blp.arguments(EventFile, location="files")
    @blp.response(200, EventReport)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="not a user of this bank")
    def post(self, body, bank):
        """Feed back outcome events as a CSV file; rejected rows are reported with line and reason."""
        principal = current_principal()
        policy.require(principal, "loan.report", bank_code=bank)
        _, data = upload_bytes(body["file"], (".csv",), "CSV")
        columns, lines = loans.read_events_csv(data)
        report = loans.record_events(db.session, bank_code=bank, columns=columns, lines=lines, actor=principal)
        db.session.commit()
        return report
