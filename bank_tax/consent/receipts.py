"""Signed consent receipts: the canonical JSON of the terms, signed by the platform with Ed25519.

The private key lives in the instance folder (created on first use, mode 0600); the public key is
published at ``GET /api/v1/consents/public-key`` so firms and banks can verify a receipt offline with
:func:`verify` (or any Ed25519 implementation): change any field and verification fails.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bank_tax.security.audit import canonical_json

ALGORITHM = "Ed25519"


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The platform's signing key at ``path``, generated there the first time (atomically)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        try:
            os.link(tmp, path)  # a concurrent first start keeps whichever key landed first
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def public_pem(key: Ed25519PrivateKey) -> str:
    """The public half, PEM (SubjectPublicKeyInfo)."""
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """A short fingerprint of the public key, so a receipt names the key that signed it."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(key: Ed25519PrivateKey, terms: dict) -> tuple[str, str]:
    """Canonical JSON of ``terms`` and its base64 signature."""
    text = canonical_json(terms)
    return text, base64.b64encode(key.sign(text.encode())).decode()


def verify(receipt: dict, public_key_pem: str) -> bool:
    """Check a downloaded receipt (``{"terms", "signature", ...}``) against the platform's public key."""
    pub = serialization.load_pem_public_key(public_key_pem.encode())
    try:
        pub.verify(base64.b64decode(receipt["signature"]), canonical_json(receipt["terms"]).encode())
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return False
    return True


def document(consent_receipt: str, signature: str, key: Ed25519PrivateKey) -> dict:
    """The downloadable receipt: terms, signature, algorithm and key id."""
    return {"terms": json.loads(consent_receipt), "signature": signature, "algorithm": ALGORITHM, "key_id": key_id(key)}


def platform_key() -> Ed25519PrivateKey:
    """The current app's signing key (``CONSENT_KEY_PATH``, default ``instance/consent_ed25519.pem``)."""
    from flask import current_app

    cached = current_app.extensions.get("consent_key")
    if cached is None:
        path = Path(
            current_app.config.get("CONSENT_KEY_PATH") or Path(current_app.instance_path) / "consent_ed25519.pem"
        )
        cached = current_app.extensions["consent_key"] = load_or_create_key(path)
    return cached
