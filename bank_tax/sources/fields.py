"""Column parsers for agency files: whole columns of text in, typed numpy arrays and row errors out.

Each parser takes an array of strings (one column of a batch) and returns ``(values, bad, reason)``:
the typed column, a boolean array of rows that fail, and the reason in words (per row where it
differs). The fast path converts the whole column at once; only when that fails are the offending rows
looked at one by one, so a clean million-row column never meets a Python loop.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from bank_tax.enterprises import uscc as uscc_mod

EMPTY = ""


@dataclass(frozen=True)
class Field:
    """One column of a source: name, kind, whether it may be empty, and kind-specific options."""

    name: str
    kind: str  # uscc, period, year, int, money, signed_money, date, time, bool, code, text, decimal
    required: bool = True
    choices: tuple[str, ...] = ()
    max_length: int = 200
    bounds: tuple[float, float] | None = None
    doc: str = ""
    extra: dict = field(default_factory=dict)


def _blank(col: np.ndarray) -> np.ndarray:
    return np.char.str_len(np.char.strip(col)) == 0


def parse_uscc(col: np.ndarray, f: Field):
    """Normalise (strip, upper-case) and check both check digits; name the failing check per row."""
    codes = np.char.upper(np.char.strip(col))
    ok = uscc_mod.check_many(codes)
    reasons = np.full(col.shape[0], "", dtype=object)
    for i in np.nonzero(~ok)[0]:  # only the bad rows, which are few
        try:
            uscc_mod.validate(str(col[i]))
            codes[i] = uscc_mod.normalize(str(col[i]))  # full-width or spaced, but valid
            ok[i] = True
        except uscc_mod.UsccError as exc:
            reasons[i] = f"[{exc.check}] {exc.message}"
    return codes.astype("U18"), ~ok, reasons


def parse_period(col: np.ndarray, f: Field):
    """``YYYY-MM`` → first day of the month (datetime64[D])."""
    s = np.char.strip(col)
    shape_ok = (np.char.str_len(s) == 7) & (np.char.find(s, "-") == 4)
    year = np.char.partition(s, "-")[:, 0]
    month = np.char.partition(s, "-")[:, 2]
    digits = np.char.isdigit(year) & np.char.isdigit(month) & shape_ok
    y = np.where(digits, year, "0").astype(np.int64)
    m = np.where(digits, month, "0").astype(np.int64)
    ok = digits & (m >= 1) & (m <= 12) & (y >= 1990) & (y <= 2100)
    months = ((np.where(ok, y, 2000) - 1970) * 12 + np.where(ok, m, 1) - 1).astype("datetime64[M]")
    return months.astype("datetime64[D]"), ~ok, "期间应为 YYYY-MM / period must be YYYY-MM with a month 01–12"


def _numbers(col: np.ndarray):
    s = np.char.strip(col)
    try:
        return s.astype(np.float64), np.zeros(col.shape[0], dtype=bool)
    except ValueError:
        out = np.zeros(col.shape[0])
        bad = np.zeros(col.shape[0], dtype=bool)
        for i, v in enumerate(s.tolist()):
            try:
                out[i] = float(v)
            except ValueError:
                bad[i] = True
        return out, bad


def parse_money(col: np.ndarray, f: Field):
    """元 with at most two decimals → integer 分; negative refused unless the kind is ``signed_money``."""
    blank = _blank(col)
    x, bad = _numbers(np.where(blank, "0", col))
    fen = np.round(x * 100)
    bad |= ~np.isfinite(x) | (np.abs(fen - x * 100) > 1e-3) | (np.abs(fen) > 9e15)
    reason = np.where(bad, "金额格式错误（元，最多两位小数）/ amount must be yuan with at most 2 decimals", "")
    if f.kind == "money":
        neg = ~bad & (x < 0)
        reason = np.where(neg, "金额不能为负 / amount must not be negative", reason)
        bad |= neg
    return np.where(bad, 0, fen).astype(np.int64), bad, reason


def parse_int(col: np.ndarray, f: Field):
    """A whole number, within ``bounds`` when given (default: not negative)."""
    blank = _blank(col)
    x, bad = _numbers(np.where(blank, "0", col))
    bad |= ~np.isfinite(x) | (x != np.round(x))
    lo, hi = f.bounds or (0, 9e15)
    out_of = ~bad & ((x < lo) | (x > hi))
    reason = np.where(
        out_of, f"应在 {lo:g}–{hi:g} 之间 / must be within {lo:g}–{hi:g}", "必须为整数 / must be a whole number"
    )
    return np.where(bad | out_of, 0, x).astype(np.int64), bad | out_of, reason


def parse_decimal(col: np.ndarray, f: Field):
    """A number within ``bounds``."""
    blank = _blank(col)
    x, bad = _numbers(np.where(blank, "0", col))
    lo, hi = f.bounds or (-9e15, 9e15)
    bad |= ~np.isfinite(x) | (x < lo) | (x > hi)
    return np.where(bad, 0.0, x), bad, f"应为 {lo:g}–{hi:g} 之间的数 / must be a number within {lo:g}–{hi:g}"


def parse_date(col: np.ndarray, f: Field):
    """``YYYY-MM-DD`` (empty → NaT where allowed)."""
    s = np.char.strip(col)
    try:
        days = s.astype("datetime64[D]")
        bad = np.zeros(col.shape[0], dtype=bool)
    except ValueError:
        days = np.full(col.shape[0], np.datetime64("NaT"), dtype="datetime64[D]")
        bad = np.zeros(col.shape[0], dtype=bool)
        for i, v in enumerate(s.tolist()):
            try:
                days[i] = np.datetime64(dt.date.fromisoformat(v)) if v else np.datetime64("NaT")
            except ValueError:
                bad[i] = True
    bad |= (np.char.str_len(s) > 0) & (np.char.str_len(s) != 10)
    bad |= ~np.isnat(days) & ((days < np.datetime64("1949-10-01")) | (days > np.datetime64("2100-12-31")))
    return days, bad, "日期应为 YYYY-MM-DD / date must be YYYY-MM-DD"


def parse_time(col: np.ndarray, f: Field):
    """ISO-8601 with a zone (``Z`` or ``±HH:MM``) → datetime64[us] in UTC."""
    s = np.char.strip(col)
    utc = np.char.endswith(s, "+00:00") | np.char.endswith(s, "Z")
    core = np.where(np.char.endswith(s, "Z"), np.char.rstrip(s, "Z"), np.char.replace(s, "+00:00", ""))
    out = np.full(col.shape[0], np.datetime64("NaT"), dtype="datetime64[us]")
    bad = np.zeros(col.shape[0], dtype=bool)
    if utc.all():
        try:
            return core.astype("datetime64[us]"), bad, ""
        except ValueError:
            pass
    for i, v in enumerate(s.tolist()):
        if not v:
            continue
        try:
            t = dt.datetime.fromisoformat(v)
            if t.tzinfo is None:
                raise ValueError
            out[i] = np.datetime64(t.astimezone(dt.UTC).replace(tzinfo=None), "us")
        except ValueError:
            bad[i] = True
    return out, bad, "时间应为带时区的 ISO-8601 / time must be ISO-8601 with a zone"


TRUE = np.array(["1", "true", "y", "yes", "是"])
FALSE = np.array(["0", "false", "n", "no", "否"])


def parse_bool(col: np.ndarray, f: Field):
    """1/0, true/false, Y/N, 是/否."""
    s = np.char.lower(np.char.strip(col))
    yes, no = np.isin(s, TRUE), np.isin(s, FALSE)
    return yes, ~(yes | no), "应为 1/0 / must be 1 or 0"


def parse_code(col: np.ndarray, f: Field):
    """One of the field's ``choices``."""
    s = np.char.strip(col)
    return (
        s,
        ~np.isin(s, np.array(f.choices)),
        f"应为 {'/'.join(f.choices)} 之一 / must be one of {', '.join(f.choices)}",
    )


def parse_text(col: np.ndarray, f: Field):
    """Free text up to ``max_length`` characters."""
    s = np.char.strip(col)
    return s, np.char.str_len(s) > f.max_length, f"超过 {f.max_length} 个字符 / longer than {f.max_length} characters"


PARSERS = {
    "uscc": parse_uscc,
    "period": parse_period,
    "money": parse_money,
    "signed_money": parse_money,
    "int": parse_int,
    "year": parse_int,
    "decimal": parse_decimal,
    "date": parse_date,
    "time": parse_time,
    "bool": parse_bool,
    "code": parse_code,
    "text": parse_text,
}


def parse_column(col: np.ndarray, f: Field):
    """Parse one column; empty values are an error when required, else NULL (NaT / 0 / '')."""
    blank = _blank(col)
    values, bad, reason = PARSERS[f.kind](col, f)
    if f.required:
        reason = np.where(blank, "必填字段为空 / required field is empty", reason)
        bad = bad | blank
    else:
        bad = bad & ~blank
    return values, bad, reason, blank
