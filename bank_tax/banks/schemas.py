"""Marshmallow schemas of the bank API."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from bank_tax import clock
from bank_tax.api import Strict


def _crontab(value: str) -> None:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value, timezone=clock.SHANGHAI)
    except ValueError as exc:
        raise ma.ValidationError(f"not a crontab line (minute hour day month weekday): {exc}") from exc


CRON = {"description": "crontab line in China's time: minute hour day month weekday (default: 06:00 on the 1st)"}


class BankCreate(Strict):
    code = ma.fields.String(required=True, validate=validate.Regexp(r"^[A-Z0-9][A-Z0-9_-]{1,31}$"))
    name = ma.fields.String(required=True, validate=validate.Length(min=2, max=100))
    name_en = ma.fields.String(load_default="", validate=validate.Length(max=100))
    whitelist_cron = ma.fields.String(load_default="0 6 1 * *", validate=_crontab, metadata=CRON)


class ScheduleUpdate(Strict):
    whitelist_cron = ma.fields.String(required=True, validate=_crontab, metadata=CRON)


class BankPublic(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    name_en = ma.fields.String()
    whitelist_cron = ma.fields.String()
