"""Local time for display and due dates; storage is UTC (see qms.core.db.now_utc)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from qms.core.db import now_utc

DEFAULT_TZ = "America/Tegucigalpa"


def local_zone() -> ZoneInfo:
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE", DEFAULT_TZ) if has_app_context() \
        else DEFAULT_TZ
    return ZoneInfo(name)


def to_local(value: datetime) -> datetime:
    return value.astimezone(local_zone())


def today_local() -> date:
    """Today's date in the programme's time zone: the day due dates are compared with."""
    return to_local(now_utc()).date()
