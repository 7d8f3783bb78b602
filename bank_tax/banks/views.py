"""API endpoints of the bank list."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from bank_tax.banks import service
from bank_tax.banks.schemas import BankCreate, BankPublic, ScheduleUpdate
from bank_tax.db import db
from bank_tax.security import policy
from bank_tax.security.auth import current_principal

blp = Blueprint("banks", __name__, url_prefix="/api/v1/banks", description="Participating banks")


@blp.route("")
class Banks(MethodView):
    @blp.response(200, BankPublic(many=True))
    @blp.alt_response(401, description="not logged in")
    def get(self):
        """The participating banks (a firm chooses among them when it grants consent)."""
        policy.require(current_principal(), "bank.read")
        return service.list_all(db.session)

    @blp.arguments(BankCreate)
    @blp.response(201, BankPublic)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="admins only")
    @blp.alt_response(409, description="code taken")
    def post(self, body):
        """Add a participating bank (platform admins)."""
        principal = current_principal()
        policy.require(principal, "bank.manage")
        bank = service.create(db.session, actor=principal, **body)
        db.session.commit()
        return bank


@blp.route("/<string:bank>/whitelist-schedule")
class WhitelistSchedule(MethodView):
    @blp.arguments(ScheduleUpdate)
    @blp.response(200, BankPublic)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="the bank's admins and platform admins only")
    @blp.alt_response(404, description="no such bank")
    def put(self, body, bank):
        """When the scheduler sends this bank its whitelist (a crontab line in China's time; default monthly)."""
        principal = current_principal()
        policy.require(principal, "bank.schedule", bank_code=bank)
        result = service.set_schedule(db.session, bank_code=bank, actor=principal, **body)
        db.session.commit()
        return result
