"""``flask --app app taxcredit …``: the targeted push now, the at-risk list, a firm's pre-evaluation."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from bank_tax import clock
from bank_tax.batch import daily
from bank_tax.batch.options import partition_options
from bank_tax.db import db
from bank_tax.taxcredit import push
from bank_tax.taxcredit.evaluate import pre_evaluate

taxcredit_cli = AppGroup("taxcredit", help="Tax-credit pre-evaluation, targeted push and the at-risk list.")


@taxcredit_cli.command("push")
@partition_options
def push_command(workers: int | None, partition_firms: int | None) -> None:
    """Notify the firms that became eligible for a product since the last push, one partition of firms at
    a time (a killed push resumes when run again)."""
    counts = daily.push_committed(workers=workers, partition_firms=partition_firms, progress=True)
    if counts["status"] != "done":
        raise click.ClickException(f"batch run {counts['batch_run_id']} is {counts['status']}: run it again to resume")
    click.echo(
        f"eligible pairs: {counts['eligible']}, notified: {counts['notified']}, "
        f"no longer eligible: {counts['no_longer_eligible']}"
    )


@taxcredit_cli.command("at-risk")
def at_risk_command() -> None:
    """Firms graded A or B last year whose running score grades lower this year."""
    with db.scope() as session:
        rows = push.at_risk(session)
    for r in rows:
        click.echo(f"{r['uscc']}  {r['last_grade']} → {r['running_grade']}  {r['running_score']:5.1f}  {r['name']}")
    click.echo(f"{len(rows)} firms at risk")


@taxcredit_cli.command("evaluate")
@click.argument("uscc")
@click.option("--year", type=int, default=None, help="evaluation year (default: this year, running)")
def evaluate_command(uscc: str, year: int | None) -> None:
    """One firm's pre-evaluated score, deductions and grade."""
    now = clock.now()
    with db.scope() as session:
        ev = pre_evaluate(session, usccs=[uscc], year=year or clock.business_date(now).year, as_of=now)
    cuts = ", ".join(f"{k} −{v[0]:g}" for k, v in ev.deductions.items() if v[0]) or "none"
    state = "final" if ev.closed else f"running as of {clock.business_date(now)}"
    click.echo(
        f"{uscc} {ev.year} ({ev.rule_set} rules, {state}): start {ev.start[0]:g}, deductions {cuts}, "
        f"score {ev.score[0]:g}, grade {ev.grade[0]}"
    )
