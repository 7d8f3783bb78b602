"""The analyst and operator dashboard: the model registry with each model's card and its charts, and
promotion of a challenger (analysts and admins; on the audit record); monitoring; for operators the
ingestion batches and their quarantine, the erroneous-code report, disputes to resolve, the quarterly
effect report with charts and downloads, the scheduler's jobs and the audit-chain check."""

from __future__ import annotations

import json
import re

from flask import Blueprint, Response, redirect, render_template, request, url_for

from bank_tax import clock, exports, scheduler
from bank_tax.db import db
from bank_tax.modelling import monitoring
from bank_tax.modelling import service as modelling
from bank_tax.modelling.registry import RegistryError
from bank_tax.reports import effect as effect_report
from bank_tax.reports import service as reports
from bank_tax.security import audit, policy
from bank_tax.sources import service as sources
from bank_tax.sources.schemas import DisputeResolve
from bank_tax.taxcredit import push, repair
from bank_tax.taxcredit.schemas import RepairDecision
from bank_tax.web import charts
from bank_tax.web.forms import submit
from bank_tax.web.guard import STAFF, roles
from bank_tax.web.i18n import L, bank_name, grade_name

bp = Blueprint("dashboard", __name__, url_prefix="/ops")


@bp.get("/models")
@roles(*STAFF)
def models(principal, error=None):
    """Every registered model, newest first, with its aliases and headline metrics."""
    policy.require(principal, "model.read")
    versions = modelling.registry().versions()
    can_promote = principal.role in ("analyst", "admin")
    return render_template("ops/models.html", versions=versions, can_promote=can_promote, error=error)


@bp.post("/models/<version>/promote")
@roles(*STAFF)
def promote(principal, version: str):
    alias = request.form.get("alias", "champion")
    try:
        modelling.promote(db.session, version=version, alias=alias, actor=principal)
    except RegistryError as exc:
        return models(error=str(exc)), 422
    db.session.commit()
    return redirect(url_for("dashboard.models"))


def card_charts(card: dict) -> list[charts.Chart]:
    """The card's evaluation as charts: ROC, calibration (predicted against observed), firms by risk grade."""
    ev = card.get("evaluation", {})
    roc = ev.get("roc") or {}
    calibration = ev.get("calibration_table") or []
    grades = ev.get("grade_distribution") or []
    return [
        charts.curve(
            roc.get("fpr", []),
            roc.get("tpr", []),
            title=L("ROC 曲线", "ROC curve"),
            x_label=L("误报率", "False positive rate"),
            y_label=L("检出率", "True positive rate"),
            diagonal=True,
        ),
        charts.curve(
            [b["predicted"] for b in calibration],
            [b["observed"] for b in calibration],
            title=L("校准：预测与实际违约率", "Calibration: predicted against observed"),
            x_label=L("预测违约率", "Predicted PD"),
            y_label=L("实际违约率", "Observed default rate"),
            dots=True,
        ),
        charts.bars(
            [(g["grade"], g["n"]) for g in grades],
            title=L("测试样本的风险等级分布", "Test firms by risk grade"),
            x_label=L("风险等级", "Risk grade"),
            y_label=L("企业数", "Firms"),
        ),
    ]


@bp.get("/models/<version>")
@roles(*STAFF)
def model_card(principal, version: str):
    """One model's card: data, metrics, charts, stability of its features, fairness across consent."""
    policy.require(principal, "model.read")
    reg = modelling.registry()
    card = reg.card(version)
    psi = sorted((card.get("evaluation", {}).get("psi_features") or {}).items(), key=lambda kv: -kv[1])[:10]
    entry = next((v for v in reg.versions() if v["version"] == card.get("version", version)), None)
    return render_template(
        "ops/model.html",
        card=card,
        entry=entry,
        charts=card_charts(card),
        psi=psi,
        can_promote=principal.role in ("analyst", "admin"),
    )


def _run_label(row: dict) -> str:
    """A score run as people name it: its data date, with its number."""
    return f"{row['as_of'].astimezone(clock.SHANGHAI):%Y-%m-%d} #{row['run_id']}"  # China's date, as the table


@bp.get("/monitoring")
@roles(*STAFF)
def monitoring_page(principal):
    """Drift and performance: the score's PSI run over run, the grade mix, approvals and defaults by grade
    and by vintage."""
    policy.require(principal, "model.read")
    psi = monitoring.score_psi_over_runs(db.session)
    outcomes = monitoring.loan_outcomes(db.session)
    approvals = monitoring.approvals_by_grade(db.session)
    runs = monitoring.score_runs(db.session)
    drawn = [
        charts.trend(
            [_run_label(r) for r in psi],
            [r["psi"] for r in psi],
            title=L("评分分布稳定性（PSI，相对首次评分）", "Score stability (PSI against the first run)"),
            x_label=L("评分批次（数据日期）", "Score run (as of)"),
            y_label="PSI",
            marks=[(L("关注 0.1", "watch 0.1"), 0.1), (L("显著漂移 0.25", "shift 0.25"), 0.25)],
        )
    ]
    for kind, title in (
        ("vintage", L("按放款季度的违约率", "Default rate by vintage")),
        ("grade", L("按风险等级的违约率", "Default rate by risk grade")),
    ):
        drawn.append(
            charts.bars(
                [(r["group"], r["rate"]) for r in outcomes if r["by"] == kind],
                title=title,
                x_label=L("放款季度", "Quarter lent") if kind == "vintage" else L("风险等级", "Risk grade"),
                y_label=L("违约率", "Default rate"),
                kind="percent",
            )
        )
    return render_template(
        "ops/monitoring.html",
        psi=psi,
        runs=runs,
        outcomes=outcomes,
        approvals=approvals,
        charts=drawn,
    )


