"""API endpoints: a firm's product matches; a bank's whitelists (generate, read, diff, export)."""

from __future__ import annotations

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from bank_tax import exports
from bank_tax.batch import daily
from bank_tax.db import db
from bank_tax.enterprises.uscc import normalize
from bank_tax.matching import service
from bank_tax.matching.models import WhitelistEdition
from bank_tax.matching.schemas import Diff, Edition, EditionQuery, EditionSummary, Matches
from bank_tax.security import policy
from bank_tax.security.auth import current_principal

blp = Blueprint("matching", __name__, url_prefix="/api/v1", description="Product matching and whitelists")


@blp.route("/enterprises/<string:uscc>/matches")
class FirmMatches(MethodView):
    @blp.response(200, Matches)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="only the firm itself and operators")
    @blp.alt_response(404, description="no such enterprise")
    @blp.alt_response(503, description="no champion model yet")
    def get(self, uscc):
        """Every active product of every bank for this firm, ranked: eligible ones with limit, rate and
        probability of approval; the others with every rule they fail and the gap."""
        session = db.read_only()  # declared before the first query (the token check is a read too)
        document = service.firm_matches_document(
            session,
            principal=current_principal(),
            uscc=normalize(uscc),
            cache_size=current_app.config["MATCH_CACHE_FIRMS"],
        )
        # already in the documented shape: sent as is, since dumping ~50 nested matches through
        # marshmallow cost more than the matching itself (tests hold the document to the schema)
        return Response(document, mimetype="application/json")


@blp.route("/banks/<string:bank>/whitelists")
class Whitelists(MethodView):
    @blp.response(200, EditionSummary(many=True))
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="users of this bank and operators only")
    def get(self, bank):
        """The bank's whitelist editions, newest first."""
        policy.require(current_principal(), "whitelist.read", bank_code=bank)
        return service.editions(db.session, bank_code=bank)

    @blp.response(201, EditionSummary)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="users of this bank and operators only")
    @blp.alt_response(404, description="no such bank")
    @blp.alt_response(503, description="no champion model yet")
    def post(self, bank):
        """Generate a whitelist edition now (the scheduler does it on the bank's own schedule)."""
        principal = current_principal()
        policy.require(principal, "whitelist.generate", bank_code=bank)
        edition = daily.whitelist(db.session, bank_code=bank, actor=principal, trigger="api")
        db.session.commit()
        return edition


def _edition_response(edition: WhitelistEdition, query: dict):
    body = service.delivered_view(db.session, edition, actor=current_principal(), **query)
    db.session.commit()
    if query["format"] == "json":
        return body
    rows = service.export_rows(body)
    header = [f"{zh} / {key}" for key, zh in service.EXPORT_COLUMNS]
    name = f"whitelist-{edition.bank_code}-{edition.id}"
    if query["format"] == "csv":
        data, mimetype = exports.to_csv(rows, header), "text/csv"
    else:
        data, mimetype = exports.to_xlsx(rows, title=name, header=header), exports.XLSX
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}.{query["format"]}"'},
    )


@blp.route("/banks/<string:bank>/whitelists/latest")
class LatestWhitelist(MethodView):
    @blp.arguments(EditionQuery, location="query")
    @blp.response(200, Edition)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="users of this bank and operators only")
    @blp.alt_response(404, description="no edition yet")
    def get(self, query, bank):
        """The newest edition, read through today's consents (withdrawn firms left out and counted);
        filters by region, industry, risk grade and limit; ``format=csv|xlsx`` downloads it."""
        policy.require(current_principal(), "whitelist.read", bank_code=bank)
        return _edition_response(service.edition_of(db.session, bank_code=bank), query)


@blp.route("/banks/<string:bank>/whitelists/<int:edition_id>")
class WhitelistById(MethodView):
    @blp.arguments(EditionQuery, location="query")
    @blp.response(200, Edition)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="users of this bank and operators only")
    @blp.alt_response(404, description="no such edition of this bank")
    def get(self, query, bank, edition_id):
        """One edition (as ``latest``)."""
        policy.require(current_principal(), "whitelist.read", bank_code=bank)
        return _edition_response(service.edition_of(db.session, bank_code=bank, edition_id=edition_id), query)


@blp.route("/banks/<string:bank>/whitelists/<int:edition_id>/diff")
class WhitelistDiff(MethodView):
    @blp.response(200, Diff)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="users of this bank and operators only")
    @blp.alt_response(404, description="no such edition of this bank")
    def get(self, bank, edition_id):
        """New, dropped and changed-limit firms against the bank's previous edition."""
        policy.require(current_principal(), "whitelist.read", bank_code=bank)
        edition = service.edition_of(db.session, bank_code=bank, edition_id=edition_id)
        return service.diff(db.session, edition)
