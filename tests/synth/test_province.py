"""The synthetic province: deterministic for a seed, in the documented formats, with the documented properties."""

import csv
import io
import json

import numpy as np
import pytest

from bank_tax.enterprises import reference, uscc
from bank_tax.synth import names
from bank_tax.synth.province import SynthParams, generate
from bank_tax.synth.writers import FILES, summarize, write_province

END = "2026-09"


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("province")
    province = generate(SynthParams.make(firms=300, months=36, seed=11, end_period=END))
    return province, write_province(province, out), out


@pytest.fixture(scope="module")
def large():
    """Enough firms for the distributions to be stable (about a second to simulate)."""
    return generate(SynthParams.make(firms=3000, months=36, seed=5, end_period=END))


def test_deterministic_for_a_seed(small, tmp_path):
    _, manifest, _ = small
    again = write_province(generate(SynthParams.make(firms=300, months=36, seed=11, end_period=END)), tmp_path / "a")
    assert {k: v["sha256"] for k, v in again["files"].items()} == {k: v["sha256"] for k, v in manifest["files"].items()}
    other = write_province(generate(SynthParams.make(firms=300, months=36, seed=12, end_period=END)), tmp_path / "b")
    assert (
        other["files"]["tax/vat_declarations.csv"]["sha256"] != manifest["files"]["tax/vat_declarations.csv"]["sha256"]
    )


def _read(out, rel):
    table, encoding, columns = FILES[rel]
    text = (out / rel).read_bytes().decode(encoding)  # GB18030 files must decode as GB18030
    if rel.endswith(".jsonl"):
        rows = [json.loads(line) for line in text.splitlines()]
        assert all(list(r) == [c for c, _ in columns] for r in rows)
        return rows
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == [c for c, _ in columns]
    return list(reader)


def test_every_file_is_in_its_documented_format(small):
    _, manifest, out = small
    for rel in FILES:
        rows = _read(out, rel)
        assert len(rows) == manifest["files"][rel]["rows"]
    assert manifest["files"]["public_credit/list_entries.csv"]["encoding"] == "gb18030"
    raw = (out / "public_credit/list_entries.csv").read_bytes()
    assert "市场监督管理局" in raw.decode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # really GB18030, as agencies send it, not UTF-8 under another name
    products = json.loads((out / "banks/products.json").read_text(encoding="utf-8"))
    banks = list(csv.DictReader(io.StringIO((out / "banks/banks.csv").read_text(encoding="utf-8"))))
    assert {p["bank_code"] for p in products} == {b["code"] for b in banks}


def test_registry_codes_are_valid_and_unique(small):
    province, _, _ = small
    codes = province.firms["uscc"]
    assert uscc.check_many(codes).all()
    assert len(set(codes.tolist())) == codes.shape[0]


def test_every_firm_is_in_a_real_county_of_its_city(small, large):
    """Region codes come from the shipped GB/T 2260 list, not a made-up suffix; the name's city is the code's city."""
    current = {code for code, _ in reference.divisions("33")}
    for province in (small[0], large):
        firms = province.firms
        regions = firms["region_code"].tolist()
        assert set(regions) <= current
        assert all(reference.region_problem(r) is None for r in set(regions))
        for region, name in zip(regions, firms["name"].tolist(), strict=True):
            assert name.startswith(names.CITIES[region[:4]][0])
        assert [u[2:8] for u in firms["uscc"].tolist()] == regions  # the USCC carries the same division
    # 3000 firms reach every city, and most of the counties of the big ones
    seen = set(large.firms["region_code"].tolist())
    assert {r[:4] for r in seen} == set(names.CITIES)
    assert len({r for r in seen if r.startswith("3301")}) == len(names.counties("3301")) == 13


def test_injected_faults_are_exactly_what_the_manifest_says(small):
    province, manifest, out = small
    faults = manifest["summary"]["faults"]
    rows = _read(out, "tax/vat_declarations.csv")
    codes = np.array([r["uscc"] for r in rows])
    assert int((~uscc.check_many(codes)).sum()) == faults["vat_bad_uscc"]
    assert sum(r["taxable_sales"].startswith("-") for r in rows) == faults["vat_negative_amount"]
    assert sum(r["period"].endswith("-13") for r in rows) == faults["vat_bad_period"]
    keys = [tuple(r.values()) for r in rows]
    assert len(keys) - len(set(keys)) == faults["vat_duplicates"]


