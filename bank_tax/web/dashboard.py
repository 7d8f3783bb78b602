"""The analyst and operator dashboard: the model registry with each model's card and its charts, and
promotion of a challenger (analysts and admins; on the audit record)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from bank_tax.db import db
from bank_tax.modelling import service as modelling
from bank_tax.modelling.registry import RegistryError
from bank_tax.security import policy
from bank_tax.web.guard import STAFF, roles

bp = Blueprint("dashboard", __name__, url_prefix="/ops")


@bp.get("/models")
@roles(*STAFF)
def models(principal, error=None):
    """Every registered model, newest first, with its aliases and headline metrics."""
    policy.require(principal, "model.read")
    versions = modelling.registry().versions()
    can_promote = principal.role in ("analyst", "admin")
    return render_template("ops/models.html", versions=versions, can_promote=can_promote, error=error)


@bp.post("/models/<version>/promote")
@roles(*STAFF)
def promote(principal, version: str):
    alias = request.form.get("alias", "champion")
    try:
        modelling.promote(db.session, version=version, alias=alias, actor=principal)
    except RegistryError as exc:
        return models(error=str(exc)), 422
    db.session.commit()
    return redirect(url_for("dashboard.models"))
