"""API endpoints of consents: grant, list, get, revoke, receipts, the public key, and "who saw my data"."""

from __future__ import annotations

from types import SimpleNamespace

from flask.views import MethodView
from flask_smorest import Blueprint

from bank_tax.consent import receipts, service
from bank_tax.consent.models import Consent
from bank_tax.consent.schemas import (
    AccessEntry,
    ConsentCreate,
    ConsentDetail,
    ConsentPublic,
    PublicKey,
    Receipt,
    RevokeBody,
)
from bank_tax.db import db
from bank_tax.enterprises import service as enterprises
from bank_tax.enterprises.uscc import normalize
from bank_tax.security import policy
from bank_tax.security.auth import current_principal

blp = Blueprint("consents", __name__, url_prefix="/api/v1", description="Consents and who saw my data")


def _firm(uscc: str) -> str:
    return normalize(uscc)


@blp.route("/enterprises/<string:uscc>/consents")
class Consents(MethodView):
    @blp.arguments(ConsentCreate)
    @blp.response(201, ConsentPublic)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="only the firm itself grants consent")
    @blp.alt_response(404, description="no such firm or superseded consent")
    @blp.alt_response(409, description="the superseded consent is no longer active")
    def post(self, body, uscc):
        """Grant a consent to one bank (or all banks, for pre-screening); the receipt is signed at once."""
        code = _firm(uscc)
        principal = current_principal()
        policy.require(principal, "consent.grant", uscc=code)
        enterprises.get(db.session, code)
        consent = service.grant(db.session, uscc=code, actor=principal, key=receipts.platform_key(), **body)
        db.session.commit()
        return consent

    @blp.response(200, ConsentPublic(many=True))
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="not this firm, nor staff")
    def get(self, uscc):
        """The firm's consents, newest first, with their status."""
        code = _firm(uscc)
        policy.require(current_principal(), "consent.read", uscc=code)
        return service.list_for_firm(db.session, code)


@blp.route("/enterprises/<string:uscc>/consents/<int:consent_id>")
class ConsentItem(MethodView):
    @blp.response(200, ConsentDetail)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="not this firm, nor staff")
    @blp.alt_response(404, description="no such consent of this firm")
    def get(self, uscc, consent_id):
        """One consent with its status history."""
        code = _firm(uscc)
        policy.require(current_principal(), "consent.read", uscc=code)
        consent = service.get(db.session, uscc=code, consent_id=consent_id)
        return SimpleNamespace(**consent.model_dump(), history=service.history(db.session, consent_id))


@blp.route("/enterprises/<string:uscc>/consents/<int:consent_id>/revoke")
class ConsentRevoke(MethodView):
    @blp.arguments(RevokeBody)
    @blp.response(200, ConsentPublic)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="only the firm itself revokes")
    @blp.alt_response(404, description="no such consent of this firm")
    @blp.alt_response(409, description="already expired or superseded")
    def post(self, body, uscc, consent_id):
        """Revoke a consent; it stops every flow from the moment this answers."""
        code = _firm(uscc)
        principal = current_principal()
        policy.require(principal, "consent.revoke", uscc=code)
        consent = service.revoke(db.session, uscc=code, consent_id=consent_id, actor=principal, reason=body["reason"])
        db.session.commit()
        return consent


@blp.route("/enterprises/<string:uscc>/consents/<int:consent_id>/receipt")
class ConsentReceipt(MethodView):
    @blp.response(200, Receipt)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="not this firm, its recipient bank, nor staff")
    @blp.alt_response(404, description="no such consent of this firm")
    def get(self, uscc, consent_id):
        """The signed receipt (a JWS since version 2), verifiable offline with the platform's public key."""
        code = _firm(uscc)
        principal = current_principal()
        consent = db.session.get(Consent, consent_id)
        recipient = (
            consent.bank_code
            if consent is not None and not consent.all_banks
            else (principal.bank_code if principal is not None else None)
        )
        policy.require(principal, "consent.receipt", uscc=code, bank_code=recipient)
        consent = service.get(db.session, uscc=code, consent_id=consent_id)
        return receipts.document(consent.receipt, consent.signature, receipts.platform_key())


@blp.route("/consents/public-key")
class ConsentPublicKey(MethodView):
    @blp.response(200, PublicKey)
    @blp.doc(security=[])
    def get(self):
        """The platform's Ed25519 public key for verifying consent receipts offline, as PEM and as a JWK."""
        key = receipts.platform_key()
        return {
            "algorithm": receipts.ALGORITHM,
            "key_id": receipts.key_id(key),
            "public_key_pem": receipts.public_pem(key),
            "jwk": receipts.public_jwk(key),
        }


@blp.route("/banks/<string:bank>/consents")
class BankConsents(MethodView):
    @blp.response(200, ConsentPublic(many=True))
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="not a user of this bank, nor staff")
    def get(self, bank):
        """Consents in force that this bank may rely on (its own and all-banks pre-screening)."""
        policy.require(current_principal(), "consent.list_for_bank", bank_code=bank)
        return service.list_for_bank(db.session, bank)


@blp.route("/enterprises/<string:uscc>/access-log")
class AccessLog(MethodView):
    @blp.response(200, AccessEntry(many=True))
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="not this firm, nor staff")
    def get(self, uscc):
        """Who saw my data: every access by a bank, with time, purpose and categories, from the audit log."""
        code = _firm(uscc)
        policy.require(current_principal(), "access_log.read", uscc=code)
        return service.access_log(db.session, code)
