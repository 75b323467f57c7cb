"""Local time for display and due dates; storage is UTC (see qms.core.db.now_utc)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import Date, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

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


# ------------------------------------------------------------------ in SQL


class local_date(FunctionElement):
    """The programme-local date of a UTC ``UTCDateTime`` column, computed by the database
    (for aggregates that must not load rows): ``to_local(value).date()`` in SQL.

    PostgreSQL converts with the zone itself; SQLite has no zones, so the zone's current
    offset from UTC is applied (exact for Honduras, which keeps no daylight saving)."""

    type = Date()
    inherit_cache = True
    name = "local_date"


@compiles(local_date, "postgresql")
def _local_date_pg(element, compiler, **kw):
    (column,) = element.clauses
    zone = local_zone().key.replace("'", "")
    return f"CAST(({compiler.process(column, **kw)} AT TIME ZONE '{zone}') AS DATE)"


@compiles(local_date)
def _local_date_sqlite(element, compiler, **kw):
    (column,) = element.clauses
    offset = local_zone().utcoffset(now_utc().replace(tzinfo=None))
    minutes = int(offset.total_seconds() // 60) if offset else 0
    return f"date({compiler.process(column, **kw)}, '{minutes:+d} minutes')"


class days_between(FunctionElement):
    """Whole days from ``earlier`` to ``later``, two SQL date expressions, as a number:
    ``(later - earlier).days`` in SQL."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


@compiles(days_between, "postgresql")
def _days_between_pg(element, compiler, **kw):
    later, earlier = element.clauses
    return f"({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})"


@compiles(days_between)
def _days_between_sqlite(element, compiler, **kw):
    later, earlier = element.clauses
    return (f"(julianday({compiler.process(later, **kw)}) - "
            f"julianday({compiler.process(earlier, **kw)}))")


class months_after(FunctionElement):
    """The date ``months`` calendar months after ``day`` (two SQL expressions), the day
    clamped to the month's end like ``documents.services.add_months``: 31 January plus
    one month is the last day of February."""

    type = Date()
    inherit_cache = True
    name = "months_after"


@compiles(months_after, "postgresql")
def _months_after_pg(element, compiler, **kw):
    day, months = element.clauses
    return (f"CAST({compiler.process(day, **kw)} + make_interval(months => "
            f"CAST({compiler.process(months, **kw)} AS INTEGER)) AS DATE)")


@compiles(months_after)
def _months_after_sqlite(element, compiler, **kw):
    # SQLite rolls an overflowing day into the next month (31 Jan + 1 month = 2 or 3
    # March); then the day differs from the start's, and the answer is the month's end.
    day, months = element.clauses
    start = compiler.process(day, **kw)
    shifted = f"date({start}, '+' || ({compiler.process(months, **kw)}) || ' months')"
    return (f"(CASE WHEN strftime('%d', {shifted}) = strftime('%d', {start}) THEN {shifted} "
            f"ELSE date({shifted}, 'start of month', '-1 day') END)")
