"""Reading an edition a page at a time in SQL: the pages cover the edition once, every sort equals Python's
sort of the same entries, search and filters hold across pages, withdrawn firms stay out (and the ranks
close up), the audit names only the firms on the page, and the API pages only when asked."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from bank_tax.consent import service as consents
from bank_tax.matching import reading, service
from bank_tax.security.models import AuditEvent
from bank_tax.security.roles import Principal, Role
from tests import factories
from tests.matching.editions import firms, stored_edition

N = 23


@pytest.fixture
def world(session):
    """A bank's edition of N firms: all consent but the 6th (never did) and the 10th (revoked)."""
    bank, other = factories.bank(session), factories.bank(session)
    fs = firms(session, N)
    held = {}
    for i, f in enumerate(fs):
        if i != 5:
            held[f.uscc] = factories.consent(session, uscc=f.uscc, bank_code=bank.code, purpose="pre_screen")
    edition = stored_edition(session, bank.code, [f.uscc for f in fs])
    gone = fs[9]
    consents.revoke(
        session,
        uscc=gone.uscc,
        consent_id=held[gone.uscc].id,
        actor=Principal(0, "firm", Role.ENTERPRISE, uscc=gone.uscc),
        reason="",
    )
    session.flush()
    return bank, other, fs, edition


def _all_pages(session, edition, per_page, **query):
    first = reading.read(session, edition, per_page=per_page, **query)
    out = list(first["entries"])
    for p in range(2, first["pages"] + 1):
        out += reading.read(session, edition, page=p, per_page=per_page, **query)["entries"]
    return first, out


def test_pages_cover_the_shown_entries_once_in_rank_order(session, world):
    _, _, fs, edition = world
    whole = reading.read(session, edition)
    shown = [f.uscc for i, f in enumerate(fs) if i not in (5, 9)]
    assert [e["uscc"] for e in whole["entries"]] == shown
    assert [e["rank"] for e in whole["entries"]] == list(range(1, N - 1))  # ranks close up over the gaps
    assert whole["total"] == N - 2 and whole["withdrawn"] == 2 and whole["per_page"] is None
    first, out = _all_pages(session, edition, 5)
    assert (first["total"], first["pages"], first["page"], len(first["entries"])) == (N - 2, 5, 1, 5)
    assert out == whole["entries"]
    last = reading.read(session, edition, page=5, per_page=5)
    assert len(last["entries"]) == 1 and last["page"] == 5
    assert reading.read(session, edition, page=99, per_page=5) == last  # past the end: the last page
    exact = reading.read(session, edition, per_page=N - 2)
    assert exact["pages"] == 1 and len(exact["entries"]) == N - 2
    assert reading.read(session, edition, page=2)["per_page"] == reading.PER_PAGE  # a page implies paging


@pytest.mark.parametrize("sort", reading.SORTS)
@pytest.mark.parametrize("order", reading.ORDERS)
def test_every_sort_equals_pythons_sort_of_the_same_entries(session, world, sort, order):
    _, _, _, edition = world
    field = {"name": "name", "region": "region_code", "industry": "industry_code"}.get(sort, sort)
    expected = sorted(reading.read(session, edition)["entries"], key=lambda e: e["rank"])
    expected.sort(key=lambda e: e[field], reverse=order == "desc")  # stable: ties stay in rank order
    _, out = _all_pages(session, edition, 4, sort=sort, order=order)
    assert [e["uscc"] for e in out] == [e["uscc"] for e in expected]


def test_search_by_a_fragment_of_the_name_or_the_uscc(session, world):
    _, _, fs, edition = world
    by_name = reading.read(session, edition, q="宁波港航")["entries"]
    assert by_name and all("宁波港航" in e["name"] for e in by_name)
    assert {e["uscc"] for e in by_name} == {
        f.uscc for i, f in enumerate(fs) if "宁波港航" in f.name and i not in (5, 9)
    }
    assert {e["name"] for e in reading.read(session, edition, q="ACME")["entries"]} >= {"acme lowercase 贸易有限公司"}
    target = fs[12].uscc
    assert [e["uscc"] for e in reading.read(session, edition, q=target[-9:].lower())["entries"]] == [target]
    # LIKE's wildcards are plain characters
    assert all("%" in e["name"] for e in reading.read(session, edition, q="100%")["entries"])
    assert all("_" in e["name"] for e in reading.read(session, edition, q="纯_")["entries"])
    assert reading.read(session, edition, q="%")["total"] < N - 2
    # a withdrawn firm is not found either
    assert reading.read(session, edition, q=fs[9].uscc)["total"] == 0


