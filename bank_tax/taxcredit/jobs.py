"""Scheduled jobs of the tax-credit domain."""

from __future__ import annotations

from bank_tax.batch import daily


def targeted_push() -> str:
    """Tell the firms that became eligible for a product since the last push (after the daily pipeline),
    committed partition by partition."""
    counts = daily.push_committed()
    if counts["status"] != "done":
        raise RuntimeError(f"batch run {counts['batch_run_id']} is {counts['status']}: the next run resumes it")
    return f"{counts['notified']} newly eligible, {counts['no_longer_eligible']} no longer"
