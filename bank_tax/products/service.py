"""Creating, versioning, pausing and reading products. Rules are data, validated by ``ProductRules``."""

from __future__ import annotations

import json
from types import SimpleNamespace

import marshmallow as ma
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bank_tax import clock
from bank_tax.banks.models import Bank
from bank_tax.errors import Conflict, Invalid, NotFound
from bank_tax.products.models import Product, ProductVersion
from bank_tax.products.schemas import ProductRules
from bank_tax.security import audit
from bank_tax.security.audit import canonical_json
from bank_tax.security.roles import Principal


def validate_rules(rules: dict) -> dict:
    """Load (and so validate) a rules document from any source; 422 with field errors when contradictory."""
    try:
        return ProductRules().load(rules)
    except ma.ValidationError as exc:
        raise Invalid("产品规则无效 / the product rules are not valid", {"rules": exc.messages}) from exc


def create(
    session: Session, *, bank_code: str, code: str, name: str, rules: dict, actor: Principal | None, name_en: str = ""
) -> Product:
    """Add a product to a bank with version 1 of its rules; audited."""
    rules = validate_rules(rules)
    if session.get(Bank, bank_code) is None:
        raise NotFound("没有该银行 / no such bank")
    if session.scalar(sa.select(Product.id).where(Product.bank_code == bank_code, Product.code == code)):
        raise Conflict("该产品代码已存在 / this product code exists at this bank", {"code": ["already exists"]})
    product = Product(bank_code=bank_code, code=code, name=name, name_en=name_en)
    session.add(product)
    session.flush()
    session.add(
        ProductVersion(
            product_id=product.id,
            version=1,
            rules=canonical_json(rules),
            created_by=actor.username if actor else audit.SYSTEM,
        )
    )
    audit.record(
        session,
        actor=actor,
        action="product.create",
        bank_code=bank_code,
        resource=f"product/{product.id}",
        details={"code": code, "version": 1},
    )
    return product


def get(session: Session, *, bank_code: str, code: str) -> Product:
    """A bank's product by code (404 for another bank's: isolation)."""
    product = session.scalar(sa.select(Product).where(Product.bank_code == bank_code, Product.code == code))
    if product is None:
        raise NotFound("没有该产品 / no such product at this bank")
    return product


def rules_of(session: Session, product: Product, version: int | None = None) -> dict:
    """The rules of a product version (the current one by default)."""
    text = session.scalar(
        sa.select(ProductVersion.rules).where(
            ProductVersion.product_id == product.id, ProductVersion.version == (version or product.version)
        )
    )
    return json.loads(text)


def update(
    session: Session,
    *,
    product: Product,
    rules: dict,
    actor: Principal,
    name: str | None = None,
    name_en: str | None = None,
) -> Product:
    """Save new rules as the next version (earlier applications keep theirs); audited."""
    rules = validate_rules(rules)
    product.version += 1
    product.updated_at = clock.now()
    if name:
        product.name = name
    if name_en is not None:
        product.name_en = name_en
    session.add(
        ProductVersion(
            product_id=product.id, version=product.version, rules=canonical_json(rules), created_by=actor.username
        )
    )
    audit.record(
        session,
        actor=actor,
        action="product.update",
        bank_code=product.bank_code,
        resource=f"product/{product.id}",
        details={"version": product.version},
    )
    return product


def set_status(session: Session, *, product: Product, status: str, actor: Principal) -> Product:
    """Pause or resume a product (a paused product takes no new applications); audited."""
    product.status, product.updated_at = status, clock.now()
    audit.record(
        session,
        actor=actor,
        action=f"product.{'pause' if status == 'paused' else 'resume'}",
        bank_code=product.bank_code,
        resource=f"product/{product.id}",
    )
    return product


def list_for_bank(session: Session, bank_code: str) -> list[Product]:
    """One bank's products, by code."""
    return list(session.scalars(sa.select(Product).where(Product.bank_code == bank_code).order_by(Product.code)))


def public(session: Session, product: Product) -> SimpleNamespace:
    """A product with its current rules, for output."""
    return SimpleNamespace(**product.model_dump(), rules=rules_of(session, product))