def test_nothing_is_received_after_the_snapshot(small):
    province, _, _ = small
    as_of = np.datetime64(province.params.as_of.isoformat()).astype("datetime64[s]")
    for name, table in province.tables.items():
        if "received_at" in table:
            assert (table["received_at"] <= as_of).all(), name


def test_corrections_are_later_versions(small):
    province, _, _ = small
    vat = province.tables["vat_declarations"]
    v2 = np.nonzero(vat["version"] == 2)[0]
    assert v2.size > 0
    first = {
        (u, p): r
        for u, p, r, v in zip(vat["uscc"], vat["period"], vat["received_at"], vat["version"], strict=True)
        if v == 1
    }
    assert all(
        vat["received_at"][i] > first[(vat["uscc"][i], vat["period"][i])]
        for i in v2
        if (vat["uscc"][i], vat["period"][i]) in first
    )


def test_list_removals_arrive_as_later_versions(small):
    province, _, _ = small
    pc = province.tables["public_credit"]
    removed = ~np.isnat(pc["removed_on"])
    for entry in pc["entry_id"][removed]:
        versions = np.nonzero(pc["entry_id"] == entry)[0]
        assert len(versions) == 2 and np.isnat(pc["removed_on"][versions[0]])


def test_grade_distribution(large):
    share = summarize(large)["grade_share"]
    assert 0.25 <= share["A"] <= 0.50
    assert 0.25 <= share["B"] <= 0.50
    assert 0.04 <= share["M"] <= 0.15
    assert 0.03 <= share["C"] <= 0.15
    assert 0.02 <= share["D"] <= 0.10


def test_default_rate(large):
    s = summarize(large)
    assert s["loans_matured"] > 300
    assert 0.04 <= s["default_rate_matured"] <= 0.15


def test_seasonality_quarter_end_peaks(large):
    assert summarize(large)["quarter_end_sales_ratio"] > 1.1
    assert 0.02 <= summarize(large)["zero_declaration_share"] <= 0.10


def _auc(score, y):
    ranks = np.empty(len(score))
    ranks[np.argsort(score, kind="stable")] = np.arange(1, len(score) + 1)
    pos, neg = y.sum(), (~y).sum()
    return (ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg)


def test_health_drives_default_but_not_perfectly(large):
    """The hidden health predicts default well (not perfectly), and the records carry part of that signal."""
    t = large.truth
    mature = t["loan_mature"]
    y = t["loan_defaulted_12m"][mature]
    firms, starts = t["loan_firm"][mature], t["loan_start_t"][mature]
    h = np.nan_to_num(large.health)
    oracle = np.array([h[i, s - 3 : s].mean() for i, s in zip(firms, starts, strict=True)])
    assert 0.75 <= _auc(-oracle, y) <= 0.95
    # A crude record-based score: late VAT filings in the 12 months before the loan.
    vat = large.tables["vat_declarations"]
    v1 = vat["version"] == 1
    late = vat["filed_on"][v1] > vat["due_date"][v1] + np.timedelta64(3, "D")
    idx = {c: i for i, c in enumerate(large.firms["uscc"])}
    firm_of = np.array([idx.get(c, -1) for c in vat["uscc"][v1]])
    period_idx = np.array([large.periods.index(p) if p in large.periods else -1 for p in vat["period"][v1]])
    from bank_tax.synth.province import BURN_IN

    counts = np.zeros(h.shape)
    ok = (firm_of >= 0) & (period_idx >= 0)
    np.add.at(counts, (firm_of[ok], period_idx[ok] + BURN_IN), late[ok])
    csum = np.concatenate([np.zeros((h.shape[0], 1)), np.cumsum(counts, axis=1)], axis=1)
    score = np.array([csum[i, s] - csum[i, max(s - 12, 0)] for i, s in zip(firms, starts, strict=True)])
    assert 0.55 <= _auc(score, y) < _auc(-oracle, y)
