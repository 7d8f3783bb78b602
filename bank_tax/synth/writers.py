"""Write a :class:`Province` in the agencies' file formats (see ``README.md``), with a manifest.

Columns are formatted as whole arrays (numpy string operations), then written with the csv module;
amounts go out in 元 with two decimals, dates as ISO days, times as ISO UTC.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from bank_tax.synth.lending import product_document
from bank_tax.synth.province import Province

# file → (table, encoding, [(column, kind)]); kind: str, int, money (分 → 元), date, time, bool, float
FILES: dict[str, tuple[str, str, list[tuple[str, str]]]] = {
    "registry/enterprises.csv": (
        "firms",
        "utf-8",
        [
            ("uscc", "str"),
            ("name", "str"),
            ("region_code", "str"),
            ("industry_code", "str"),
            ("established_on", "date"),
            ("size_class", "str"),
        ],
    ),
    "tax/vat_declarations.csv": (
        "vat_declarations",
        "utf-8",
        [
            ("uscc", "str"),
            ("period", "str"),
            ("version", "int"),
            ("taxable_sales", "money"),
            ("tax_payable", "money"),
            ("tax_paid", "money"),
            ("is_zero", "bool"),
            ("due_date", "date"),
            ("filed_on", "date"),
            ("received_at", "time"),
        ],
    ),
    "tax/cit_annual.csv": (
        "cit_annual",
        "utf-8",
        [
            ("uscc", "str"),
            ("year", "int"),
            ("revenue", "money"),
            ("profit_total", "money"),
            ("tax_payable", "money"),
            ("tax_paid", "money"),
            ("due_date", "date"),
            ("filed_on", "date"),
            ("received_at", "time"),
        ],
    ),
    "tax/credit_grades.csv": (
        "credit_grades",
        "utf-8",
        [
            ("uscc", "str"),
            ("year", "int"),
            ("grade", "str"),
            ("score", "float"),
            ("rule_set", "str"),
            ("evaluated_on", "date"),
            ("received_at", "time"),
        ],
    ),
    "tax/arrears.csv": (
        "tax_arrears",
        "utf-8",
        [
            ("arrear_id", "str"),
            ("uscc", "str"),
            ("tax_type", "str"),
            ("period", "str"),
            ("amount", "money"),
            ("arisen_on", "date"),
            ("cleared_on", "date"),
            ("received_at", "time"),
        ],
    ),
    "social_insurance/monthly.csv": (
        "social_insurance",
        "utf-8",
        [
            ("uscc", "str"),
            ("period", "str"),
            ("insured_headcount", "int"),
            ("contribution_base", "money"),
            ("contribution_due", "money"),
            ("contribution_paid", "money"),
            ("arrears", "money"),
            ("received_at", "time"),
        ],
    ),
    "housing_fund/monthly.csv": (
        "housing_fund",
        "utf-8",
        [
            ("uscc", "str"),
            ("period", "str"),
            ("depositors", "int"),
            ("deposit_due", "money"),
            ("deposit_paid", "money"),
            ("arrears", "money"),
            ("received_at", "time"),
        ],
    ),
    "utilities/monthly.jsonl": (
        "utilities",
        "utf-8",
        [
            ("uscc", "str"),
            ("period", "str"),
            ("utility", "str"),
            ("unit", "str"),
            ("consumption", "int"),
            ("billed", "money"),
            ("due_date", "date"),
            ("paid_on", "date"),
            ("auto_debit", "bool"),
            ("received_at", "time"),
        ],
    ),
    "public_credit/list_entries.csv": (
        "public_credit",
        "gb18030",
        [
            ("entry_id", "str"),
            ("uscc", "str"),
            ("list_type", "str"),
            ("reason", "str"),
            ("authority", "str"),
            ("listed_on", "date"),
            ("removed_on", "date"),
            ("received_at", "time"),
        ],
    ),
    "lending/applications.csv": (
        "applications",
        "utf-8",
        [
            ("application_id", "str"),
            ("bank_code", "str"),
            ("product_code", "str"),
            ("uscc", "str"),
            ("applied_on", "date"),
            ("amount_requested", "money"),
            ("decision", "str"),
            ("decided_on", "date"),
            ("reason", "str"),
        ],
    ),
    "lending/loans.csv": (
        "loans",
        "utf-8",
        [
            ("contract_no", "str"),
            ("bank_code", "str"),
            ("product_code", "str"),
            ("uscc", "str"),
            ("principal", "money"),
            ("rate", "float"),
            ("start_date", "date"),
            ("maturity_date", "date"),
            ("term_months", "int"),
            ("repayment_style", "str"),
        ],
    ),
    "lending/loan_events.csv": (
        "loan_events",
        "utf-8",
        [
            ("event_id", "str"),
            ("bank_code", "str"),
            ("contract_no", "str"),
            ("event_type", "str"),
            ("event_date", "date"),
            ("amount", "money"),
            ("dpd", "int"),
        ],
    ),
}


def format_column(values: np.ndarray, kind: str) -> np.ndarray:
    """Format one column for a file, as a whole array."""
    values = np.asarray(values)
    if values.size == 0:
        return values.astype(str)
    if kind == "money":
        v = values.astype(np.int64)
        sign = np.where(v < 0, "-", "")
        a = np.abs(v)
        return np.char.add(
            np.char.add(np.char.add(sign, (a // 100).astype(str)), "."), np.char.zfill((a % 100).astype(str), 2)
        )
    if kind == "date":
        d = values.astype("datetime64[D]")
        return np.where(np.isnat(d), "", d.astype(str))
    if kind == "time":
        s = values.astype("datetime64[s]")
        return np.where(np.isnat(s), "", np.char.add(s.astype(str), "+00:00"))
    if kind == "bool":
        return np.where(values.astype(bool), "1", "0")
    if kind == "float":
        return np.char.mod("%.2f", values.astype(float))
    return values.astype(str)


def _table(province: Province, name: str) -> dict[str, np.ndarray]:
    return province.firms if name == "firms" else province.tables[name]


def write_province(province: Province, out_dir: Path, *, progress: bool = False) -> dict:
    """Write every file and ``manifest.json`` (row counts, encodings, SHA-256, summary); return the manifest."""
    out_dir = Path(out_dir)
    manifest: dict = {
        "params": {
            "firms": province.params.firms,
            "months": province.params.months,
            "seed": province.params.seed,
            "end": f"{province.params.end[0]:04d}-{province.params.end[1]:02d}",
            "application_rate": province.params.application_rate,
            "as_of": province.params.as_of.isoformat(),
            "faults": province.params.faults,
        },
        "files": {},
    }
    bar = tqdm(FILES.items(), desc="writing province", unit="file", disable=not progress)
    for rel, (table, encoding, columns) in bar:
        bar.set_postfix_str(rel)
        data = _table(province, table)
        cols = [format_column(data[c], kind) for c, kind in columns]
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        header = [c for c, _ in columns]
        rows = zip(*cols, strict=True)
        with open(path, "w", encoding=encoding, newline="") as fh:
            if rel.endswith(".jsonl"):
                typed = {c: kind for c, kind in columns}
                for row in rows:
                    rec = {
                        c: (
                            None
                            if v == ""
                            else (int(v) if typed[c] == "int" else v == "1" if typed[c] == "bool" else v)
                        )
                        for c, v in zip(header, row, strict=True)
                    }
                    fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            else:
                writer = csv.writer(fh, lineterminator="\n")
                writer.writerow(header)
                writer.writerows(rows)
        manifest["files"][rel] = {"rows": int(cols[0].shape[0]), "encoding": encoding, "sha256": _sha256(path)}
    (out_dir / "banks").mkdir(parents=True, exist_ok=True)
    with open(out_dir / "banks" / "banks.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, ["code", "name", "name_en"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(province.banks)
    (out_dir / "banks" / "products.json").write_text(
        json.dumps([product_document(p) for p in province.products], ensure_ascii=False, indent=2), encoding="utf-8"
    )
    for rel in ("banks/banks.csv", "banks/products.json"):
        manifest["files"][rel] = {"encoding": "utf-8", "sha256": _sha256(out_dir / rel)}
    manifest["summary"] = summarize(province)
    (out_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def summarize(province: Province) -> dict:
    """The documented properties: grade distribution, default rate, seasonality, fault counts."""
    grades = province.tables["credit_grades"]
    out: dict = {
        "firms": int(province.firms["uscc"].shape[0]),
        "window": f"{province.periods[0]}..{province.periods[-1]}",
    }
    if grades["year"].size:
        last = int(grades["year"].max())
        g = grades["grade"][grades["year"] == last]
        out["grade_year"] = last
        out["grade_share"] = {k: round(float((g == k).mean()), 3) for k in ("A", "B", "M", "C", "D")}
    mature = province.truth["loan_mature"]
    out["loans"] = int(mature.shape[0])
    out["loans_matured"] = int(mature.sum())
    if mature.any():
        out["default_rate_matured"] = round(float(province.truth["loan_defaulted_12m"][mature].mean()), 4)
    vat = province.tables["vat_declarations"]
    v1 = vat["version"] == 1
    month = np.char.ljust(np.char.rpartition(vat["period"][v1].astype(str), "-")[:, 2], 2)
    sales = vat["taxable_sales"][v1]
    qend = np.isin(month, ["03", "06", "09", "12"])
    if qend.any() and (~qend).any():
        out["quarter_end_sales_ratio"] = round(float(sales[qend].mean() / sales[~qend].mean()), 3)
    out["zero_declaration_share"] = round(float(vat["is_zero"][v1].mean()), 4)
    out["faults"] = province.truth.get("faults", {})
    return out
