"""API endpoints: ingest a file, batch reports, erroneous codes; a firm's records; disputes."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from bank_tax.api import upload_bytes
from bank_tax.consent.mask import require_firm_read
from bank_tax.db import db
from bank_tax.enterprises.uscc import normalize
from bank_tax.errors import NotFound
from bank_tax.security import policy
from bank_tax.security.auth import current_principal
from bank_tax.sources import ingest, service
from bank_tax.sources.schemas import (
    BatchReport,
    BatchSummary,
    DisputeCreate,
    DisputePublic,
    DisputeQuery,
    DisputeResolve,
    ErroneousCode,
    RecordPublic,
    RecordsQuery,
    UploadBody,
)
from bank_tax.sources.specs import SOURCES, Source

blp = Blueprint("sources", __name__, url_prefix="/api/v1", description="Agency data: ingestion, records, disputes")

ALLOWED_SUFFIXES = (".csv", ".jsonl", ".ndjson")


def _source(name: str) -> Source:
    try:
        return SOURCES[name]
    except KeyError:
        raise NotFound(f"No source {name!r}; sources: {', '.join(SOURCES)}") from None


@blp.route("/ingest/<string:source>")
class Ingest(MethodView):
    @blp.arguments(UploadBody, location="files")
    @blp.response(201, BatchReport)
    @blp.alt_response(200, schema=BatchReport, description="the same file was ingested before: nothing landed")
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="operators only")
    @blp.alt_response(404, description="no such source")
    @blp.alt_response(413, description="file too large (use the drop folder for big batches)")
    def post(self, body, source):
        """Ingest one agency file: good rows land, bad rows are quarantined with line and reason."""
        principal = current_principal()
        policy.require(principal, "ingest.write")
        spec = _source(source)
        name, data = upload_bytes(body["file"], ALLOWED_SUFFIXES, "CSV / JSON Lines")
        batch, new = ingest.ingest(db.session, source=spec, data=data, filename=name, actor=principal)
        result = {**ingest.report(db.session, batch), "new": new}
        db.session.commit()
        return result, 201 if new else 200


@blp.route("/ingest/batches")
class Batches(MethodView):
    @blp.response(200, BatchSummary(many=True))
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="operators only")
    def get(self):
        """The latest batches, newest first (200)."""
        policy.require(current_principal(), "ingest.read")
        return service.batches(db.session)


@blp.route("/ingest/batches/<int:batch_id>")
class BatchItem(MethodView):
    @blp.response(200, BatchReport)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="operators only")
    @blp.alt_response(404, description="no such batch")
    def get(self, batch_id):
        """One batch's report: counts and every rejected row with line, field and reason."""
        policy.require(current_principal(), "ingest.read")
        return {**service.batch_report(db.session, batch_id), "new": True}


@blp.route("/ingest/erroneous-codes")
class ErroneousCodes(MethodView):
    @blp.response(200, ErroneousCode(many=True))
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="operators only")
    def get(self):
        """Agency rows refused for an invalid USCC (重错码), for the agencies to fix at source."""
        policy.require(current_principal(), "ingest.read")
        return service.erroneous_codes(db.session)


@blp.route("/enterprises/<string:uscc>/records/<string:source>")
class Records(MethodView):
    @blp.arguments(RecordsQuery, location="query")
    @blp.response(200, RecordPublic(many=True))
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="no right, or no consent for this category and purpose")
    @blp.alt_response(404, description="no such source")
    def get(self, query, uscc, source):
        """A firm's records of one source: for the firm, staff, and banks within their consent (audited)."""
        spec = _source(source)
        code = normalize(uscc)
        principal = current_principal()
        mask = require_firm_read(
            db.session,
            principal=principal,
            uscc=code,
            purpose=query["purpose"],
            categories=[spec.category],
            resource=f"records/{code}/{spec.name}",
        )
        rows = service.records_for_reader(
            db.session, source=spec, uscc=code, mask=mask, as_of=query["as_of"], limit=query["limit"]
        )
        db.session.commit()  # the audit record of the read
        return rows


@blp.route("/enterprises/<string:uscc>/disputes")
class FirmDisputes(MethodView):
    @blp.arguments(DisputeCreate)
    @blp.response(201, DisputePublic)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="only the firm disputes its own records")
    @blp.alt_response(404, description="no such record of this firm")
    @blp.alt_response(409, description="already under dispute")
    def post(self, body, uscc):
        """Dispute one of the firm's records (异议); it is left out of scoring until resolved."""
        code = normalize(uscc)
        principal = current_principal()
        policy.require(principal, "dispute.open", uscc=code)
        dispute = service.open_dispute(
            db.session,
            uscc=code,
            source=_source(body["source"]),
            record_id=body["record_id"],
            reason=body["reason"],
            actor=principal,
        )
        db.session.commit()
        return dispute

    @blp.response(200, DisputePublic(many=True))
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="not this firm, nor staff")
    def get(self, uscc):
        """The firm's disputes and their replies."""
        code = normalize(uscc)
        policy.require(current_principal(), "dispute.read", uscc=code)
        return service.disputes_of(db.session, code)


@blp.route("/disputes")
class Disputes(MethodView):
    @blp.arguments(DisputeQuery, location="query")
    @blp.response(200, DisputePublic(many=True))
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="operators only")
    def get(self, query):
        """Disputes to resolve (operators), oldest first."""
        policy.require(current_principal(), "dispute.resolve")
        return service.disputes(db.session, status=query["status"])


@blp.route("/disputes/<int:dispute_id>/resolve")
class DisputeResolution(MethodView):
    @blp.arguments(DisputeResolve)
    @blp.response(200, DisputePublic)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="operators only")
    @blp.alt_response(404, description="no such dispute")
    @blp.alt_response(409, description="already resolved")
    def post(self, body, dispute_id):
        """Resolve a dispute: upheld (the record stands) or corrected (a new version lands); the firm sees the reply."""
        principal = current_principal()
        policy.require(principal, "dispute.resolve")
        dispute = service.resolve_dispute(db.session, dispute_id=dispute_id, actor=principal, **body)
        db.session.commit()
        return dispute
