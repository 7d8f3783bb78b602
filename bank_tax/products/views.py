"""API endpoints of a bank's products (bank users of that bank; bank admins change them)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from bank_tax.db import db
from bank_tax.products import service
from bank_tax.products.schemas import ProductCreate, ProductPublic, ProductUpdate
from bank_tax.security import policy
from bank_tax.security.auth import current_principal

blp = Blueprint("products", __name__, url_prefix="/api/v1/banks/<string:bank>/products", description="Bank products")


@blp.route("")
class Products(MethodView):
    @blp.response(200, ProductPublic(many=True))
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="not a user of this bank")
    def get(self, bank):
        """The bank's products with their current rules."""
        policy.require(current_principal(), "product.read", bank_code=bank)
        return [service.public(db.session, p) for p in service.list_for_bank(db.session, bank)]

    @blp.arguments(ProductCreate)
    @blp.response(201, ProductPublic)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="bank admins of this bank only")
    @blp.alt_response(404, description="no such bank")
    @blp.alt_response(409, description="code taken at this bank")
    def post(self, body, bank):
        """Define a product (rules validated: a contradictory rule is a 422 naming the field)."""
        principal = current_principal()
        policy.require(principal, "product.manage", bank_code=bank)
        product = service.create(db.session, bank_code=bank, actor=principal, **body)
        db.session.commit()
        return service.public(db.session, product)


@blp.route("/<string:code>")
class ProductItem(MethodView):
    @blp.response(200, ProductPublic)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="not a user of this bank")
    @blp.alt_response(404, description="no such product at this bank")
    def get(self, bank, code):
        """One product with its current rules."""
        policy.require(current_principal(), "product.read", bank_code=bank)
        return service.public(db.session, service.get(db.session, bank_code=bank, code=code))

    @blp.arguments(ProductUpdate)
    @blp.response(200, ProductPublic)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="bank admins of this bank only")
    @blp.alt_response(404, description="no such product at this bank")
    def put(self, body, bank, code):
        """Save new rules as the next version; applications keep the version they were made against."""
        principal = current_principal()
        policy.require(principal, "product.manage", bank_code=bank)
        product = service.get(db.session, bank_code=bank, code=code)
        service.update(db.session, product=product, actor=principal, **body)
        db.session.commit()
        return service.public(db.session, product)


def _set_status(bank: str, code: str, status: str):
    principal = current_principal()
    policy.require(principal, "product.manage", bank_code=bank)
    product = service.get(db.session, bank_code=bank, code=code)
    service.set_status(db.session, product=product, status=status, actor=principal)
    db.session.commit()
    return service.public(db.session, product)


@blp.route("/<string:code>/pause")
class ProductPause(MethodView):
    @blp.response(200, ProductPublic)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="bank admins of this bank only")
    @blp.alt_response(404, description="no such product at this bank")
    def post(self, bank, code):
        """Pause the product: it takes no new applications until resumed."""
        return _set_status(bank, code, "paused")


@blp.route("/<string:code>/resume")
class ProductResume(MethodView):
    @blp.response(200, ProductPublic)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="bank admins of this bank only")
    @blp.alt_response(404, description="no such product at this bank")
    def post(self, bank, code):
        """Resume a paused product."""
        return _set_status(bank, code, "active")
