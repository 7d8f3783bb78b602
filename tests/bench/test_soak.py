"""``make soak``'s isolation check: planted violations in a recorded trace are flagged (consent per bank,
purpose and category, ownership by status, other banks' objects in bodies, audit), and a short real
two-bank run on PostgreSQL passes every check."""

from __future__ import annotations

import json

import pytest

from bank_tax.bench import isolation
from bank_tax.bench.isolation import Grant, Read, Revoke, Unknown
from tests.conftest import backend

A, B, F, G = "BANKA", "BANKB", "91330100MA2AAAAA01", "91330100MA2BBBBB02"


def owned() -> isolation.Owned:
    return isolation.Owned(
        banks=(A, B),
        marks={A: "SOAKA", B: "SOAKB"},
        applications={A: {1, 2}, B: {3, 4}},
        contracts={A: {"CA-1"}, B: {"CB-1"}},
        editions={A: {10}, B: {11}},
        consents={
            100: (A, False, "underwriting"),
            101: (B, False, "underwriting"),
            102: (None, True, "pre_screen"),
        },
    )


def profile(bank, status, purpose="underwriting", firm=F, **kw):
    return Read("firm profile", bank, status, firm=firm, purpose=purpose, **kw)


def test_a_read_after_the_revocation_is_flagged_and_one_before_is_not():
    trace = [
        profile(A, 403),
        Grant(F, 100, A, False, "underwriting", ("tax",)),
        profile(A, 200),
        Revoke(F, 100),
        profile(A, 403),
        profile(A, 200, request_id="late"),
    ]
    verdict = isolation.judge(trace)
    assert (
        len(verdict.violations) == 1
        and "late" in verdict.violations[0]
        and "without its consent" in verdict.violations[0]
    )
    assert verdict.judged == 4 and not verdict.unexpected
    assert verdict.counts[("firm profile", A)] == {"reads": 4, "allowed": 2, "refused": 2, "violations": 1}


def test_consent_is_per_bank_purpose_and_category():
    trace = [
        Grant(F, 100, A, False, "underwriting", ("tax",)),
        profile(B, 403),  # A's consent is not B's
        profile(B, 200, request_id="other-bank"),
        profile(A, 200, purpose="post_loan_monitoring", request_id="other-purpose"),
        Read("firm records", A, 200, firm=F, purpose="underwriting", category="tax", seen=("tax",)),
        Read("firm records", A, 200, firm=F, purpose="underwriting", category="social_insurance", request_id="cat"),
        # answered within the consent, but showing a category beyond it
        Read("firm score", A, 200, firm=F, purpose="underwriting", seen=("tax", "utilities"), request_id="shown"),
        profile(A, 200, firm=G, request_id="other-firm"),  # a consent of F is not G's
    ]
    verdict = isolation.judge(trace)
    flagged = sorted(v.split(" (")[1].split(",")[0] for v in verdict.violations)
    assert flagged == ["cat", "other-bank", "other-firm", "other-purpose", "shown"]


def test_an_all_banks_consent_serves_pre_screening_only():
    trace = [
        Grant(F, 102, None, True, "pre_screen", ("tax",)),
        profile(A, 200, purpose="pre_screen"),
        profile(B, 200, purpose="pre_screen"),
        profile(B, 200, purpose="underwriting", request_id="not-pre-screen"),
    ]
    verdict = isolation.judge(trace)
    assert len(verdict.violations) == 1 and "not-pre-screen" in verdict.violations[0]


def test_a_refusal_despite_consent_and_of_an_own_object_are_unexpected_not_violations():
    trace = [
        Grant(F, 100, A, False, "underwriting", ("tax",)),
        profile(A, 403),
        Read("application (own)", A, 404, owner=A),
    ]
    verdict = isolation.judge(trace)
    assert not verdict.violations and len(verdict.unexpected) == 2


def test_the_other_banks_object_answered_by_status_is_flagged():
    trace = [
        Read("application (other's id)", A, 404, owner=B),
        Read("other bank's path", A, 403, owner=B),
        Read("application (other's id)", A, 200, owner=B, request_id="leak"),
        Read("application (own)", A, 200, owner=A),
    ]
    verdict = isolation.judge(trace)
    assert len(verdict.violations) == 1 and "answered an object of bank BANKB" in verdict.violations[0]


