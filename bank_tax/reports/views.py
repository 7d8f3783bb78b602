"""API endpoint of the quarterly effect report (JSON, CSV, XLSX)."""

from __future__ import annotations

import json

import marshmallow as ma
from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from bank_tax.api import Strict
from bank_tax.db import db
from bank_tax.exports import XLSX
from bank_tax.reports import service
from bank_tax.security import policy
from bank_tax.security.auth import current_principal

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports", description="Effect statistics")


class EffectQuery(Strict):
    quarter = ma.fields.String(
        required=True, validate=validate.Regexp(r"^\d{4}Q[1-4]$"), metadata={"example": "2026Q3"}
    )
    format = ma.fields.String(load_default="json", validate=validate.OneOf(["json", "csv", "xlsx"]))
    fresh = ma.fields.Boolean(load_default=False, metadata={"description": "compute a new edition now"})


@blp.route("/effect")
class Effect(MethodView):
    @blp.arguments(EffectQuery, location="query")
    @blp.response(
        200,
        ma.Schema.from_dict(
            {
                "quarter": ma.fields.String(),
                "from": ma.fields.String(metadata={"description": "the quarter's first day (China's dates)"}),
                "to": ma.fields.String(metadata={"description": "its last day"}),
                "deadline": ma.fields.String(
                    metadata={"description": "due to the programme by: the 25th of the quarter's last month"}
                ),
                "totals": ma.fields.Dict(),
                "by": ma.fields.Dict(),
                "firms": ma.fields.Dict(),
            },
            name="EffectReport",
        )(),
    )
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="operators, admins and analysts")
    def get(self, query):
        """The quarter's effect report: the newest stored edition, or a fresh one (kept as a new edition)."""
        principal = current_principal()
        policy.require(principal, "report.effect")
        edition = service.edition_for(db.session, quarter=query["quarter"], fresh=query["fresh"], actor=principal)
        db.session.commit()
        body = json.loads(edition.body)
        name = f"effect-{query['quarter']}"
        if query["format"] == "csv":
            return Response(
                service.to_csv(body),
                mimetype="text/csv",
                headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
            )
        if query["format"] == "xlsx":
            return Response(
                service.to_xlsx(body),
                mimetype=XLSX,
                headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
            )
        return body
