"""API endpoints: a firm's tax-credit warnings, its inbox and its credit repairs; the repairs to decide and
the at-risk list for operators."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from bank_tax.db import db
from bank_tax.enterprises.uscc import normalize
from bank_tax.security import policy
from bank_tax.security.auth import current_principal
from bank_tax.taxcredit import inbox, push, repair, service
from bank_tax.taxcredit.schemas import (
    AtRisk,
    CreditWarnings,
    NotificationPublic,
    RepairCreate,
    RepairDecision,
    RepairPublic,
)

blp = Blueprint("taxcredit", __name__, url_prefix="/api/v1", description="Tax-credit pre-evaluation and warnings")


@blp.route("/enterprises/<string:uscc>/credit-warnings")
class FirmCreditWarnings(MethodView):
    @blp.response(200, CreditWarnings)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="only the firm itself and staff")
    @blp.alt_response(404, description="no such enterprise")
    def get(self, uscc):
        """The running tax-credit score of this year, each deduction that happened or is about to (points,
        deadline, repair path), the projected grade if the firm does nothing and if it repairs, last year's
        published grade, and the products repairing would make eligible."""
        session = db.read_only()  # before the first query (the token check is a read too)
        return service.credit_warnings(session, principal=current_principal(), uscc=normalize(uscc))


@blp.route("/enterprises/<string:uscc>/notifications")
class FirmNotifications(MethodView):
    @blp.response(200, NotificationPublic(many=True))
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="only the firm itself")
    def get(self, uscc):
        """The firm's inbox, newest first: products it became eligible for, repair decisions."""
        return inbox.messages(db.session, principal=current_principal(), uscc=normalize(uscc))


@blp.route("/enterprises/<string:uscc>/notifications/<int:notification_id>/read")
class NotificationRead(MethodView):
    @blp.response(200, NotificationPublic)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="only the firm itself")
    @blp.alt_response(404, description="no such message of this firm")
    def post(self, uscc, notification_id):
        """Mark a message read."""
        note = inbox.mark_read(
            db.session, principal=current_principal(), uscc=normalize(uscc), notification_id=notification_id
        )
        db.session.commit()
        return note


@blp.route("/enterprises/<string:uscc>/credit-repairs")
class FirmRepairs(MethodView):
    @blp.arguments(RepairCreate)
    @blp.response(201, RepairPublic)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="only the firm itself applies")
    @blp.alt_response(404, description="no such list entry of this firm")
    @blp.alt_response(409, description="already removed, not repairable, or a repair is under review")
    def post(self, body, uscc):
        """Apply to repair a public-credit list entry (信用修复) with a commitment and the evidence."""
        repair_ = repair.submit(db.session, principal=current_principal(), uscc=normalize(uscc), **body)
        db.session.commit()
        return repair_

    @blp.response(200, RepairPublic(many=True))
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="not this firm, nor staff")
    def get(self, uscc):
        """The firm's repair applications and their decisions."""
        code = normalize(uscc)
        policy.require(current_principal(), "repair.read", uscc=code)
        return repair.of_firm(db.session, code)


@blp.route("/credit-repairs")
class Repairs(MethodView):
    @blp.response(200, RepairPublic(many=True))
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="operators only")
    def get(self):
        """Repair applications waiting for a decision, oldest first."""
        policy.require(current_principal(), "repair.decide")
        return repair.to_decide(db.session)


@blp.route("/credit-repairs/<int:repair_id>/decision")
class RepairDecide(MethodView):
    @blp.arguments(RepairDecision)
    @blp.response(200, RepairPublic)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="operators only")
    @blp.alt_response(404, description="no such repair application")
    @blp.alt_response(409, description="already decided")
    def post(self, body, repair_id):
        """Approve (the list entry gets its removal date and stops counting) or reject, with a reply."""
        repair_ = repair.decide(db.session, principal=current_principal(), repair_id=repair_id, **body)
        db.session.commit()
        return repair_


@blp.route("/taxcredit/at-risk")
class AtRiskList(MethodView):
    @blp.response(200, AtRisk(many=True))
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="staff only")
    def get(self):
        """Firms graded A or B last year whose running score this year grades lower, worst first."""
        session = db.read_only()
        policy.require(current_principal(), "taxcredit.at_risk")
        return push.at_risk(session)
