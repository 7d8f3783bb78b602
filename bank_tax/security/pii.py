"""Personally identifying fields (the legal representative's ID number and phone) sealed at rest with
AES-256-GCM under a key from the environment (``PII_KEY``, or one generated into ``instance/pii_key``),
and masked in every output a bank receives.

A sealed value is ``v1:`` + base64(nonce ‖ ciphertext ‖ tag); the firm's code is bound in as associated
data, so a value copied onto another firm's row does not open."""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

PREFIX = "v1:"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def _aead() -> AESGCM:
    return AESGCM(hashlib.sha256(current_app.config["PII_KEY"].encode()).digest())


def seal(value: str | None, *, uscc: str) -> str | None:
    """Encrypt ``value`` for storage on the row of firm ``uscc`` (None stays None)."""
    if value is None or value == "":
        return None
    nonce = os.urandom(12)
    blob = nonce + _aead().encrypt(nonce, value.encode(), uscc.encode())
    return PREFIX + base64.b64encode(blob).decode()


def unseal(stored: str | None, *, uscc: str) -> str | None:
    """Decrypt a stored value (raises when the key or the row is not the one it was sealed for)."""
    if not stored:
        return None
    blob = base64.b64decode(stored.removeprefix(PREFIX))
    return _aead().decrypt(blob[:12], blob[12:], uscc.encode()).decode()


def id_number_problem(value: str) -> str | None:
    """Why ``value`` is not a valid 18-character resident ID number (GB 11643), or None."""
    v = value.strip().upper()
    if len(v) != 18 or not v[:17].isdigit() or v[17] not in "0123456789X":
        return "身份证号码应为18位 / an ID number has 18 characters"
    if ID_CHECK[sum(int(d) * w for d, w in zip(v[:17], ID_WEIGHTS, strict=True)) % 11] != v[17]:
        return "身份证号码校验位不符 / the ID number's check character is wrong"
    return None


def mask_id(value: str | None) -> str | None:
    """330106********123X: the region and the last four."""
    return None if not value else value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    """138****5678."""
    return None if not value else value[:3] + "****" + value[-4:]
