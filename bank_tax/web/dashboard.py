"""The analyst and operator dashboard: the model registry with each model's card and its charts, and
promotion of a challenger (analysts and admins; on the audit record)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from bank_tax.db import db
from bank_tax.modelling import monitoring
from bank_tax.modelling import service as modelling
from bank_tax.modelling.registry import RegistryError
from bank_tax.security import policy
from bank_tax.web import charts
from bank_tax.web.guard import STAFF, roles
from bank_tax.web.i18n import L

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


def card_charts(card: dict) -> list:
    """The card's evaluation as charts: ROC, calibration (predicted against observed), firms by risk grade."""
    ev = card.get("evaluation", {})
    out = []
    if ev.get("roc"):
        out.append(
            charts.lines(
                [("model", ev["roc"]["fpr"], ev["roc"]["tpr"])],
                title=L("ROC 曲线", "ROC curve"),
                x_label=L("误报率", "False positive rate"),
                y_label=L("检出率", "True positive rate"),
                diagonal=True,
            )
        )
    if ev.get("calibration_table"):
        out.append(
            charts.points(
                [(b["predicted"], b["observed"]) for b in ev["calibration_table"]],
                title=L("校准：预测与实际违约率", "Calibration: predicted against observed"),
                x_label=L("预测违约率", "Predicted PD"),
                y_label=L("实际违约率", "Observed default rate"),
            )
        )
    if ev.get("grade_distribution"):
        out.append(
            charts.bars(
                [(g["grade"], g["n"]) for g in ev["grade_distribution"]],
                title=L("测试样本的风险等级分布", "Test firms by risk grade"),
                x_label=L("风险等级", "Risk grade"),
                y_label=L("企业数", "Firms"),
            )
        )
    return out


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


@bp.get("/monitoring")
@roles(*STAFF)
def monitoring_page(principal):
    """Drift and performance: the score's PSI run over run, the grade mix, approvals and defaults by grade
    and by vintage."""
    policy.require(principal, "model.read")
    psi = monitoring.score_psi_over_runs(db.session)
    outcomes = monitoring.loan_outcomes(db.session)
    approvals = monitoring.approvals_by_grade(db.session)
    drawn = []
    if psi:
        drawn.append(
            charts.lines(
                [("PSI", list(range(len(psi))), [r["psi"] for r in psi])],
                title=L("评分分布稳定性（PSI，相对首次评分）", "Score stability (PSI against the first run)"),
                x_label=L("评分批次", "Score run"),
                y_label="PSI",
                x_max=max(len(psi) - 1, 1),
                y_max=max([r["psi"] for r in psi] + [0.25]),
            )
        )
    for kind, title in (
        ("vintage", L("按放款季度的违约率", "Default rate by vintage")),
        ("grade", L("按风险等级的违约率", "Default rate by risk grade")),
    ):
        rows = [r for r in outcomes if r["by"] == kind]
        if rows:
            drawn.append(
                charts.bars(
                    [(r["group"], r["rate"]) for r in rows],
                    title=title,
                    x_label=L("季度", "Quarter") if kind == "vintage" else L("风险等级", "Risk grade"),
                    y_label=L("违约率", "Default rate"),
                    fmt="{:.1%}",
                )
            )
    return render_template(
        "ops/monitoring.html",
        psi=psi,
        runs=monitoring.score_runs(db.session),
        outcomes=outcomes,
        approvals=approvals,
        charts=drawn,
    )
