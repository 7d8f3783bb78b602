"""Signed consent receipts: the terms as a JWS (RFC 7515), signed by the platform with EdDSA (RFC 8037).

A receipt granted now (``"version": 2``) carries a JWS in compact serialization, ``header.payload.signature``,
each part base64url without padding: the header is ``{"alg":"EdDSA","kid":<key id>,"typ":"consent-receipt+jwt"}``,
the payload the UTF-8 JSON of the terms, and the signature Ed25519 over the ASCII bytes ``header.payload``. The
bytes that were signed travel in the receipt, so a verifier re-serialises nothing and needs no code of ours.
A bank checks one with OpenSSL 3: the signing input is the JWS up to its second dot, the signature the third
part base64url-decoded, the key the PEM of ``GET /api/v1/consents/public-key``::

    openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in signing_input -sigfile sig.bin

or with Node's ``crypto.verify(null, signingInput, key, signature)``, the key made from that PEM or from the
JWK (OKP, Ed25519) the same endpoint serves; ``tests/consent/test_receipts.py`` does both, and a
changed byte in the payload or the signature fails both. A JOSE library that supports EdDSA sees a standard
JWS (the suite runs none). The terms beside the JWS are its payload decoded, for reading: what is verified
is the JWS, and :func:`verify` also refuses a receipt whose terms differ from its payload.

Receipts issued before (version 1; a document without ``version`` is one) signed the canonical JSON of the
terms (:func:`bank_tax.security.audit.canonical_json`) with a base64 signature; :func:`verify` still checks
them. The database keeps what was signed: ``consent.receipt`` holds the JWS signing input (version 2) or the
canonical JSON (version 1), ``consent.signature`` its signature, so ``receipt + "." + signature`` is the JWS.

The private key lives in the instance folder (created on first use, mode 0600).
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
JWS_ALGORITHM = "EdDSA"  # RFC 8037: Ed25519 in JOSE
TYPE = "consent-receipt+jwt"  # explicit typing (RFC 8725 3.11): the JWS says it is a receipt, and verify insists


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


def public_jwk(key: Ed25519PrivateKey) -> dict:
    """The public half as a JWK (RFC 8037: OKP, Ed25519), for JOSE libraries and WebCrypto."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw), "kid": key_id(key), "alg": JWS_ALGORITHM, "use": "sig"}


def key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """A short fingerprint of the public key, so a receipt names the key that signed it."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    """base64url without padding, strictly: one text per byte string (no padding, no stray bits or characters)."""
    if not isinstance(text, str) or not text.isascii():
        raise ValueError("not base64url")
    data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    if _b64url(data) != text:
        raise ValueError("not canonical base64url without padding")
    return data


def version_of(receipt: str) -> int:
    """Which form a stored receipt is: 2 (a JWS signing input, base64url) or 1 (canonical JSON)."""
    return 1 if receipt.startswith("{") else 2  # base64url never holds a brace


def sign(key: Ed25519PrivateKey, terms: dict) -> tuple[str, str]:
    """The JWS signing input of ``terms`` (``header.payload``) and its base64url signature (version 2)."""
    header = {"alg": JWS_ALGORITHM, "kid": key_id(key), "typ": TYPE}
    signing_input = (
        f"{_b64url(json.dumps(header, separators=(',', ':')).encode())}.{_b64url(canonical_json(terms).encode())}"
    )
    return signing_input, _b64url(key.sign(signing_input.encode("ascii")))


def _open(jws: str, pub: Ed25519PublicKey) -> dict:
    """The terms of a version-2 receipt's JWS once its header and signature check out; raises otherwise."""
    header_b64, payload_b64, signature_b64 = jws.split(".")
    header = json.loads(_unb64url(header_b64))
    if not isinstance(header, dict) or header.get("alg") != JWS_ALGORITHM or header.get("typ") != TYPE:
        raise ValueError("not a consent receipt signed with EdDSA")
    if "crit" in header:
        raise ValueError("critical header parameters we do not know")  # RFC 7515 4.1.11
    pub.verify(_unb64url(signature_b64), f"{header_b64}.{payload_b64}".encode("ascii"))
    return json.loads(_unb64url(payload_b64))


def verify(receipt: dict, public_key_pem: str) -> bool:
    """Check a downloaded receipt (version 2: ``{"jws", "terms"?}``; 1: ``{"terms", "signature"}``) against the key.

    A version-2 receipt holds only if its JWS does and the terms shown beside it, if any, are its payload.
    """
    pub = serialization.load_pem_public_key(public_key_pem.encode())
    version = receipt.get("version", 1)  # the receipts downloaded before there were versions say none
    try:
        if version == 1:
            terms = receipt["terms"] if "terms" in receipt else receipt["receipt"]  # the portal's download said so
            pub.verify(base64.b64decode(receipt["signature"]), canonical_json(terms).encode())
            return True
        if version != 2:
            return False
        terms = _open(receipt["jws"], pub)
    except (InvalidSignature, ValueError, KeyError, TypeError, AttributeError):
        return False
    # compared as JSON text, so 24.0 or true does not pass for 24 or 1
    return "terms" not in receipt or canonical_json(receipt["terms"]) == canonical_json(terms)


def document(receipt: str, signature: str, key: Ed25519PrivateKey) -> dict:
    """The downloadable receipt of a stored one: its version, the JWS (or signature), the terms and the key id."""
    if version_of(receipt) == 1:
        return {
            "version": 1,
            "terms": json.loads(receipt),
            "signature": signature,
            "algorithm": ALGORITHM,
            "key_id": key_id(key),
        }
    header_b64, payload_b64 = receipt.split(".")
    return {
        "version": 2,
        "jws": f"{receipt}.{signature}",
        "terms": json.loads(_unb64url(payload_b64)),
        "algorithm": ALGORITHM,
        "key_id": json.loads(_unb64url(header_b64))["kid"],
    }


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
