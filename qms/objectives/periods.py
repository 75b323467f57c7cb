"""Measurement periods: "2026-03" (month), "2026-T3" (quarter), "2026-S1" (half-year),
"2026" (year). An objective's values fall on periods of its frequency only."""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from qms.objectives.enums import Frequency

#: Months per period of each frequency.
MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.SEMIANNUAL: 6,
          Frequency.ANNUAL: 12}
_PATTERNS = {
    Frequency.MONTHLY: re.compile(r"^(\d{4})-(\d{2})$"),
    Frequency.QUARTERLY: re.compile(r"^(\d{4})-T([1-4])$"),
    Frequency.SEMIANNUAL: re.compile(r"^(\d{4})-S([12])$"),
    Frequency.ANNUAL: re.compile(r"^(\d{4})$"),
}
_EXAMPLES = {Frequency.MONTHLY: "2026-03", Frequency.QUARTERLY: "2026-T3",
             Frequency.SEMIANNUAL: "2026-S1", Frequency.ANNUAL: "2026"}


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date
    label: str


def _make(frequency: Frequency, year: int, index: int) -> Period:
    months = MONTHS[frequency]
    first_month = (index - 1) * months + 1
    last_month = first_month + months - 1
    start = date(year, first_month, 1)
    end = date(year, last_month, monthrange(year, last_month)[1])
    label = {Frequency.MONTHLY: f"{year}-{index:02d}", Frequency.QUARTERLY: f"{year}-T{index}",
             Frequency.SEMIANNUAL: f"{year}-S{index}", Frequency.ANNUAL: f"{year}"}[frequency]
    return Period(start, end, label)


def example(frequency: Frequency) -> str:
    return _EXAMPLES[frequency]


def parse_period(text: str, frequency: Frequency) -> Period:
    """The period named ``text`` for an objective of ``frequency``; ValueError (with a
    message for the user) when it names no period of that frequency."""
    raw = (text or "").strip().upper()
    match = _PATTERNS[frequency].match(raw)
    if match is None:
        for other, pattern in _PATTERNS.items():
            if other is not frequency and pattern.match(raw):
                raise ValueError(_(
                    "El periodo %(period)s no corresponde a la frecuencia %(frequency)s del "
                    "objetivo (use la forma %(example)s).", period=text.strip(),
                    frequency=frequency.label.lower(), example=example(frequency)))
        raise ValueError(_("«%(period)s» no es un periodo válido (use la forma %(example)s).",
                           period=(text or "").strip(), example=example(frequency)))
    year = int(match.group(1))
    index = int(match.group(2)) if frequency is not Frequency.ANNUAL else 1
    if not 2000 <= year <= 2100 or not 1 <= index <= 12 // MONTHS[frequency]:
        raise ValueError(_("«%(period)s» no es un periodo válido (use la forma %(example)s).",
                           period=text.strip(), example=example(frequency)))
    return _make(frequency, year, index)


def period_containing(day: date, frequency: Frequency) -> Period:
    return _make(frequency, day.year, (day.month - 1) // MONTHS[frequency] + 1)


def periods_between(start: date, end: date, frequency: Frequency) -> list[Period]:
    """Every period of ``frequency`` that overlaps [start, end], in order."""
    found = []
    current = period_containing(start, frequency)
    while current.start <= end:
        found.append(current)
        nxt = date(current.end.year + (current.end.month == 12), current.end.month % 12 + 1, 1)
        current = period_containing(nxt, frequency)
    return found


def latest_complete_period(today: date, frequency: Frequency) -> Period:
    """The last period that ended before ``today``."""
    current = period_containing(today, frequency)
    return period_containing(date.fromordinal(current.start.toordinal() - 1), frequency)
