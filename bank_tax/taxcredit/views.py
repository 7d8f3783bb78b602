"""API endpoints: a firm's tax-credit warnings."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from bank_tax.db import db
from bank_tax.enterprises.uscc import normalize
from bank_tax.security.auth import current_principal
from bank_tax.taxcredit import service
from bank_tax.taxcredit.schemas import CreditWarnings

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
