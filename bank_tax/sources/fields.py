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


def parse_uscc(col: np.ndarray, f: Field):
    """Check both check digits on the column as sent; rows that fail are normalised (case, spaces,
    full-width) and checked again one by one, so a clean column costs no string pass."""
    codes = col.astype("U18") if col.dtype.itemsize // 4 <= 18 else col.copy()
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


def _codes(col: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-width text as a (rows × width) matrix of character codes, and which rows had that width.

    One cast to ``width + 1`` characters tells both: a shorter value ends in NUL codes (never digits)
    and a longer one has a character in the extra column.
    """
    n = col.shape[0]
    m = col.astype(f"<U{width + 1}").view(np.uint32).reshape(n, width + 1)
    fits = (m[:, width] == 0) & (m[:, width - 1] != 0)
    return m[:, :width].astype(np.int64), fits


def _retry_stripped(col: np.ndarray, ok: np.ndarray, parse) -> None:
    """Rows that failed because of surrounding spaces get a second, row-by-row chance (rare)."""
    for i in np.nonzero(~ok)[0]:
        text = str(col[i])
        if text != text.strip() and text.strip():
            parse(i, text.strip())


def _number(m: np.ndarray, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """Digits ``m[:, start:stop]`` as integers, and whether they were all digits."""
    d = m[:, start:stop] - 48
    ok = ((d >= 0) & (d <= 9)).all(axis=1)
    return (np.clip(d, 0, 9) * (10 ** np.arange(stop - start - 1, -1, -1))).sum(axis=1), ok


def _ymd(m: np.ndarray, fits: np.ndarray, with_day: bool = True):
    """Parse ``YYYY-MM[-DD]`` at the start of a code matrix into days, validating the calendar."""
    y, oky = _number(m, 0, 4)
    mo, okm = _number(m, 5, 7)
    ok = fits & oky & okm & (m[:, 4] == 45) & (mo >= 1) & (mo <= 12) & (y >= 1900) & (y <= 2100)
    month = ((np.where(ok, y, 2000) - 1970) * 12 + np.where(ok, mo, 1) - 1).astype("datetime64[M]")
    first = month.astype("datetime64[D]")
    if not with_day:
        return first, ok
    d, okd = _number(m, 8, 10)
    length = ((month + 1).astype("datetime64[D]") - first).astype(np.int64)
    ok &= okd & (m[:, 7] == 45) & (d >= 1) & (d <= length)
    return first + np.where(ok, d - 1, 0).astype("timedelta64[D]"), ok


def parse_period(col: np.ndarray, f: Field):
    """``YYYY-MM`` → first day of the month (datetime64[D])."""
    m, fits = _codes(col, 7)
    days, ok = _ymd(m, fits, with_day=False)
    ok &= days >= np.datetime64("1990-01-01")

    def again(i, text):
        d, good = parse_period(np.array([text]), f)[:2]
        days[i], ok[i] = d[0], not good[0]

    _retry_stripped(col, ok, again)
    return days, ~ok, "期间应为 YYYY-MM / period must be YYYY-MM with a month 01–12"


def _numbers(col: np.ndarray):
    if col.dtype.kind == "f":  # already read as numbers by the fast reader
        return col, np.zeros(col.shape[0], dtype=bool)
    s = col  # numpy's text-to-float conversion skips surrounding spaces itself
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


def reasons(n: int, *cases: tuple[np.ndarray, str]):
    """The reason per row for a few masks: a plain string when one case covers every failure, otherwise
    an object array filled only where rows fail (a million-row column never builds a million strings)."""
    failing = [(mask, msg) for mask, msg in cases if mask.any()]
    if len(failing) <= 1:
        return failing[0][1] if failing else ""
    out = np.empty(n, dtype=object)
    for mask, msg in failing:
        out[mask] = msg
    return out


def parse_money(col: np.ndarray, f: Field):
    """元 with at most two decimals → integer 分; negative refused unless the kind is ``signed_money``."""
    x, bad = _numbers(col)
    fen = np.round(x * 100)
    bad |= ~np.isfinite(x) | (np.abs(fen - x * 100) > 1e-3) | (np.abs(fen) > 9e15)
    neg = ~bad & (x < 0) if f.kind == "money" else np.zeros(x.shape[0], dtype=bool)
    reason = reasons(
        x.shape[0],
        (bad, "金额格式错误（元，最多两位小数）/ amount must be yuan with at most 2 decimals"),
        (neg, "金额不能为负 / amount must not be negative"),
    )
    bad = bad | neg
    return np.where(bad, 0, fen).astype(np.int64), bad, reason


def parse_int(col: np.ndarray, f: Field):
    """A whole number, within ``bounds`` when given (default: not negative)."""
    x, bad = _numbers(col)
    bad |= ~np.isfinite(x) | (x != np.round(x))
    lo, hi = f.bounds or (0, 9e15)
    out_of = ~bad & ((x < lo) | (x > hi))
    reason = reasons(
        x.shape[0],
        (bad, "必须为整数 / must be a whole number"),
        (out_of, f"应在 {lo:g}–{hi:g} 之间 / must be within {lo:g}–{hi:g}"),
    )
    return np.where(bad | out_of, 0, x).astype(np.int64), bad | out_of, reason


def parse_decimal(col: np.ndarray, f: Field):
    """A number within ``bounds``."""
    x, bad = _numbers(col)
    lo, hi = f.bounds or (-9e15, 9e15)
    bad |= ~np.isfinite(x) | (x < lo) | (x > hi)
    return np.where(bad, 0.0, x), bad, f"应为 {lo:g}–{hi:g} 之间的数 / must be a number within {lo:g}–{hi:g}"


def parse_date(col: np.ndarray, f: Field):
    """``YYYY-MM-DD`` (empty → NaT where allowed), checked against the calendar."""
    m, fits = _codes(col, 10)
    days, ok = _ymd(m, fits)
    ok &= days >= np.datetime64("1949-10-01")
    days = np.where(ok, days, np.datetime64("NaT"))

    def again(i, text):
        d, bad = parse_date(np.array([text]), f)[:2]
        days[i], ok[i] = d[0], not bad[0]

    _retry_stripped(col, ok, again)
    return days, ~ok, "日期应为 YYYY-MM-DD / date must be a real YYYY-MM-DD"


def parse_time(col: np.ndarray, f: Field):
    """ISO-8601 with a zone (``Z`` or ``±HH:MM``) → datetime64[us] in UTC.

    The usual ``YYYY-MM-DDTHH:MM:SS+00:00`` is parsed column-wise; anything else row by row.
    """
    s = col
    m, fits = _codes(s, 25)
    days, ok = _ymd(m, fits)
    hh, okh = _number(m, 11, 13)
    mi, okmi = _number(m, 14, 16)
    ss, oks = _number(m, 17, 19)
    tail = (m[:, 19:25] == np.array([ord(c) for c in "+00:00"])).all(axis=1)
    ok &= okh & okmi & oks & tail & (m[:, 10] == 84) & (m[:, 13] == 58) & (m[:, 16] == 58)
    ok &= (hh < 24) & (mi < 60) & (ss < 60)
    secs = (hh * 3600 + mi * 60 + ss).astype("timedelta64[s]")
    out = np.where(ok, days.astype("datetime64[us]") + secs, np.datetime64("NaT", "us"))
    bad = np.zeros(col.shape[0], dtype=bool)
    for i in np.nonzero(~ok)[0]:  # other forms (fractions, Z, offsets, spaces): few
        text = str(s[i]).strip()
        if not text:
            continue
        try:
            t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            if t.tzinfo is None:
                raise ValueError
            out[i] = np.datetime64(t.astimezone(dt.UTC).replace(tzinfo=None), "us")
        except ValueError:
            bad[i] = True
    return out, bad, "时间应为带时区的 ISO-8601 / time must be ISO-8601 with a zone"


TRUE = np.array(["1", "true", "y", "yes", "是"])
FALSE = np.array(["0", "false", "n", "no", "否"])


def parse_bool(col: np.ndarray, f: Field):
    """1/0 (fast), or true/false, Y/N, 是/否 in any case."""
    yes, no = col == "1", col == "0"
    other = np.nonzero(~(yes | no))[0]
    if other.size:
        s = np.char.lower(np.char.strip(col[other]))
        yes[other], no[other] = np.isin(s, TRUE), np.isin(s, FALSE)
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


NUMERIC_KINDS = frozenset({"money", "signed_money", "int", "year", "decimal"})


def parse_column(col: np.ndarray, f: Field):
    """Parse one column; empty values are an error when required, else NULL (NaT / 0 / '')."""
    n = col.shape[0]
    if col.dtype.kind != "U":  # numbers from the fast reader: nothing was empty
        blank = np.zeros(n, dtype=bool)
        values, bad, reason = PARSERS[f.kind](col, f)
    else:
        blank = col == ""
        values, bad, reason = PARSERS[f.kind](np.where(blank, "0", col) if f.kind in NUMERIC_KINDS else col, f)
        suspicious = np.nonzero(bad & ~blank)[0]
        if suspicious.size:  # only spaces counts as empty too (checked on the few failing rows only)
            blank[suspicious] |= np.char.str_len(np.char.strip(col[suspicious])) == 0
    if f.required:
        if blank.any():
            reason = np.where(
                blank, "必填字段为空 / required field is empty", np.broadcast_to(np.asarray(reason, dtype=object), (n,))
            )
        bad = bad | blank
    else:
        bad = bad & ~blank
    return values, bad, reason, blank
