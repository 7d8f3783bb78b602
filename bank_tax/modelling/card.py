"""The model card for people: the card's JSON rendered as Markdown."""

from __future__ import annotations


def _f(x, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def markdown(card: dict) -> str:
    ev = card.get("evaluation", {})
    test, base = ev.get("test", {}), ev.get("baseline_test", {})
    data = card.get("data", {})
    lines = [
        f"# Model card: {card.get('version')}",
        "",
        card.get("summary", "Probability of default of a 银税 loan within 12 months of its start."),
        "",
        "## Data",
        f"- source: {data.get('source', '–')}",
        f"- loans: {data.get('loans', '–')} (defaults {data.get('defaults', '–')}), "
        f"starts {data.get('first_start', '–')} … {data.get('last_start', '–')}",
        f"- label: {data.get('label', '–')}",
        f"- features as of: {data.get('features_as_of', '–')}",
        f"- feature set: {card.get('feature_set_version')} ({len(card.get('features', []))} features)",
        f"- training-data fingerprint (SHA-256): `{ev.get('training_data', {}).get('fingerprint', '–')}`",
        f"- split: {ev.get('training_data', {}).get('split', {})} (by start date; test = newest loans)",
        "",
        "## Out-of-time performance",
        "| model | AUC | Gini | KS | Brier | ECE | mean PD | default rate |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        f"| gradient-boosted, calibrated | {_f(test.get('auc'))} | {_f(test.get('gini'))} | {_f(test.get('ks'))} | "
        f"{_f(test.get('brier'), 4)} | {_f(test.get('ece'), 4)} | {_f(test.get('mean_pd'), 4)} | "
        f"{_f(test.get('default_rate'), 4)} |",
        f"| WoE scorecard baseline | {_f(base.get('auc'))} | {_f(base.get('gini'))} | {_f(base.get('ks'))} | "
        f"{_f(base.get('brier'), 4)} | {_f(base.get('ece'), 4)} | {_f(base.get('mean_pd'), 4)} | "
        f"{_f(base.get('default_rate'), 4)} |",
        "",
        f"Expected range (synthetic province documentation): AUC {card.get('expected_auc', '0.75–0.85')}.",
        f"PSI of the score, training → test: {_f(ev.get('psi_score'))}.",
        "",
        "## Calibration (out of time, equal-count bins)",
        "| n | predicted | observed |",
        "| --- | --- | --- |",
        *[f"| {b['n']} | {b['predicted']:.4f} | {b['observed']:.4f} |" for b in ev.get("calibration_table", [])],
        "",
        "## By consent pattern",
        "| categories the bank may use | AUC | mean PD | default rate |",
        "| --- | --- | --- | --- |",
        *[
            f"| {k} | {_f(v.get('auc'))} | {_f(v.get('mean_pd'), 4)} | {_f(v.get('default_rate'), 4)} |"
            for k, v in ev.get("by_consent_pattern", {}).items()
        ],
        "",
        "## By tax-credit grade",
        "| grade | loans | defaults | mean PD | default rate |",
        "| --- | --- | --- | --- | --- |",
        *[
            f"| {k} | {v['n']} | {v['defaults']} | {_f(v.get('mean_pd'), 4)} | {_f(v.get('default_rate'), 4)} |"
            for k, v in ev.get("by_tax_grade", {}).items()
        ],
        "",
        "## Provenance",
        f"- code version: {card.get('code_version')}",
        f"- created: {card.get('created_at')}",
        f"- artifact SHA-256: `{card.get('sha256')}`",
        f"- parameters: {ev.get('params', {})}",
        "",
    ]
    return "\n".join(lines)
