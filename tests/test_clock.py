"""The one clock: nothing else reads the wall clock; business dates are China's; the clock moves for
tests and a process started under a move reads the same moment."""

from __future__ import annotations

import ast
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bank_tax import clock, workdays

pytestmark = pytest.mark.dated

ROOT = Path(__file__).resolve().parents[1]
WALL_CLOCK_ATTRS = {"now", "utcnow", "today", "fromtimestamp", "utcfromtimestamp"}
WALL_CLOCK_OWNERS = {"datetime", "date", "dt", "func", "sa_func"}
# the only function allowed to read the machine's clock
ALLOWED = {("bank_tax/clock.py", "_wall")}


def wall_clock_reads(source: str, path: str) -> list[str]:
    """Every read of the wall clock in ``source``: ``datetime.now`` / ``utcnow`` / ``date.today`` (on any
    spelling of the module), SQL's ``func.now()``, ``time.time()`` and ``numpy.datetime64('now'|'today')``,
    outside :data:`ALLOWED`, and ``now().date()`` (UTC's date where China's is meant). Monotonic timers
    (``time.perf_counter``, ``time.monotonic``) are fine."""
    tree = ast.parse(source)
    found = []

    def owner_name(node) -> str | None:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):
            return node.attr
        return None

    def visit(node, function: str | None) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        if isinstance(node, ast.Call) and (path, function) not in ALLOWED:
            f = node.func
            hit = None
            if isinstance(f, ast.Attribute):
                owner = owner_name(f.value)
                if f.attr in WALL_CLOCK_ATTRS and owner in WALL_CLOCK_OWNERS:
                    hit = f"{owner}.{f.attr}()"
                elif f.attr in {"time", "time_ns", "localtime", "gmtime"} and owner == "time" and not node.args:
                    hit = f"time.{f.attr}()"
                elif f.attr == "datetime64" and node.args:
                    arg = node.args[0]
                    if isinstance(arg, ast.Constant) and arg.value in ("now", "today"):
                        hit = f"datetime64({arg.value!r})"
            elif isinstance(f, ast.Name) and f.id == "utcnow":
                hit = "utcnow()"
            if (  # now().date(): a UTC timestamp's date taken for a business date (China's is clock.today())
                isinstance(f, ast.Attribute)
                and f.attr == "date"
                and not node.args
                and isinstance(f.value, ast.Call)
                and isinstance(f.value.func, ast.Attribute)
                and f.value.func.attr == "now"
            ):
                hit = "now().date()"
            if hit:
                found.append(f"{path}:{node.lineno}: {hit}")
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, None)
    return found


def test_the_scanner_finds_each_kind_of_wall_clock_read():
    snippet = """
import datetime as dt, time, numpy as np
from datetime import date, datetime
import sqlalchemy as sa
a = dt.datetime.now(dt.UTC)
b = datetime.utcnow()
c = date.today()
d = dt.date.today()
e = time.time()
f = np.datetime64("today")
g = sa.func.now()
h = time.perf_counter()  # a duration: allowed
i = dt.datetime.fromtimestamp(0)
j = clock.now().date()
"""
    found = wall_clock_reads(snippet, "x.py")
    assert [f.split(": ")[1] for f in found] == [
        "datetime.now()",
        "datetime.utcnow()",
        "date.today()",
        "date.today()",
        "time.time()",
        "datetime64('today')",
        "func.now()",
        "datetime.fromtimestamp()",
        "now().date()",
    ]


@pytest.mark.parametrize("tree", ["bank_tax", "tests", "migrations", "notebooks"])
def test_nothing_but_the_clock_module_reads_the_wall_clock(tree):
    found = []
    for path in sorted((ROOT / tree).rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        found += wall_clock_reads(path.read_text(encoding="utf-8"), rel)
    if tree == "notebooks":  # notebooks are JSON: their code cells
        import json

        for nb in sorted((ROOT / tree).rglob("*.ipynb")):
            cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
            code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
            code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))
            found += wall_clock_reads(code, nb.relative_to(ROOT).as_posix())
    assert found == []


def test_business_dates_are_chinas():
    late_evening_utc = dt.datetime(2026, 12, 31, 20, 0, tzinfo=dt.UTC)
    assert clock.business_date(late_evening_utc) == dt.date(2027, 1, 1)  # 04:00 in Hangzhou
    assert clock.business_date(dt.datetime(2026, 12, 31, 15, 59, tzinfo=dt.UTC)) == dt.date(2026, 12, 31)
    assert clock.day_start(dt.date(2027, 1, 1)) == dt.datetime(2026, 12, 31, 16, 0, tzinfo=dt.UTC)
    assert clock.day_end(dt.date(2026, 12, 31)) == dt.datetime(2026, 12, 31, 16, 0, tzinfo=dt.UTC)
    assert clock.quarter_of(dt.date(2027, 1, 1)) == "2027Q1" and clock.quarter_of(dt.date(2026, 12, 31)) == "2026Q4"
    assert clock.add_months(dt.date(2027, 1, 31), -1) == dt.date(2026, 12, 1)
    with pytest.raises(ValueError):
        clock.business_date(dt.datetime(2027, 1, 1))  # naive: refused, not guessed
    assert clock.parse_moment("2027-01-01") == dt.datetime(2026, 12, 31, 16, 0, tzinfo=dt.UTC)  # China's midnight
    assert clock.parse_moment("2026-12-31T20:00:00Z") == dt.datetime(2026, 12, 31, 20, 0, tzinfo=dt.UTC)
    stamps = np.array(["2026-12-31T15:59:59", "2026-12-31T16:00:00", "NaT"], dtype="datetime64[us]")
    assert clock.business_dates(stamps).tolist() == [dt.date(2026, 12, 31), dt.date(2027, 1, 1), None]


