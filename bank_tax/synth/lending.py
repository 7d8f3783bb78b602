"""Banks, their 银税 products, and the province's loan history: applications, loans, outcome events.

Firms with a published A/B/M grade, two years of operation and enough tax paid apply now and then; a bank
sees the firm's health only through heavy noise and approves above its own threshold; loans run 12
months, interest monthly and principal at maturity (先息后本). Each month a performing loan may miss a
payment (more likely when health is low); arrears cure or deepen, 90+ days past due is a default, and a
defaulted loan may be written off. The monthly hazard is tuned so that about 5–10% of matured loans
default.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from bank_tax.products.lpr import lpr_on as products_lpr_on

BANKS: list[dict] = [
    {
        "code": "CCB-ZJ",
        "name": "中国建设银行浙江省分行",
        "name_en": "China Construction Bank, Zhejiang",
        "threshold": -0.7,
    },
    {"code": "ICBC-ZJ", "name": "中国工商银行浙江省分行", "name_en": "ICBC, Zhejiang", "threshold": -0.5},
    {"code": "HZBANK", "name": "杭州银行", "name_en": "Bank of Hangzhou", "threshold": -0.9},
    {"code": "ZJRCB", "name": "浙江农商联合银行", "name_en": "Zhejiang Rural Commercial Bank Union", "threshold": -1.0},
]

# Products in the shape the products issue loads (amounts in 元, spreads in percentage points over LPR).
PRODUCTS: list[dict] = [
    {
        "bank_code": "CCB-ZJ",
        "code": "YSD",
        "name": "云税贷",
        "name_en": "Cloud Tax Loan",
        "amount_min": 10_000,
        "amount_max": 3_000_000,
        "terms_months": [12],
        "rate_spread_min": 0.15,
        "rate_spread_max": 2.5,
        "repayment_style": "revolving",
        "grades": ["A", "B", "M"],
        "min_months_operating": 24,
        "min_tax_12m": 5_000,
        "limit_multiple_of_tax": 8,
        "exclude_blacklisted": True,
        "exclude_tax_arrears": True,
        "consent_categories": ["tax"],
    },
    {
        "bank_code": "ICBC-ZJ",
        "code": "NSED",
        "name": "纳税e贷",
        "name_en": "Tax e-Loan",
        "amount_min": 10_000,
        "amount_max": 3_000_000,
        "terms_months": [12],
        "rate_spread_min": 0.3,
        "rate_spread_max": 2.0,
        "repayment_style": "interest_monthly_principal_at_maturity",
        "grades": ["A", "B"],
        "min_months_operating": 24,
        "min_tax_12m": 10_000,
        "limit_multiple_of_tax": 7,
        "exclude_blacklisted": True,
        "exclude_tax_arrears": True,
        "consent_categories": ["tax", "social_insurance"],
    },
    {
        "bank_code": "HZBANK",
        "code": "ESR",
        "name": "e税融",
        "name_en": "e-Tax Finance",
        "amount_min": 10_000,
        "amount_max": 2_000_000,
        "terms_months": [12],
        "rate_spread_min": 0.85,
        "rate_spread_max": 6.0,
        "repayment_style": "interest_monthly_principal_at_maturity",
        "grades": ["A", "B"],
        "min_months_operating": 24,
        "min_tax_12m": 5_000,
        "limit_multiple_of_tax": 6,
        "exclude_blacklisted": True,
        "exclude_tax_arrears": True,
        "consent_categories": ["tax", "utilities"],
    },
    {
        "bank_code": "ZJRCB",
        "code": "SXD",
        "name": "税信贷",
        "name_en": "Tax Credit Loan",
        "amount_min": 10_000,
        "amount_max": 1_000_000,
        "terms_months": [12],
        "rate_spread_min": 1.0,
        "rate_spread_max": 5.0,
        "repayment_style": "interest_monthly_principal_at_maturity",
        "grades": ["A", "B", "M"],
        "min_months_operating": 24,
        "min_tax_12m": 3_000,
        "limit_multiple_of_tax": 5,
        "exclude_blacklisted": True,
        "exclude_tax_arrears": False,
        "consent_categories": ["tax", "social_insurance", "utilities"],
    },
]
SPREAD_BY_GRADE = {"A": (0.0, 0.35), "B": (0.3, 0.7), "M": (0.5, 1.0)}  # position within the product's range


def product_document(p: dict) -> dict:
    """A simulated product in the shape the products API takes (``products.json``)."""
    rules = {
        k: p[k]
        for k in (
            "amount_min",
            "amount_max",
            "terms_months",
            "rate_spread_min",
            "rate_spread_max",
            "repayment_style",
            "grades",
            "min_months_operating",
            "min_tax_12m",
            "exclude_blacklisted",
            "exclude_tax_arrears",
            "consent_categories",
        )
    }
    rules["limit_rule"] = {"basis": "tax", "multiple": p["limit_multiple_of_tax"], "window_months": 12}
    return {"bank_code": p["bank_code"], "code": p["code"], "name": p["name"], "name_en": p["name_en"], "rules": rules}


def lpr_on(day: np.datetime64) -> float:
    """The one-year LPR in force on ``day``."""
    return products_lpr_on(dt.date.fromisoformat(str(np.datetime64(day, "D"))))


def _published_grades(grade_by_year: dict[int, np.ndarray], starts: np.ndarray, n: int) -> np.ndarray:
    """The latest published grade (firms × months): year Y's grade counts from May of Y+1."""
    T = starts.shape[0] - 1
    out = np.full((n, T), "", dtype="U1")
    for year in sorted(grade_by_year):
        t0 = int(np.searchsorted(starts[:T], np.datetime64(f"{year + 1}-05-01")))
        if t0 < T:
            out[:, t0:] = np.where(grade_by_year[year][:, None] != "", grade_by_year[year][:, None], out[:, t0:])
    return out


