"""API endpoints of the firm registry."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from bank_tax.consent.mask import require_firm_read
from bank_tax.db import db
from bank_tax.enterprises import service
from bank_tax.enterprises.schemas import EnterpriseCreate, EnterprisePublic, EnterpriseQuery, PurposeQuery
from bank_tax.enterprises.uscc import normalize
from bank_tax.security import policy
from bank_tax.security.auth import current_principal

blp = Blueprint("enterprises", __name__, url_prefix="/api/v1/enterprises", description="The firm registry")


@blp.route("")
class Enterprises(MethodView):
    @blp.arguments(EnterpriseCreate)
    @blp.response(201, EnterprisePublic)
    @blp.alt_response(401, description="a logged-in user who is not staff")
    @blp.alt_response(403, description="role may not register firms")
    @blp.alt_response(409, description="USCC or username already registered")
    @blp.doc(security=[{}, {"bearerAuth": []}])
    def post(self, body):
        """Register a firm: by itself (with its first user account) or by an operator."""
        principal = current_principal()
        policy.require(principal, "enterprise.register")
        cfg = current_app.config
        firm = service.register(
            db.session,
            actor=principal,
            password_min_length=cfg["PASSWORD_MIN_LENGTH"],
            password_cost=cfg["PASSWORD_HASH_N"],
            **body,
        )
        db.session.commit()
        return service.public(firm, principal, own=principal is None)

    @blp.arguments(EnterpriseQuery, location="query")
    @blp.response(200, EnterprisePublic(many=True))
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="staff and analysts only")
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """List registered firms (staff and analysts), filtered by name/USCC fragment and region."""
        principal = current_principal()
        policy.require(principal, "enterprise.list")
        stmt = service.search(db.session, **query)
        pagination_parameters.item_count = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
        page = stmt.offset(pagination_parameters.first_item).limit(pagination_parameters.page_size)
        return [service.public(firm, principal) for firm in db.session.scalars(page)]


@blp.route("/<string:uscc>")
class EnterpriseItem(MethodView):
    @blp.arguments(PurposeQuery, location="query")
    @blp.response(200, EnterprisePublic)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="not this firm, nor staff, nor a bank with the firm's consent")
    @blp.alt_response(404, description="no such firm")
    def get(self, query, uscc):
        """One firm's registration: for the firm itself, staff, and banks holding its consent (audited)."""
        code = normalize(uscc)
        require_firm_read(
            db.session,
            principal=current_principal(),
            uscc=code,
            purpose=query["purpose"],
            categories=[],
            resource=f"enterprise/{code}",
        )
        firm = service.get(db.session, code)
        db.session.commit()  # the audit record of the read
        return service.public(firm, current_principal())