def test_the_clock_moves_ticks_on_and_comes_back():
    before = clock.now()
    with clock.travel("2028-02-29T23:30:00+08:00") as at:
        assert at == dt.datetime(2028, 2, 29, 15, 30, tzinfo=dt.UTC)
        first = clock.now()
        assert dt.timedelta(0) <= first - at < dt.timedelta(seconds=5)
        assert clock.today() == dt.date(2028, 2, 29)
        assert clock.now() >= first  # it ticks on: events keep their order
        with clock.travel(dt.datetime(2030, 1, 1, tzinfo=dt.UTC)):
            assert clock.today() == dt.date(2030, 1, 1)
        assert clock.today() == dt.date(2028, 2, 29)
    assert abs(clock.now() - before) < dt.timedelta(seconds=30)


def test_a_process_started_under_a_move_reads_the_same_moment():
    with clock.travel("2027-10-17T09:00:00+08:00"):
        out = subprocess.run(
            [sys.executable, "-c", "from bank_tax import clock; print(clock.now().isoformat())"],
            capture_output=True,
            text=True,
            check=True,
            env=os.environ.copy(),
            cwd=ROOT,
        ).stdout.strip()
    child = dt.datetime.fromisoformat(out)
    assert dt.timedelta(0) <= child - dt.datetime(2027, 10, 17, 1, 0, tzinfo=dt.UTC) < dt.timedelta(seconds=30)


def test_the_suite_runs_at_its_chosen_moment_not_the_machines():
    from tests.conftest import MOMENT

    assert dt.timedelta(0) <= clock.now() - MOMENT < dt.timedelta(minutes=5)


NEW_YEARS_EVE_UTC = "2026-12-31T20:00:00Z"  # 04:00 on 1 January 2027 in Hangzhou


def test_new_years_eve_in_utc_is_new_years_day_for_the_report_the_grade_year_and_the_warnings(app, session):
    """At 2026-12-31T20:00Z every part of the program agrees that it is 2027 (China's date)."""
    from bank_tax.reports import effect
    from bank_tax.scheduler import JOBS
    from bank_tax.taxcredit import service as taxcredit
    from tests.factories import _staff
    from tests.matching.helpers import land
    from tests.taxcredit import helpers

    f = helpers.firm(session)
    helpers.annual_return(session, f.uscc, 2025)
    helpers.vat_year(session, f.uscc, 2026, months=range(1, 12))  # January to November filed; December due
    land(
        session,
        "credit_grades",
        [
            {
                "uscc": f.uscc,
                "year": "2025",
                "grade": "A",
                "score": "95",
                "rule_set": "2025",
                "evaluated_on": "2026-04-15",
                "received_at": "2026-04-16T02:00:00+00:00",
            }
        ],
    )
    with clock.travel(NEW_YEARS_EVE_UTC) as now:
        # the effect report: this quarter is 2027Q1, the last complete one 2026Q4, and a moment after
        # midnight in Hangzhou (17:00Z on 31 December) belongs to 2027Q1
        assert effect.current_quarter() == "2027Q1" and effect.last_complete_quarter() == "2026Q4"
        start, end = effect.quarter_bounds("2027Q1")
        assert clock.day_start(start) == dt.datetime(2026, 12, 31, 16, 0, tzinfo=dt.UTC) < now
        report = effect.compute(session, "2026Q4", with_previous=False)
        assert report["to"] == "2026-12-31" and report["deadline"] == "2026-12-25"
        # the quarterly job fires at 01:00 on the 25th of the quarter's last month, Hangzhou time
        (job,) = [j for j in JOBS if j.id == "reports.effect"]
        fire = job.make_trigger().get_next_fire_time(None, dt.datetime(2027, 3, 24, 16, 30, tzinfo=dt.UTC))
        assert fire.astimezone(dt.UTC) == dt.datetime(2027, 3, 24, 17, 0, tzinfo=dt.UTC)

        # 2027's holidays as the law fixes them (the projection), whatever the installed library publishes
        with app.app_context(), workdays.library_until(2026):
            body = taxcredit.credit_warnings(session, principal=_staff(), uscc=f.uscc, now=now)
    # the grade year: the running evaluation is 2027's, and the latest published grade (April 2026) 2025's
    assert body["year"] == 2027 and body["last_grade"] == "A" and body["last_grade_year"] == 2025
    # the firm's warnings: December 2026's return is due on Wednesday 20 January 2027 (1 January and the
    # weekend after it are 3 rest days in the filing period: 3 working days after the 15th), counted in
    # 2026's evaluation
    (due,) = [w for w in body["warnings"] if w["code"] == "filing_due"]
    assert due["deadline"] == dt.date(2027, 1, 20) and due["statutory_deadline"] == dt.date(2027, 1, 15)
    assert "2026年12月" in due["zh"] and "还有 19 天" in due["zh"]