@bp.get("/ingestion")
@roles(*STAFF)
def ingestion(principal):
    """The latest agency batches with their counts, and the rows refused for an invalid USCC (重错码)."""
    policy.require(principal, "ingest.read")
    return render_template(
        "ops/ingestion.html", batches=sources.batches(db.session), erroneous=sources.erroneous_codes(db.session)
    )


@bp.get("/ingestion/<int:batch_id>")
@roles(*STAFF)
def batch(principal, batch_id: int):
    """One batch: its counts and every rejected row with line, field, value and reason."""
    policy.require(principal, "ingest.read")
    return render_template("ops/batch.html", report=sources.batch_report(db.session, batch_id))


@bp.route("/disputes", methods=["GET", "POST"])
@roles(*STAFF)
def disputes(principal):
    """Open disputes, oldest first; resolve one as upheld or corrected (corrected fields as name=value
    lines, written as in the agency file), with a reply the firm reads."""
    policy.require(principal, "dispute.resolve")
    errors, form, failed = {}, request.form, None
    if request.method == "POST":
        failed = request.form.get("dispute_id", type=int)
        correction = dict(line.split("=", 1) for line in form.get("correction", "").splitlines() if "=" in line.strip())
        done, errors = submit(
            DisputeResolve(),
            form,
            lambda body: sources.resolve_dispute(db.session, dispute_id=failed, actor=principal, **body),
            then=url_for("dashboard.disputes"),
            correction={k.strip(): v.strip() for k, v in correction.items()},
        )
        if done:
            return done
    return (
        render_template(
            "ops/disputes.html",
            disputes=sources.disputes(db.session, status="open"),
            errors=errors,
            failed=failed,
            form=form,
        ),
        422 if errors else 200,
    )


def _quarter(text: str | None) -> str:
    """The quarter asked for, or the last complete one."""
    if text and re.fullmatch(r"\d{4}Q[1-4]", text):
        return text
    return effect_report.last_complete_quarter()


@bp.get("/report")
@roles(*STAFF)
def report(principal):
    """The quarter's effect report (the last complete quarter by default) with charts and downloads."""
    policy.require(principal, "report.effect")
    quarter = _quarter(request.args.get("quarter"))
    fmt = request.args.get("format", "page")
    edition = reports.edition_for(db.session, quarter=quarter, fresh=bool(request.args.get("fresh")), actor=principal)
    db.session.commit()
    body = json.loads(edition.body)
    if fmt in ("csv", "xlsx"):
        data, mimetype = (reports.to_csv(body), "text/csv") if fmt == "csv" else (reports.to_xlsx(body), exports.XLSX)
        return Response(
            data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="effect-{quarter}.{fmt}"'}
        )
    by = body["by"]
    drawn = [
        charts.bars(
            [(grade_name(k), v["approval_rate"]) for k, v in sorted(by["grade"].items())],
            title=L("按纳税信用等级的审批通过率", "Approval rate by tax-credit grade"),
            x_label=L("纳税信用等级", "Tax-credit grade"),
            y_label=L("通过率", "Approval rate"),
            kind="percent",
        ),
        charts.bars(
            [(bank_name(k), (v["amount"] or 0) / 10_000) for k, v in sorted(by["bank"].items()) if v["loans"]],
            title=L("按银行的放款金额（万元）", "Amount lent by bank (10k CNY)"),
            x_label=L("银行", "Bank"),
            y_label=L("万元", "10k CNY"),
            kind="wan",
        ),
    ]
    return render_template("ops/report.html", body=body, quarter=quarter, charts=drawn, metrics=effect_report.METRICS)


@bp.get("/scheduler")
@roles(*STAFF)
def scheduler_page(principal):
    """Every scheduled job: its schedule, last run, duration, outcome and next run."""
    policy.require(principal, "scheduler.read")
    return render_template("ops/scheduler.html", jobs=scheduler.status(db.session))


@bp.get("/audit")
@roles(*STAFF)
def audit_page(principal):
    """Verify the audit log's hash chain end to end (on request: it reads every event)."""
    policy.require(principal, "audit.verify")
    result = audit.verify(db.session) if request.args.get("verify") else None
    return render_template("ops/audit.html", result=result)


@bp.route("/repairs", methods=["GET", "POST"])
@roles(*STAFF)
def repairs(principal):
    """Credit repairs to decide (approval removes the list entry from the chosen day), and the firms at
    risk of dropping from A or B this year."""
    policy.require(principal, "repair.decide")
    errors, failed = {}, None
    if request.method == "POST":
        failed = request.form.get("repair_id", type=int)
        done, errors = submit(
            RepairDecision(),
            request.form,
            lambda body: repair.decide(db.session, principal=principal, repair_id=failed, **body),
            then=url_for("dashboard.repairs"),
        )
        if done:
            return done
    return (
        render_template(
            "ops/repairs.html",
            repairs=repair.to_decide(db.session),
            at_risk=push.at_risk(db.session),
            errors=errors,
            failed=failed,
        ),
        422 if errors else 200,
    )
