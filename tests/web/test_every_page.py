"""Every page of every role, in a real browser, on a small demo province (its banks, consents, loans, a
score run and whitelists), in Chinese and in English: no snake_case key, no number in scientific
notation and no label left in the other language in what the reader sees, and no serious or critical
axe-core violation. The walk starts at each role's navigation and follows the links on its pages (one
page per kind of link), so a page added later is walked too. Screenshots go to
``test-artifacts/screenshots`` (``every-page-<role>-<page>.png``)."""

from __future__ import annotations

import datetime as dt
import re
import threading
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from bank_tax import clock
from bank_tax.bench import pages
from bank_tax.config import TestConfig
from bank_tax.db import db
from bank_tax.web.vendor import PACKAGES
from tests.conftest import fresh_database

pytestmark = pytest.mark.slow

FIRMS = 120
MAX_PAGES = 30  # per role: the walk's bound
SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
SCIENTIFIC = re.compile(r"\b\d+(?:\.\d+)?[eE][+-]?\d+\b")
CJK = re.compile(r"[\u3400-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
# words a Chinese page rightly shows in Latin letters
ZH_KEEPS = {"PSI", "CSV", "ROC", "AUC", "Excel", "English", "USCC", "API", "SHA", "JSON", "XLSX"}
LABELS = "h1, h2, h3, th[scope=col], label, dt, button, summary, legend, caption, figcaption, nav a"
SKIP = re.compile(r"/logout|/lang/|/api/|/assets/|format=(csv|xlsx|json)|/export|download|/receipt")


@pytest.fixture(scope="module")
def site(tmp_path_factory, fitted):
    """(base URL, app, {role: (username, password)}, the moment it was built): the demo site served over
    HTTP from a thread."""
    missing = [p.name for p in PACKAGES if not p.current()]
    if missing:
        pytest.fail(f"{missing} not fetched: make test runs python -m bank_tax.web.vendor")
    tmp = tmp_path_factory.mktemp("site")
    with fresh_database(tmp) as url:
        app, logins = pages.demo_site(tmp, firms=FIRMS, database_url=url, config=TestConfig, model=fitted.model)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        roles = {}
        for role, username, password in logins:
            roles.setdefault(role, (username, password))
        built = clock.now()  # the pages are read after the site was built, as its users would
        try:
            yield f"http://127.0.0.1:{server.server_port}", app, roles, built
        finally:
            server.shutdown()
            thread.join(timeout=10)
            db.engine_of(app).dispose()


def _kind(path: str) -> str:
    """Pages of one kind share a shape: /bank/applications/17 and /bank/applications/18 are one."""
    parts = urlsplit(path)
    return re.sub(r"/[0-9A-Z]{18}\b|/\d+", "/N", parts.path) + ("?" if parts.query else "")


def _read(page) -> dict:
    return page.evaluate(
        """(selector) => {
          // data (firm names, file names, codes) is marked translate="no" or <code>: not a label
          const data = e => e.closest('[translate=no], code');
          const copy = document.body.cloneNode(true);
          copy.querySelectorAll('[translate=no], code, script').forEach(e => e.remove());
          document.body.appendChild(copy);
          copy.hidden = false;
          const text = copy.innerText;
          copy.remove();
          return {
            text,
            labels: [...document.querySelectorAll(selector)].filter(e => !data(e)).map(e => {
              const label = e.cloneNode(true);
              label.querySelectorAll('[translate=no], code').forEach(d => d.remove());
              return label.textContent.replace(/\\s+/g, ' ').trim();
            }).filter(Boolean),
            links: [...document.querySelectorAll('main a[href]')].map(a => a.getAttribute('href')),
            charts: [...document.querySelectorAll('.echart')].map(e => !!e.querySelector('svg')),
          };
        }""",
        LABELS,
    )


def _problems(seen: dict, lang: str) -> list[str]:
    out = [f"snake_case {m!r}" for m in sorted(set(SNAKE.findall(seen["text"])))]
    out += [f"scientific notation {m!r}" for m in sorted(set(SCIENTIFIC.findall(seen["text"])))]
    for label in seen["labels"]:
        if lang == "zh" and not CJK.search(label):
            words = set(LATIN_WORD.findall(label)) - ZH_KEEPS
            if words:
                out.append(f"untranslated label {label!r}")
        if lang == "en" and CJK.search(label) and label != "中文":
            out.append(f"untranslated label {label!r}")
    if not all(seen["charts"]):
        out.append(f"a chart not drawn ({seen['charts'].count(False)} of {len(seen['charts'])})")
    return out


def _axe(page, base) -> list[str]:
    page.add_script_tag(url=f"{base}/assets/vendor/axe.min.js")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"axe {v['impact']} {v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _login(page, base, username, password):
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")


@pytest.mark.parametrize("role", ["enterprise", "bank_officer", "bank_admin", "analyst", "operator", "admin"])
def test_every_page_reads_in_its_language_and_passes_axe(chromium, site, shot, role):
    base, app, roles, built = site
    with clock.travel(built + dt.timedelta(minutes=1)):  # each test starts at the suite's moment: before it
        _walk(chromium, base, app, roles, shot, role)


def _walk(chromium, base, app, roles, shot, role):
    if role not in roles:
        pytest.fail(f"the demo has no {role} login")
    username, password = roles[role]
    start = pages.role_pages(app, role, username)
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _login(page, base, username, password)
    todo, kinds, walked, problems = list(start), set(), [], []
    while todo and len(walked) < MAX_PAGES:
        path = todo.pop(0)
        if _kind(path) in kinds or SKIP.search(path):
            continue
        kinds.add(_kind(path))
        answer = page.goto(f"{base}{path}")
        assert answer is not None and answer.status == 200, (path, answer and answer.status)
        page.wait_for_load_state("load")
        walked.append(path)
        if path == "/bank/whitelist":  # the demo's banks have firms on their whitelists
            assert page.locator("tr[data-uscc]").count() > 0
        zh = _read(page)
        problems += [f"{path} [zh] {p}" for p in _problems(zh, "zh") + _axe(page, base)]
        shot(page, f"{role}-{re.sub(r'[^a-z0-9]+', '-', path.lower()).strip('-') or 'home'}")
        page.goto(f"{base}/lang/en")
        page.goto(f"{base}{path}")
        problems += [f"{path} [en] {p}" for p in _problems(_read(page), "en")]
        page.goto(f"{base}/lang/zh")
        for href in zh["links"]:
            if href.startswith("/") and not href.startswith("//"):
                todo.append(href)
    context.close()
    assert len(walked) >= len({_kind(p) for p in start}), walked
    assert not problems, "\n".join(problems)
    assert not [e for e in errors if "Content Security Policy" in e], errors