def test_leaks_count_only_in_answered_reads():
    trace = [
        Read("queue", A, 200, owner=A, leaks=("bank BANKB's application 3",)),
        Read("queue", A, 500, owner=A, leaks=("ignored: not an answer",)),
    ]
    verdict = isolation.judge(trace)
    assert len(verdict.violations) == 1 and "carried bank BANKB's application 3" in verdict.violations[0]
    assert verdict.counts[("queue", A)]["errors"] == 1


def test_a_read_after_an_unanswered_grant_is_not_judged():
    trace = [Unknown(F, A), profile(A, 200), profile(B, 200, request_id="still-judged")]
    verdict = isolation.judge(trace)
    assert verdict.judged == 1 and len(verdict.violations) == 1 and "still-judged" in verdict.violations[0]


def body(doc) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode()


def test_scan_finds_the_other_banks_objects_in_a_body():
    world = owned()
    app_b = {"id": 3, "bank_code": B, "purpose_of_funds": "SOAKB 周转资金", "consent_id": 101, "uscc": F}
    found = isolation.scan(body([app_b]), bank=A, owned=world)
    assert any("mark" in f for f in found) and any("code" in f for f in found)
    assert any("application 3" in f for f in found) and any("consent 101" in f for f in found)
    assert isolation.scan(body([app_b]), bank=B, owned=world) == ()
    # without the bank's code or mark, still known by its id, contract or consent
    bare = {"id": 4, "purpose_of_funds": "x", "items": [{"contract_no": "CB-1"}, {"consent_id": 101}]}
    assert len(isolation.scan(body(bare), bank=A, owned=world)) == 3
    # a whitelist entry relying on an all-banks consent is anyone's; on B's own consent it is B's
    edition = {"id": 10, "bank_code": A, "entries": [{"uscc": F, "product_code": "P01", "consent_id": 102}]}
    assert isolation.scan(body(edition), bank=A, owned=world) == ()
    edition["entries"].append({"uscc": G, "product_code": "P01", "consent_id": 101})
    assert isolation.scan(body(edition), bank=A, owned=world) == ("consent 101 to bank BANKB",)
    # "BANKB" inside "BANKB2" is not bank BANKB: codes are matched as JSON strings
    assert isolation.scan(body({"name": "BANKB2"}), bank=A, owned=world) == ()


def test_scan_of_a_firm_read_flags_another_firm():
    world = owned()
    assert isolation.scan(body({"uscc": F, "name": "甲"}), bank=A, owned=world, firm=F) == ()
    assert isolation.scan(body([{"uscc": F}, {"uscc": G}]), bank=A, owned=world, firm=F) == (
        f"firm {G} in a read of firm {F}",
    )


def test_audit_gaps():
    world = owned()
    trace = [
        Grant(F, 100, A, False, "underwriting", ("tax",)),
        profile(A, 200, request_id="r1"),
        profile(A, 200, request_id="r2"),
        profile(A, 403, request_id="r3"),
    ]
    audits = {
        "r1": [{"bank": A, "uscc": F, "purpose": "underwriting", "consent_id": 100}],
        "x": [{"bank": A, "uscc": G, "purpose": "underwriting", "consent_id": 101}],  # B's consent
        "y": [{"bank": B, "uscc": G, "purpose": "pre_screen", "consent_id": 102}],  # all banks: fine
        "z": [{"bank": B, "uscc": G, "purpose": "underwriting", "consent_id": 102}],  # not for underwriting
    }
    gaps = isolation.audit_gaps(trace, audits, world)
    assert len(gaps) == 3
    assert "(r2)" in gaps[0] and "without its audit event" in gaps[0]
    assert "audit of x" in gaps[1] and "audit of z" in gaps[2]


@pytest.mark.slow
@pytest.mark.skipif(backend() != "postgresql", reason="the soak runs gunicorn on PostgreSQL: the PostgreSQL run only")
def test_a_short_two_bank_soak_passes_every_check(capsys):
    from bank_tax.bench import soak

    result = soak.run(6, 2, 3, 200, officers=1, products=3, applicants=16)
    out = capsys.readouterr().out
    assert all(result["checks"].values()), out
    assert not result["violations"] and not result["audit_gaps"] and result["judged"] > 0
    for bank in ("BENCH", "BENCH2"):  # both banks probed the other's objects, and were refused
        probes = [c for k, c in result["isolation"].items() if k.endswith(f"| {bank}") and "other" in k]
        assert probes and sum(c.get("refused", 0) for c in probes) > 0
    assert "isolation: reads by each officer" in out
