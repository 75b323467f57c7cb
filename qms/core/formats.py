"""Numbers, percentages, dates and date-times as people read them, in the current locale.

One place for every page, chart, home card and export: `1.790` and `1,96` in Spanish,
`1,790` and `1.96` in English (Babel's CLDR data), one format for dates and one for
date-times, always in the programme's time zone (``BABEL_DEFAULT_TIMEZONE``,
America/Tegucigalpa). Templates use the filters of the same names (``|number``,
``|percent``, ``|date``, ``|datetime``); Python code calls these functions. Never
``"{:,}".format(...)`` or ``strftime`` for something a person reads.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from numbers import Number
from typing import Any

from babel.numbers import NumberPattern, parse_pattern
from flask_babel import format_date, format_time, get_locale
from markupsafe import Markup

#: What a missing value shows as, everywhere.
NOTHING = "—"
#: The one date format (CLDR "medium": «2 dic 2026» / «Dec 2, 2026»).
DATE_FORMAT = "medium"
#: The one time-of-day format that follows a date (CLDR "short": «14:05» / «2:05 PM»).
TIME_FORMAT = "short"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)  # None or NaN


def number(value: Any, digits: int | None = None) -> str:
    """A count or a measure: grouped thousands, ``digits`` decimals (fixed) or as many as
    the value has (at most three) when ``digits`` is None."""
    if _missing(value):
        return NOTHING
    if not isinstance(value, Number):
        return str(value)
    if digits is None:
        return _pattern("#,##0.###").apply(value, get_locale())
    return _pattern("#,##0" + ("." + "0" * digits if digits > 0 else "")).apply(
        value, get_locale())


def percent(value: Any, digits: int = 1) -> str:
    """A value already in percent (96.4 → «96,4 %» / «96.4%»): the locale's own percent
    pattern (its sign and spacing) with ``digits`` fixed decimals."""
    if _missing(value):
        return NOTHING
    locale = get_locale()
    return _percent_pattern(locale, digits).apply(float(value) / 100, locale)


@lru_cache(maxsize=64)
def _pattern(text: str) -> NumberPattern:
    """A parsed number pattern: what ``format_decimal`` re-parses on every call (a page
    of results formats hundreds of figures)."""
    return parse_pattern(text)


@lru_cache(maxsize=64)
def _percent_pattern(locale, digits: int) -> NumberPattern:
    """The locale's own percent pattern with ``digits`` fixed decimals, parsed once."""
    pattern = locale.percent_formats[None].pattern.split(";")[0]
    if digits > 0:
        pattern = pattern.replace("0", "0." + "0" * digits, 1) if "." not in pattern \
            else pattern
    return parse_pattern(pattern)


def local_date(value: date | datetime | None) -> str:
    """The one date format; a date-time is first rebased to the programme's time zone."""
    if value is None:
        return NOTHING
    if isinstance(value, datetime):
        value = _local(value).date()
    return format_date(value, DATE_FORMAT)


def local_datetime(value: datetime | None) -> str:
    """The one date-time format, in the programme's time zone: «2 dic 2026, 14:05»."""
    if value is None:
        return NOTHING
    if not isinstance(value, datetime):
        return local_date(value)
    # format_time rebases to BABEL_DEFAULT_TIMEZONE itself (a naive value is UTC)
    return f"{format_date(_local(value).date(), DATE_FORMAT)}, {format_time(value, TIME_FORMAT)}"


def month_year(value: date) -> str:
    """A calendar's month heading: «diciembre de 2026» / «December 2026»."""
    return format_date(value, "LLLL y")


def weekday(value: date, width: str = "abbreviated") -> str:
    """A calendar column's day name: «lun» / «Mon», or ``width="wide"`` «lunes» / «Monday»."""
    return format_date(value, "EEEE" if width == "wide" else "EEE")


def long_date(value: date) -> str:
    """A day spelled out for screen readers: «miércoles, 2 de diciembre de 2026»."""
    return format_date(value, "full")


def _local(value: datetime) -> datetime:
    from qms.core.time import to_local

    return to_local(value if value.tzinfo else value.replace(tzinfo=UTC))


def utc_stamp(value: datetime | None) -> str:
    """A signature's exact instant in UTC (ISO 8601 to the second): what a certifier
    compares with other systems' logs; shown beside the local date-time."""
    if value is None:
        return NOTHING
    return value.strftime("%Y-%m-%d %H:%M:%S")


def shorten(text: Any, width: int = 48) -> str:
    """A label cut at a word boundary to at most ``width`` characters, with «…» when cut
    (a survey question in a chart or a table header; show the full text as a tooltip)."""
    text = " ".join(str(text or "").split())
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    space = cut.rfind(" ")
    if space > width // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.¿?¡!(") + "…"


def code(value: Any) -> Markup:
    """A record's code (``PR-SGC-01``, ``NC-2026-014``) as a span that never breaks across
    lines (CSS class ``code``): every page shows codes through this filter."""
    return Markup('<span class="code">{}</span>').format(value if value is not None else "")


def init_app(app: Any) -> None:
    app.jinja_env.filters.update(
        number=number, percent=percent, date=lambda v, *_a: local_date(v),
        datetime=lambda v, *_a: local_datetime(v), utc_stamp=utc_stamp, short=shorten, code=code,
        month_year=month_year, weekday=weekday, long_date=long_date,
    )
