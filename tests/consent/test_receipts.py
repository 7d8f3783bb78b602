"""Consent receipts verified where a bank verifies them: OpenSSL 3 and Node's crypto on a downloaded JWS, with
no code of ours; and the receipts issued before (version 1) still verify with ``receipts.verify``."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from bank_tax import clock
from bank_tax.consent import receipts
from bank_tax.consent import service as consents
from bank_tax.consent.models import Consent
from bank_tax.security.audit import canonical_json
from tests import factories
from tests.factories import PASSWORD

VERIFY_JS = Path(__file__).with_name("verify_receipt.mjs")


def _tool(name: str, version_args: list[str], usable) -> str:
    """The path of a tool the test needs; missing (or too old) fails under CI and skips loudly elsewhere."""
    path = shutil.which(name)
    found = path and usable(subprocess.run([path, *version_args], capture_output=True, text=True).stdout)
    if not found:
        reason = f"{name} missing or too old ({path or 'not on PATH'}): make test installs it (tests/with-node.sh)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="module")
def openssl() -> str:
    """OpenSSL 3 or newer: ``pkeyutl -rawin`` (Ed25519 over a file) came with 3.0."""
    return _tool("openssl", ["version"], lambda out: (m := re.match(r"OpenSSL (\d+)\.", out)) and int(m[1]) >= 3)


@pytest.fixture(scope="module")
def node() -> str:
    """Node 16 or newer: JWK import and base64url buffers."""
    return _tool("node", ["--version"], lambda out: (m := re.match(r"v(\d+)\.", out)) and int(m[1]) >= 16)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
def downloaded(client, session):
    """A consent the firm granted over the API, its receipt as the recipient bank downloads it, and the key."""
    firm = factories.enterprise(session)
    bank = factories.bank(session)
    firm_headers, _ = factories.auth(session, "enterprise", uscc=firm.uscc)
    bank_headers, _ = factories.auth(session, "bank_officer", bank_code=bank.code)
    body = {
        "bank_code": bank.code,
        "purpose": "underwriting",
        "categories": ["tax", "social_insurance"],
        "expires_at": (clock.now() + dt.timedelta(days=180)).isoformat(),
    }
    granted = client.post(f"/api/v1/enterprises/{firm.uscc}/consents", json=body, headers=firm_headers)
    assert granted.status_code == 201, granted.get_json()
    url = f"/api/v1/enterprises/{firm.uscc}/consents/{granted.get_json()['id']}/receipt"
    answer = client.get(url, headers=bank_headers)
    assert answer.status_code == 200, answer.get_json()
    key = client.get("/api/v1/consents/public-key")  # public: no credentials
    assert key.status_code == 200
    return {"receipt": answer.get_json(), "key": key.get_json(), "uscc": firm.uscc, "bank": bank.code, "url": url}


def _changed(jws: str, uscc: str) -> dict[str, str]:
    """The JWS with one byte changed in its payload (a digit of the firm's USCC) and one in its signature."""
    header, payload, signature = jws.split(".")
    body = bytearray(_unb64url(payload))
    body[body.index(uscc.encode())] ^= 0x01  # "9" becomes "8"
    sig = bytearray(_unb64url(signature))
    sig[10] ^= 0x01
    return {
        "payload": f"{header}.{_b64url(bytes(body))}.{signature}",
        "signature": f"{header}.{payload}.{_b64url(bytes(sig))}",
    }


def test_a_receipt_is_a_jws_signed_with_eddsa(downloaded):
    receipt, key = downloaded["receipt"], downloaded["key"]
    assert receipt["version"] == 2 and "signature" not in receipt
    header, payload, _ = receipt["jws"].split(".")
    assert json.loads(_unb64url(header)) == {"alg": "EdDSA", "kid": key["key_id"], "typ": "consent-receipt+jwt"}
    assert json.loads(_unb64url(payload).decode("utf-8")) == receipt["terms"]
    assert receipt["terms"]["uscc"] == downloaded["uscc"] and receipt["terms"]["recipient"] == downloaded["bank"]
    assert receipt["key_id"] == key["key_id"]
    jwk = key["jwk"]
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["kid"]) == ("OKP", "Ed25519", "EdDSA", key["key_id"])
    assert receipts.verify(receipt, key["public_key_pem"])


