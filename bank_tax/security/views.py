"""API endpoints for logging in, API tokens, users and audit verification (thin: parse, call, dump)."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from bank_tax.db import db
from bank_tax.errors import NotFound, TooManyAttempts, Unauthorized
from bank_tax.security import audit, policy, service
from bank_tax.security.auth import client_ip, current_principal
from bank_tax.security.models import User
from bank_tax.security.schemas import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenPublic,
    AuditVerification,
    Me,
    TokenRequest,
    TokenResponse,
    UserCreate,
    UserPublic,
)

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Login, tokens, users, audit log")


@blp.route("/auth/token")
class Token(MethodView):
    @blp.arguments(TokenRequest)
    @blp.response(201, TokenResponse)
    @blp.alt_response(401, description="wrong username or password")
    @blp.alt_response(429, description="this name from this address must wait after its failed attempts (Retry-After)")
    @blp.doc(security=[])
    def post(self, body):
        """Exchange a username and password for a bearer token (valid for hours)."""
        cfg = current_app.config
        session = db.session
        try:
            user = service.log_in(
                session,
                username=body["username"],
                password=body["password"],
                ip=client_ip(),
                throttle=service.Throttle.from_config(cfg),
                cost=cfg["PASSWORD_HASH_N"],
            )
        except (Unauthorized, TooManyAttempts):
            session.commit()  # the failed attempt must count even though we refuse
            raise
        secret, token = service.issue_token(
            session, user=user, kind="session", ttl=dt.timedelta(hours=cfg["TOKEN_TTL_HOURS"])
        )
        session.commit()
        return {"access_token": secret, "token_type": "Bearer", "expires_at": token.expires_at, "role": user.role}

    @blp.response(204)
    @blp.alt_response(401, description="not logged in")
    def delete(self):
        """Log out: revoke the token this request carries."""
        principal = current_principal()
        policy.require(principal, "self")
        service.revoke_token(db.session, token_id=principal.token_id, principal=principal)
        db.session.commit()


@blp.route("/auth/me")
class WhoAmI(MethodView):
    @blp.response(200, Me)
    @blp.alt_response(401, description="not logged in")
    def get(self):
        """The caller: user, role, and the firm or bank it is bound to."""
        principal = current_principal()
        policy.require(principal, "self")
        return principal


@blp.route("/auth/api-tokens")
class ApiTokens(MethodView):
    @blp.response(200, ApiTokenPublic(many=True))
    @blp.alt_response(401, description="not logged in")
    def get(self):
        """The caller's long-lived API tokens (without their secrets)."""
        principal = current_principal()
        policy.require(principal, "self")
        return service.list_tokens(db.session, principal=principal)

    @blp.arguments(ApiTokenCreate)
    @blp.response(201, ApiTokenCreated)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="role may not hold API tokens")
    def post(self, body):
        """Create a long-lived API token for a bank's or agency's system; the secret is shown once."""
        principal = current_principal()
        policy.require(principal, "api_token.create")
        user = db.session.get(User, principal.user_id)
        secret, token = service.issue_token(
            db.session, user=user, kind="api", ttl=dt.timedelta(days=body["expires_in_days"]), name=body["name"]
        )
        audit.record(db.session, actor=principal, action="token.create", resource=f"token/{token.id}")
        db.session.commit()
        return {**token.model_dump(), "token": secret}


@blp.route("/auth/api-tokens/<int:token_id>")
class ApiTokenItem(MethodView):
    @blp.response(200, ApiTokenPublic)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(404, description="no such token of yours")
    def delete(self, token_id):
        """Revoke an API token at once."""
        principal = current_principal()
        policy.require(principal, "self")
        token = service.revoke_token(db.session, token_id=token_id, principal=principal)
        if token is None:
            raise NotFound("No such token.")
        db.session.commit()
        return token


@blp.route("/users")
class Users(MethodView):
    @blp.arguments(UserCreate)
    @blp.response(201, UserPublic)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="may not create this kind of user")
    @blp.alt_response(409, description="username taken")
    def post(self, body):
        """Create a user: admins any role; bank admins officers and admins of their own bank."""
        principal = current_principal()
        policy.require(principal, "user.create", role=body["role"], bank_code=body["bank_code"])
        user = service.create_user(
            db.session,
            actor=principal,
            min_length=current_app.config["PASSWORD_MIN_LENGTH"],
            cost=current_app.config["PASSWORD_HASH_N"],
            **body,
        )
        db.session.commit()
        return user


@blp.route("/audit/verify")
class AuditVerify(MethodView):
    @blp.response(200, AuditVerification)
    @blp.alt_response(401, description="not logged in")
    @blp.alt_response(403, description="operators and admins only")
    def get(self):
        """Walk the hash chain of the audit log and report the first broken link, if any."""
        policy.require(current_principal(), "audit.verify")
        return audit.verify(db.session)
