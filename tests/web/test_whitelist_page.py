"""The officer's whitelist page over a stored edition: a page at a time with its count, numbered links and
column sorts that keep the filters, the search, field errors for bad parameters (never a 500), one line a
firm name, both languages; another bank's edition and a withdrawn firm never on it."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from bank_tax.consent import service as consents
from bank_tax.security.roles import Principal, Role
from tests import factories
from tests.factories import PASSWORD
from tests.matching.editions import firms, stored_edition

N = 27


def _login(client, user):
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": csrf})
    assert answer.status_code == 302


@pytest.fixture
def world(session):
    bank, other = factories.bank(session), factories.bank(session)
    fs = firms(session, N)
    held = [factories.consent(session, uscc=f.uscc, bank_code=bank.code, purpose="pre_screen") for f in fs]
    stored_edition(session, bank.code, [f.uscc for f in fs])
    session.flush()
    return bank, other, fs, held


@pytest.fixture
def officer(client, session, world):
    bank = world[0]
    _login(client, factories.user(session, "bank_officer", bank_code=bank.code))
    return client


def _get(client, query: str = "") -> str:
    answer = client.get(f"/bank/whitelist{query}")
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    return answer.get_data(as_text=True)


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr data-uscc="([^"]+)">', page)


def _links(page: str, within: str) -> dict[str, dict]:
    """The links of the part of the page whose tag opens with ``within``: text → query parameters."""
    part = page[page.index(within) :]
    part = part[: part.index("</" + re.match(r"<(\w+)", within).group(1) + ">")]
    out = {}
    for href, text in re.findall(r'<a[^>]*href="([^"]+)"[^>]*>(.*?)</a>', part, flags=re.S):
        out[re.sub(r"<[^>]+>", "", text).strip()] = {
            k: v[0] for k, v in parse_qs(urlsplit(html.unescape(href)).query).items()
        }
    return out


def test_the_first_page_counts_the_edition_and_links_the_others(officer, world):
    _, _, fs, _ = world
    page = _get(officer, "?per_page=10")
    assert _rows(page) == [f.uscc for f in fs[:10]]
    assert "共 27 户 · 第 1/3 页" in page
    links = _links(page, '<nav class="pager"')
    assert set(links) == {"1", "2", "3", "下一页"} and links["下一页"]["page"] == "2"
    assert 'aria-current="page"' in page and "上一页" not in page
    last = _get(officer, "?per_page=10&page=3")
    assert _rows(last) == [f.uscc for f in fs[20:]] and "第 3/3 页" in last and "下一页" not in last
    assert _rows(_get(officer, "?per_page=10&page=9")) == _rows(last)  # past the end: the last page
    assert len(_rows(_get(officer))) == 27 and "第 1/1 页" in _get(officer)  # 50 a page by default


def test_page_links_and_sorts_keep_the_filters_and_the_search(officer, world):
    query = "?q=有限公司&region=3301&min_limit=150000&sort=limit&order=desc&per_page=2"
    page = _get(officer, query)
    kept = {"q": "有限公司", "region": "3301", "min_limit": "150000", "per_page": "2"}
    nxt = _links(page, '<nav class="pager"')["下一页"]
    assert nxt == {**kept, "sort": "limit", "order": "desc", "page": "2"}
    heads = _links(page, "<thead>")
    assert heads["建议额度 ▼"] == {**kept, "sort": "limit", "order": "asc"}  # toggles
    assert heads["企业"] == {**kept, "sort": "name", "order": "asc"} and "page" not in heads["企业"]
    assert re.search(r'<th scope="col" aria-sort="descending">\s*<a[^>]*>建议额度', page)
    assert page.count("aria-sort=") == 1
    # the form carries the sort along with a new filter
    assert '<input type="hidden" name="sort" value="limit">' in page
    assert '<input type="hidden" name="order" value="desc">' in page


def test_the_sorted_pages_are_the_sorted_edition(officer, world):
    _, _, fs, _ = world
    seen = []
    for p in (1, 2, 3):
        seen += _rows(_get(officer, f"?sort=name&order=desc&per_page=10&page={p}"))
    by_name = sorted(fs, key=lambda f: f.name, reverse=True)  # stable: ties in rank order
    assert seen == [f.uscc for f in by_name]


@pytest.mark.parametrize(
    "query, field",
    [
        ("page=0", "page"),
        ("page=x", "page"),
        ("per_page=201", "per_page"),
        ("sort=pd", "sort"),
        ("order=sideways", "order"),
        ("min_limit=abc", "min_limit"),
        ("region=zz", "region"),
        ("grade=R9", "grade"),
    ],
)
def test_bad_parameters_are_shown_at_their_fields_over_the_first_page(officer, world, query, field):
    page = _get(officer, "?" + query)
    assert f'id="err-{field}"' in page and 'role="alert"' in page
    assert len(_rows(page)) == 27 and "第 1/1 页" in page  # the unfiltered first page, still served


def test_a_firm_name_is_one_line_with_its_full_name_in_the_title_and_the_uscc_below(officer, world):
    _, _, fs, _ = world
    page = _get(officer, "?per_page=1")
    long_name = fs[0].name
    assert f'class="firm-name" title="{long_name}"' in page
    assert f'<small class="uscc">{fs[0].uscc}</small>' in page
    answer = officer.get("/assets/site.css")
    css = answer.get_data(as_text=True)
    answer.close()
    block = css[css.index("/* whitelist */") :]
    assert "white-space: nowrap" in block and "text-overflow: ellipsis" in block


def test_the_page_speaks_english_when_asked(officer, world):
    officer.get("/lang/en")
    page = _get(officer, "?per_page=10&page=2")
    assert "27 firms · page 2 of 3" in page and "Previous" in page and "Next" in page
    assert "Search (name or USCC)" in page and "Per page" in page and "共" not in page


def test_a_withdrawn_firm_is_not_shown_nor_found_and_the_count_drops(officer, session, world):
    _, _, fs, held = world
    gone = fs[4]
    consents.revoke(
        session,
        uscc=gone.uscc,
        consent_id=held[4].id,
        actor=Principal(0, "f", Role.ENTERPRISE, uscc=gone.uscc),
        reason="",
    )
    session.flush()
    page = _get(officer, "?per_page=10")
    assert gone.uscc not in page and "共 26 户" in page and "已撤回授权: 1" in page
    assert _rows(page)[4] == fs[5].uscc and re.search(rf'data-uscc="{fs[5].uscc}">\s*<td>5</td>', page)
    found = _get(officer, f"?q={gone.uscc}")
    assert _rows(found) == [] and "共 0 户" in found and "没有符合条件的企业" in found


def test_another_banks_officer_never_sees_the_edition(client, session, world):
    _, other, fs, _ = world
    _login(client, factories.user(session, "bank_officer", bank_code=other.code))
    page = _get(client)
    assert "本行尚无白名单" in page and not any(f.uscc in page for f in fs)
    stored_edition(session, other.code, [fs[0].uscc])  # its own edition: fs[0] has consented to the first bank only
    session.flush()
    page = _get(client)
    assert not any(f.uscc in page for f in fs) and "共 0 户" in page and "已撤回授权: 1" in page
