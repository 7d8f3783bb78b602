"""Operator API: the scheduler's jobs, their last runs and next runs."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from bank_tax import scheduler
from bank_tax.db import db
from bank_tax.security import policy
from bank_tax.security.auth import current_principal

blp = Blueprint("scheduler", __name__, url_prefix="/api/v1/scheduler", description="Scheduled jobs")


class JobStatus(ma.Schema):
    id = ma.fields.String()
    doc = ma.fields.String()
    schedule = ma.fields.String()
    next_run = ma.fields.DateTime(allow_none=True)
    last_started = ma.fields.DateTime(allow_none=True)
    last_duration_s = ma.fields.Float(allow_none=True)
    last_outcome = ma.fields.String(allow_none=True)
    last_message = ma.fields.String(allow_none=True)


@blp.route("/jobs")
class Jobs(MethodView):
    @blp.response(200, JobStatus(many=True))
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="operators and admins only")
    def get(self):
        """Every scheduled job with its schedule, last run (start, duration, outcome) and next run."""
        session = db.read_only()  # before the first query (the token check is a read too)
        policy.require(current_principal(), "scheduler.read")
        return scheduler.status(session)
