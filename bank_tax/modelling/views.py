"""API endpoints: a firm's score (the firm, staff, or a bank within consent) and the model registry."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from bank_tax.db import db
from bank_tax.enterprises.uscc import normalize
from bank_tax.modelling import scoring, service
from bank_tax.modelling.schemas import ModelSummary, ScorePublic, ScoreQuery
from bank_tax.security import policy
from bank_tax.security.auth import current_principal

blp = Blueprint("modelling", __name__, url_prefix="/api/v1", description="Credit scores and the model registry")


@blp.route("/enterprises/<string:uscc>/score")
class FirmScore(MethodView):
    @blp.arguments(ScoreQuery, location="query")
    @blp.response(200, ScorePublic)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="not this firm, or no consent for the purpose")
    @blp.alt_response(404, description="no such enterprise")
    @blp.alt_response(503, description="no champion model yet")
    def get(self, query, uscc):
        """PD, points, risk grade and the top reasons, from the champion model; a bank's score uses only
        the categories the firm consented to (audited)."""
        result = scoring.score_firm(db.session, principal=current_principal(), uscc=normalize(uscc), **query)
        db.session.commit()  # the audit record of the read
        return result


@blp.route("/models")
class Models(MethodView):
    @blp.response(200, ModelSummary(many=True))
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="analysts and staff only")
    def get(self):
        """Every registered model version, newest first, with aliases and headline metrics."""
        policy.require(current_principal(), "model.read")
        return service.registry().versions()


@blp.route("/models/<string:ref>")
class ModelCard(MethodView):
    @blp.response(200)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="analysts and staff only")
    @blp.alt_response(404, description="no such version or alias")
    def get(self, ref):
        """A version's model card (``champion`` and ``challenger`` work as names)."""
        policy.require(current_principal(), "model.read")
        return service.registry().card(ref)