def _openssl_verifies(openssl: str, tmp_path: Path, jws: str, pem: str) -> bool:
    """What the module docstring tells a bank: the text before the second dot, the third part decoded."""
    header, payload, signature = jws.split(".")
    (tmp_path / "pub.pem").write_text(pem)
    (tmp_path / "signing_input").write_bytes(f"{header}.{payload}".encode("ascii"))
    (tmp_path / "sig.bin").write_bytes(_unb64url(signature))
    run = subprocess.run(
        [openssl, "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", "signing_input"]
        + ["-sigfile", "sig.bin"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ("Signature Verified Successfully" in run.stdout) == (run.returncode == 0), (run.stdout, run.stderr)
    return run.returncode == 0


def test_openssl_verifies_a_downloaded_receipt_and_refuses_a_changed_byte(openssl, tmp_path, downloaded):
    jws, pem = downloaded["receipt"]["jws"], downloaded["key"]["public_key_pem"]
    assert _openssl_verifies(openssl, tmp_path, jws, pem)
    for where, changed in _changed(jws, downloaded["uscc"]).items():
        assert not _openssl_verifies(openssl, tmp_path, changed, pem), where
        assert not receipts.verify({"version": 2, "jws": changed}, pem), where


def test_node_verifies_a_downloaded_receipt_with_the_pem_or_the_jwk_and_refuses_a_changed_byte(node, downloaded):
    jws = downloaded["receipt"]["jws"]
    changed = _changed(jws, downloaded["uscc"])
    run = subprocess.run(
        [node, str(VERIFY_JS)],
        input=json.dumps({"key": downloaded["key"], "jws": [jws, changed["payload"], changed["signature"]]}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["verified"] == [[True, True], [False, False], [False, False]]  # [PEM, JWK] per JWS
    assert out["terms"] == downloaded["receipt"]["terms"]


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda r: r["terms"].update(recipient="OTHER-BANK"), id="terms-beside-the-jws"),
        pytest.param(lambda r: r.update(jws=r["jws"] + "="), id="padding"),
        pytest.param(lambda r: r.update(jws=r["jws"].rsplit(".", 1)[0] + "."), id="no-signature"),
        pytest.param(lambda r: r.update(version=3), id="unknown-version"),
        pytest.param(lambda r: r.update(jws=_with_header(r["jws"], alg="none")), id="alg-none"),
        pytest.param(lambda r: r.update(jws=_with_header(r["jws"], typ="JWT")), id="another-typ"),
    ],
)
def test_our_verify_refuses_a_forged_receipt(downloaded, forge):
    forged = json.loads(json.dumps(downloaded["receipt"]))
    forge(forged)
    assert not receipts.verify(forged, downloaded["key"]["public_key_pem"])


def _with_header(jws: str, **change) -> str:
    header, payload, signature = jws.split(".")
    return ".".join([_b64url(json.dumps(json.loads(_unb64url(header)) | change).encode()), payload, signature])


def test_the_firm_downloads_from_its_page_the_same_receipt(client, session, downloaded):
    consent = session.scalars(sa.select(Consent).where(Consent.uscc == downloaded["uscc"])).one()
    user = factories.user(session, "enterprise", uscc=consent.uscc)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    login = {"username": user.username, "password": PASSWORD, "csrf_token": csrf}
    assert client.post("/login", data=login).status_code == 302
    answer = client.get(f"/firm/consents/{consent.id}/receipt")
    assert answer.status_code == 200 and "attachment" in answer.headers["Content-Disposition"]
    assert answer.get_json() == downloaded["receipt"]


# A receipt issued before version 2 (signed here by the code of then, at a fixed key): its canonical JSON
# (sorted keys, no spaces, UTF-8) and base64 signature, and the document the API then served (no version).
V1_SEED = "bank-tax consent receipt, version 1 vector"
V1_TEXT = (
    '{"categories":["tax","social_insurance"],"consent_id":42,"data_life_days":null,"data_window_months":24,'
    '"expires_at":"2026-08-29T01:00:00+00:00","granted_at":"2026-03-02T01:00:00+00:00","granted_by":"firm-e2x4b",'
    '"mode":"view","platform":"bank-tax","purpose":"underwriting","purpose_text":"用于银行审查本企业的贷款申请（贷前审查'
    '与审批）。 / To let the bank assess the firm\'s loan application (underwriting).","recipient":"HZBANK",'
    '"starts_at":"2026-03-02T01:00:00+00:00","supersedes":null,"uscc":"91330106MA2CFE2X4B"}'
)
V1_SIGNATURE = "OwgwSVvEXixUrNl0GbwLFGYjynLX9z6zAGFND98t8rTF6Xo0051Dyyo2NAofdeKYUfyc+8pTzKXJF0BEVfdLCA=="


def _v1_key():
    import hashlib

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(V1_SEED.encode()).digest())


def test_a_version_1_receipt_issued_before_still_verifies():
    key = _v1_key()
    pem = receipts.public_pem(key)
    as_served = {
        "terms": json.loads(V1_TEXT),
        "signature": V1_SIGNATURE,
        "algorithm": "Ed25519",
        "key_id": "f0c2e49531be11dd",
    }
    from_the_portal = {"receipt": json.loads(V1_TEXT), "signature": V1_SIGNATURE}
    as_served_now = receipts.document(V1_TEXT, V1_SIGNATURE, key)
    assert as_served_now == as_served | {"version": 1}
    for receipt in (as_served, from_the_portal, as_served_now):
        assert receipts.verify(receipt, pem)
        forged = json.loads(json.dumps(receipt))
        (forged.get("terms") or forged["receipt"])["data_window_months"] = 60
        assert not receipts.verify(forged, pem)


def test_a_stored_version_1_receipt_downloads_as_version_1_and_verifies(client, session, app, downloaded):
    """A consent granted before version 2 keeps its canonical-JSON receipt; the API serves it as such."""
    consent = session.scalars(sa.select(Consent).where(Consent.uscc == downloaded["uscc"])).one()
    with app.app_context():
        key = receipts.platform_key()
    text = canonical_json(consents.terms_of(consent))
    session.execute(
        sa.update(Consent)
        .where(Consent.id == consent.id)
        .values(receipt=text, signature=base64.b64encode(key.sign(text.encode())).decode())
    )
    bank_headers, _ = factories.auth(session, "bank_officer", bank_code=downloaded["bank"])
    receipt = client.get(downloaded["url"], headers=bank_headers).get_json()
    assert receipt["version"] == 1 and "jws" not in receipt
    assert receipt["terms"] == downloaded["receipt"]["terms"]
    pem = downloaded["key"]["public_key_pem"]
    assert receipts.verify(receipt, pem)
    receipt["terms"]["recipient"] = "OTHER-BANK"
    assert not receipts.verify(receipt, pem)