def test_filters_hold_on_every_page_and_in_the_count(session, world):
    _, _, _, edition = world
    whole = reading.read(session, edition)["entries"]
    query = {"region": "3301", "min_limit": 200_000, "sort": "limit", "order": "desc"}
    first, out = _all_pages(session, edition, 2, **query)
    expected = [e for e in whole if e["region_code"].startswith("3301") and e["limit"] >= 200_000]
    assert first["total"] == len(expected) and len(out) == len(expected)
    assert {e["uscc"] for e in out} == {e["uscc"] for e in expected}
    assert [e["limit"] for e in out] == sorted((e["limit"] for e in expected), reverse=True)
    grade = whole[0]["grade"]
    assert {e["grade"] for e in reading.read(session, edition, grade=grade)["entries"]} == {grade}


def test_a_page_read_is_audited_with_the_firms_on_it_only(session, world):
    bank, _, _, edition = world
    officer = Principal(1, "officer", Role.BANK_OFFICER, bank_code=bank.code)
    body = service.delivered_view(session, edition, actor=officer, format="page", page=2, per_page=5, sort="name")
    event = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "whitelist.read").order_by(AuditEvent.id.desc())
    ).first()
    details = json.loads(event.details)
    assert details["usccs"] == [e["uscc"] for e in body["entries"]] and len(details["usccs"]) == 5
    assert details | {"usccs": None} == {
        "firms": 5,
        "format": "page",
        "page": 2,
        "per_page": 5,
        "total": N - 2,
        "usccs": None,
    }
    assert event.bank_code == bank.code and event.resource == f"whitelists/{edition.id}"


def test_change_counts_equal_the_diffs_lists(session, world):
    bank, _, fs, edition = world
    usccs = [f.uscc for f in fs]
    later = stored_edition(session, bank.code, usccs[3:] + [usccs[0]], limit_of=lambda i: 100_000 * (1 + i % 2))
    diff = service.diff(session, later)
    counts = service.change_counts(session, later)
    assert counts == {k: len(diff[k]) for k in ("new", "dropped", "changed")}
    assert counts["dropped"] == 2 and counts["changed"] > 0  # fs[1], fs[2]: fs[0] moved, fs[5], fs[9] hidden
    assert service.change_counts(session, edition) == {"new": N - 2, "dropped": 0, "changed": 0}


def test_the_api_pages_sorts_and_searches_when_asked_and_refuses_bad_parameters(client, session, world):
    bank, other, fs, edition = world
    headers, _ = factories.auth(session, "bank_officer", bank_code=bank.code)
    url = f"/api/v1/banks/{bank.code}/whitelists/latest"
    whole = client.get(url, headers=headers).get_json()
    assert len(whole["entries"]) == whole["firms"] == whole["total"] == N - 2 and whole["per_page"] is None
    page = client.get(f"{url}?page=2&per_page=4&sort=limit&order=desc", headers=headers).get_json()
    assert (page["page"], page["pages"], page["firms"], page["total"]) == (2, 6, 4, N - 2)
    expected = sorted(whole["entries"], key=lambda e: e["limit"], reverse=True)[4:8]
    assert [e["uscc"] for e in page["entries"]] == [e["uscc"] for e in expected]
    found = client.get(f"{url}?q={fs[12].uscc}", headers=headers).get_json()
    assert [e["uscc"] for e in found["entries"]] == [fs[12].uscc]
    csv = client.get(f"{url}?format=csv&per_page=2", headers=headers).get_data(as_text=True)
    assert len(csv.strip().splitlines()) == 3  # the header and the page's two
    for bad in ("page=0", "per_page=201", "per_page=x", "sort=pd", "order=up", "q=" + "x" * 61):
        answer = client.get(f"{url}?{bad}", headers=headers)
        assert answer.status_code == 422, bad
        assert bad.split("=")[0] in answer.get_json()["errors"], answer.get_json()
    outsider, _ = factories.auth(session, "bank_officer", bank_code=other.code)
    assert client.get(f"{url}?page=1", headers=outsider).status_code == 403
    assert client.get(f"/api/v1/banks/{other.code}/whitelists/{edition.id}?page=1", headers=outsider).status_code == 404
