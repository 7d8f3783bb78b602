"""Personally identifying fields (the legal representative's ID number and phone) sealed at rest with
AES-256-GCM under a key from the environment (``PII_KEY``, or one generated into ``instance/pii_key``),
and masked in every output a bank receives.

A sealed value is ``v1:`` + base64(nonce ‖ ciphertext ‖ tag); the firm's code is bound in as associated
data, so a value copied onto another firm's row does not open."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from stdnum import numdb

from bank_tax import clock

PREFIX = "v1:"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
OLDEST_BIRTH = dt.date(1900, 1, 1)  # nobody born earlier represents a firm today


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


def id_number_problem(value: str, *, today: dt.date | None = None) -> str | None:
    """Why ``value`` is not a valid 18-character resident ID number (GB 11643), or None.

    Beyond the length and the check character: the birth date (characters 7–14) must be a real date,
    not after ``today`` (the clock's business date) and not before 1900, and the first six digits must be
    a region code of GB/T 2260 (python-stdnum's table, with the years each code was in use) still in use
    in the birth year or later. Not "in use *at* the birth year", which is what ``stdnum.cn.ric`` checks:
    a number carries the code of where it was issued (from 1984) or registered, so a Hangzhou resident
    born in 1970 holds 330106 (西湖区, a code since 1983)."""
    v = value.strip().upper()
    if len(v) != 18 or not v[:17].isdigit() or v[17] not in "0123456789X":
        return "身份证号码应为18位 / an ID number has 18 characters"
    if ID_CHECK[sum(int(d) * w for d, w in zip(v[:17], ID_WEIGHTS, strict=True)) % 11] != v[17]:
        return "身份证号码校验位不符 / the ID number's check character is wrong"
    try:
        born = dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return f"身份证号码中的出生日期 {v[6:14]} 不存在 / the ID number's birth date {v[6:14]} is not a real date"
    if born > (today or clock.today()):
        return f"身份证号码中的出生日期 {born} 晚于今天 / the ID number's birth date {born} is in the future"
    if born < OLDEST_BIRTH:
        return f"身份证号码中的出生日期 {born} 过早 / the ID number's birth date {born} is implausibly early"
    return _region_problem(v[:6], born.year)


def _region_problem(code: str, year: int) -> str | None:
    """Why ``code`` cannot begin the ID number of someone born in ``year`` (None: it can): it names no
    county-level region of GB/T 2260, or every region it named was retired before that year."""
    counties = [props["county"] for _, props in numdb.get("cn/loc").info(code) if "county" in props]
    if not counties:
        return f"身份证号码的地区码 {code} 不存在 / the ID number's region code {code} is not a known region"
    for entry in ",".join(counties).split(","):
        if not entry.startswith("["):
            return None  # in use, no end recorded
        end = entry[1:].split("]", 1)[0].split("-")[1]
        if not end or int(end) >= year:
            return None
    return (
        f"身份证号码的地区码 {code} 在出生年份 {year} 前已撤销 / "
        f"the ID number's region code {code} was retired before the birth year {year}"
    )


def mask_id(value: str | None) -> str | None:
    """330106********123X: the region and the last four."""
    return None if not value else value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    """138****5678."""
    return None if not value else value[:3] + "****" + value[-4:]
