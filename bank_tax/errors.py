"""Domain errors that services raise and the API turns into ``{code, message, errors}`` answers.

Services must not know about HTTP, yet their failures map to exactly one status each; these classes
carry that status so that views stay thin.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base: a refused operation with a message for people and field errors for forms."""

    status = 400

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class Invalid(DomainError):
    """The input breaks a business rule (422)."""

    status = 422


class NotFound(DomainError):
    """No such thing, or not visible to the caller (404)."""

    status = 404


class Conflict(DomainError):
    """The thing exists already or changed under us (409)."""

    status = 409


class Forbidden(DomainError):
    """The caller is known but may not do this (403)."""

    status = 403


class Unauthorized(DomainError):
    """The caller must log in first (401)."""

    status = 401


class TooManyAttempts(DomainError):
    """Rate limited (429); ``retry_after`` in seconds."""

    status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """A part the answer needs is not ready (no champion model yet) (503)."""

    status = 503