def simulate(province, rng, *, starts, hz, active, sales_fen, paid, grade_by_year, years, w, as_of) -> None:
    """Add ``applications``, ``loans`` and ``loan_events`` tables and the default truth to ``province``."""
    firms = province.firms
    n, T = hz.shape
    province.banks = [{k: b[k] for k in ("code", "name", "name_en")} for b in BANKS]
    province.products = [dict(p) for p in PRODUCTS]
    grade = _published_grades(grade_by_year, starts, n)
    csum = np.concatenate([np.zeros((n, 1), np.int64), np.cumsum(paid, axis=1)], axis=1)
    tax12 = csum[:, 1:] - csum[:, np.maximum(np.arange(1, T + 1) - 12, 0)]  # tax paid in the 12 months to t
    age_months = (starts[:T][None, :] - firms["established_on"][:, None]).astype(int) / 30.44
    thresholds = {b["code"]: b["threshold"] for b in BANKS}

    apps: dict[str, list] = {
        k: []
        for k in (
            "application_id",
            "bank_code",
            "product_code",
            "uscc",
            "applied_on",
            "amount_requested",
            "decision",
            "decided_on",
            "reason",
        )
    }
    loans: dict[str, list] = {
        k: []
        for k in (
            "contract_no",
            "bank_code",
            "product_code",
            "uscc",
            "principal",
            "rate",
            "start_date",
            "maturity_date",
            "term_months",
            "repayment_style",
            "grade_at_start",
        )
    }
    truth = {"firm": [], "defaulted_12m": [], "start_t": []}
    events: list[tuple] = []
    loan_of = np.full(n, -1)  # index into loans of the firm's open loan
    state: dict[int, dict] = {}
    as_of_d = np.datetime64(as_of, "D")

    for t in range(w.start, w.stop):
        month_start = starts[t]
        g = grade[:, t]
        candidates = (
            active[:, t]
            & (loan_of < 0)
            & np.isin(g, ["A", "B", "M"])
            & (age_months[:, t] >= 24)
            & (tax12[:, t] >= 300_000)
        )
        applying = np.nonzero(
            candidates & (rng.random(n) < province.params.application_rate * (1 + 0.5 * (hz[:, t] > 0)))
        )[0]
        for i in applying:
            options = [p for p in PRODUCTS if g[i] in p["grades"] and tax12[i, t] >= p["min_tax_12m"] * 100]
            if not options:
                continue
            p = options[int(rng.integers(0, len(options)))]
            applied_on = month_start + np.timedelta64(int(rng.integers(0, 25)), "D")
            decided_on = applied_on + np.timedelta64(int(rng.integers(1, 8)), "D")
            if decided_on > as_of_d:
                continue
            limit = min(p["amount_max"] * 100, p["limit_multiple_of_tax"] * int(tax12[i, t]))
            limit = limit // 1_000_000 * 1_000_000  # whole 万元
            requested = int(max(p["amount_min"] * 100, limit * rng.uniform(0.5, 1.2)) // 1_000_000 * 1_000_000)
            seen = hz[i, t] + rng.normal(0, 0.9)
            app_id = f"{p['bank_code']}-A{len(apps['application_id']) + 1:06d}"
            if limit < p["amount_min"] * 100 or limit < 1_000_000:
                decision, reason = "declined", "额度测算不足 / computed limit below the product minimum"
            elif seen < thresholds[p["bank_code"]] or (g[i] == "M" and seen < 0):
                decision, reason = "declined", "综合评分未达准入标准 / overall assessment below the bank's threshold"
            else:
                decision, reason = "approved", ""
            for k, v in (
                ("application_id", app_id),
                ("bank_code", p["bank_code"]),
                ("product_code", p["code"]),
                ("uscc", firms["uscc"][i]),
                ("applied_on", applied_on),
                ("amount_requested", requested),
                ("decision", decision),
                ("decided_on", decided_on),
                ("reason", reason),
            ):
                apps[k].append(v)
            if decision != "approved":
                continue
            principal = min(limit, max(requested, 1_000_000))
            start = decided_on + np.timedelta64(int(rng.integers(1, 6)), "D")
            lo, hi = SPREAD_BY_GRADE[g[i]]
            spread = p["rate_spread_min"] + (p["rate_spread_max"] - p["rate_spread_min"]) * rng.uniform(lo, hi)
            rate = round(lpr_on(start) + spread, 2)
            j = len(loans["contract_no"])
            contract = f"{p['bank_code']}-L{j + 1:06d}"
            maturity = (start.astype("datetime64[M]") + np.timedelta64(12, "M")).astype("datetime64[D]") + (
                start - start.astype("datetime64[M]").astype("datetime64[D]")
            )
            for k, v in (
                ("contract_no", contract),
                ("bank_code", p["bank_code"]),
                ("product_code", p["code"]),
                ("uscc", firms["uscc"][i]),
                ("principal", principal),
                ("rate", rate),
                ("start_date", start),
                ("maturity_date", maturity),
                ("term_months", 12),
                ("repayment_style", p["repayment_style"]),
                ("grade_at_start", g[i]),
            ):
                loans[k].append(v)
            truth["firm"].append(i)
            truth["defaulted_12m"].append(False)
            truth["start_t"].append(t)
            events.append((p["bank_code"], contract, "disbursement", start, principal, 0))
            loan_of[i] = j
            state[j] = {
                "k": 0,
                "dpd": 0,
                "defaulted": False,
                "default_k": None,
                "start": start,
                "principal": principal,
                "rate": rate,
                "bank": p["bank_code"],
                "contract": contract,
            }
        _run_month(t, starts, hz, active, rng, loan_of, state, truth, events, as_of_d)

    province.tables["applications"] = {k: np.array(v) for k, v in apps.items()}
    province.tables["loans"] = {k: np.array(v) for k, v in loans.items()}
    ev = {
        k: np.array(v)
        for k, v in zip(
            ("bank_code", "contract_no", "event_type", "event_date", "amount", "dpd"),
            zip(*events, strict=True) if events else [[]] * 6,
            strict=True,
        )
    }
    per_bank: dict[str, int] = {}
    ids = []
    for b in ev["bank_code"]:
        per_bank[b] = per_bank.get(b, 0) + 1
        ids.append(f"{b}-E{per_bank[b]:07d}")
    ev["event_id"] = np.array(ids)
    province.tables["loan_events"] = ev
    mature = np.array(
        [np.datetime64(m) + np.timedelta64(1, "D") <= as_of_d for m in loans["maturity_date"]], dtype=bool
    )
    province.truth["loan_firm"] = np.array(truth["firm"], dtype=np.int64)
    province.truth["loan_defaulted_12m"] = np.array(truth["defaulted_12m"], dtype=bool)
    province.truth["loan_mature"] = mature
    province.truth["loan_start_t"] = np.array(truth["start_t"], dtype=np.int64)


def _run_month(t, starts, hz, active, rng, loan_of, state, truth, events, as_of_d) -> None:
    """Advance every open loan by one month: pay, miss, cure, deepen, default, write off or close."""
    for i in np.nonzero(loan_of >= 0)[0]:
        j = int(loan_of[i])
        s = state[j]
        if s["start"] >= starts[t + 1]:
            continue  # disbursed this month: the first instalment is next month
        s["k"] += 1
        due = s["start"] + np.timedelta64(30 * s["k"], "D")
        if due > as_of_d:
            continue
        interest = int(round(s["principal"] * s["rate"] / 100 / 12))
        h = hz[i, t]
        alive = active[i, t]
        if s["dpd"] == 0:
            miss = (not alive) or rng.random() < 1 / (1 + np.exp(4.3 + 2.0 * h))
            if miss:
                s["dpd"] = 1
                events.append((s["bank"], s["contract"], "overdue", due + np.timedelta64(1, "D"), interest, 1))
            else:
                events.append((s["bank"], s["contract"], "repayment", due, interest, 0))
        elif not s["defaulted"]:
            cure = alive and rng.random() < 1 / (1 + np.exp(0.6 - 1.5 * h))
            if cure:
                arrears = interest * (s["dpd"] // 30 + 1)
                s["dpd"] = 0
                events.append((s["bank"], s["contract"], "repayment", due, arrears, 0))
            else:
                s["dpd"] += 30
                events.append((s["bank"], s["contract"], "overdue", due, interest, s["dpd"]))
                if s["dpd"] >= 90:
                    s["defaulted"], s["default_k"] = True, s["k"]
                    truth["defaulted_12m"][j] = s["k"] <= 12
                    events.append((s["bank"], s["contract"], "default", due, s["principal"], s["dpd"]))
        else:
            s["dpd"] += 30
            if s["k"] - s["default_k"] >= 6:
                if rng.random() < 0.6:
                    events.append((s["bank"], s["contract"], "write_off", due, s["principal"], s["dpd"]))
                else:
                    events.append((s["bank"], s["contract"], "closure", due, 0, 0))  # recovered through collection
                loan_of[i] = -1
                continue
        if s["k"] >= 12 and s["dpd"] == 0:
            events.append((s["bank"], s["contract"], "repayment", due, s["principal"], 0))
            events.append((s["bank"], s["contract"], "closure", due, 0, 0))
            loan_of[i] = -1


def as_date(value: np.datetime64) -> dt.date:
    """numpy day → datetime.date."""
    return dt.date.fromisoformat(str(np.datetime64(value, "D")))
