"""Page timings on the demo province: every page of every role, rendered through the app (a logged-in
session, the test client: no network) N times; median and worst time per page against the 200 ms
budget, beside the home page of the same app as the floor.

The province is the one ``make run`` serves (``DEMO_FIRMS`` firms × ``DEMO_MONTHS`` months, its banks,
products, consents, applications and loans), with a champion trained on it, a score run and each bank's
whitelist, in a throwaway SQLite database.
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
from pathlib import Path

BUDGET_MS = 200.0
REPEATS = 15
TRAINING_FIRMS = 3000


def demo_site(tmp: Path, *, firms: int | None = None, database_url: str | None = None, config=None, model=None):
    """(app, logins): the demo province, a champion, a score run and whitelists in ``tmp`` (a throwaway
    SQLite database there unless ``database_url`` names an empty one). ``firms`` makes a smaller
    province than the demo's; ``model`` is a fitted champion to use instead of training one."""
    import sqlalchemy as sa

    from bank_tax import clock, create_app, demo, migrate
    from bank_tax.banks.models import Bank
    from bank_tax.batch import daily, runner
    from bank_tax.db import db
    from bank_tax.modelling import service
    from bank_tax.synth.province import SynthParams, generate
    from bank_tax.synth.writers import write_province

    url = database_url or f"sqlite:///{tmp / 'pages.sqlite'}"
    migrate.upgrade(url)
    args = (config,) if config is not None else ()
    app = create_app(*args, instance_path=str(tmp / "instance"), DATABASE_URL=url, MODEL_DIR=str(tmp / "models"))
    cfg = app.config
    params = SynthParams.make(
        firms=firms or cfg["DEMO_FIRMS"], months=cfg["DEMO_MONTHS"], seed=cfg["DEMO_SEED"], application_rate=0.25
    )
    out = tmp / "province"
    write_province(generate(params), out)
    with app.app_context():
        with db.scope() as s:
            logins = demo.load(s, out, seed=cfg["DEMO_SEED"])
        # the demo has too few matured loans to train on: a champion from a training province, as make run
        if model is None:
            fitted, card = service.train_on_synthetic(firms=TRAINING_FIRMS, months=48, seed=7)
            model = fitted.model
        else:
            card = {"data": {"source": "a fitted model handed in"}, "evaluation": {}}
        reg = service.registry()
        reg.promote(reg.register(model, card))
        with db.scope() as s:
            runner.run("scores", session=s, as_of=clock.now())
            for code in s.scalars(sa.select(Bank.code)):
                daily.whitelist(s, bank_code=code, actor=None, trigger="bench")
    return app, logins


def role_pages(app, role: str, username: str) -> list[str]:
    """The pages of ``role``: its navigation, plus one object page each where it has one."""
    import sqlalchemy as sa

    from bank_tax.db import db
    from bank_tax.lending.models import Application
    from bank_tax.security.models import User
    from bank_tax.web.i18n import NAVIGATION

    with app.test_request_context():
        from flask import url_for

        pages = [url_for(endpoint) for endpoint, _ in NAVIGATION[role]]
        with db.scope() as s:
            user = s.scalar(sa.select(User).where(User.username == username))
            if role in ("bank_officer", "bank_admin"):
                app_id = s.scalar(
                    sa.select(Application.id).where(Application.bank_code == user.bank_code).order_by(Application.id)
                )
                if app_id:
                    pages.append(url_for("workbench.application", application_id=app_id))
            if role in ("analyst", "admin"):
                pages.append(url_for("dashboard.model_card", version="champion"))
    return pages


def run(repeats: int = REPEATS) -> list[dict]:
    """Time every page of every demo role; print the table; return its rows."""
    with tempfile.TemporaryDirectory(prefix="bank-tax-pages-") as tmp:
        print("building the demo province for the page timings …", flush=True)
        app, logins = demo_site(Path(tmp))
        rows, seen = [], set()
        for role, username, password in logins:
            if role in seen:
                continue
            seen.add(role)
            client = app.test_client()
            page = client.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            client.post("/login", data={"username": username, "password": password, "csrf_token": token})
            for path in ["/", *role_pages(app, role, username)]:
                times, status = [], None
                for _ in range(repeats + 1):
                    t0 = time.perf_counter()
                    answer = client.get(path)
                    times.append((time.perf_counter() - t0) * 1000)
                    status = answer.status_code
                times = times[1:]  # the first warms caches
                rows.append(
                    {
                        "role": role,
                        "page": path,
                        "status": status,
                        "median_ms": round(statistics.median(times), 1),
                        "max_ms": round(max(times), 1),
                    }
                )
    print(f"\npages on the demo province (median and worst of {repeats}; budget {BUDGET_MS:.0f} ms)")
    print(f"{'role':<14}{'page':<44}{'status':>7}{'median':>9}{'worst':>9}  within")
    for r in rows:
        ok = "yes" if r["max_ms"] <= BUDGET_MS and r["status"] == 200 else "NO"
        print(f"{r['role']:<14}{r['page']:<44}{r['status']:>7}{r['median_ms']:>9.1f}{r['max_ms']:>9.1f}  {ok}")
    return rows
