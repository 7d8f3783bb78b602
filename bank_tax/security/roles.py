"""Roles and the authenticated principal that every access decision is made about."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """Who a user is on the platform. Enterprise users are bound to one firm, bank users to one bank."""

    ENTERPRISE = "enterprise"
    BANK_OFFICER = "bank_officer"
    BANK_ADMIN = "bank_admin"
    ANALYST = "analyst"
    OPERATOR = "operator"  # platform / agency side
    ADMIN = "admin"


BANK_ROLES = frozenset({Role.BANK_OFFICER, Role.BANK_ADMIN})
PLATFORM_ROLES = frozenset({Role.OPERATOR, Role.ADMIN})


@dataclass(frozen=True)
class Principal:
    """The caller of a request: a user with a role and, where the role requires it, its firm or bank."""

    user_id: int
    username: str
    role: Role
    uscc: str | None = None
    bank_code: str | None = None
    token_id: int | None = None

    @property
    def is_bank(self) -> bool:
        """True for loan officers and bank admins."""
        return self.role in BANK_ROLES
