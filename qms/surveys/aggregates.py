"""Aggregates kept at import time so results never rescan the answers.

Grain: wave × question × department × municipality, with n, Σx, Σx², the satisfied
(4–5) and dissatisfied (1–2) counts, plus a count per answer value. Two pseudo-questions
sit beside the real ones: ``_respuestas`` (responses) and ``_indice`` (each respondent's
satisfaction index, 0–100). A batch accumulates in memory (the key space is small: at
most 298 municipalities × questions × values) and is added with one upsert per key, so the
database adds concurrently arriving webhooks and imports correctly.
"""

from __future__ import annotations

import operator
from collections import Counter, defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select

from qms.core.db import upsert
from qms.extensions import db
from qms.surveys.models import (
    INDEX_CODE,
    RESPONSES_CODE,
    Aggregate,
    AnswerCount,
    Question,
    QuestionType,
)

_SUM_COLUMNS = ("n", "total", "total_sq", "top2", "bottom2")
_LIKERT, _YES_NO, _SINGLE, _MULTIPLE, _NUMBER = (
    QuestionType.LIKERT, QuestionType.YES_NO, QuestionType.SINGLE, QuestionType.MULTIPLE,
    QuestionType.NUMBER)
_STR = {i: str(i) for i in range(0, 11)}
#: Counted keys are place id << PLACE_SHIFT | value id: one int, cheap to count.
PLACE_SHIFT = 24
_VALUE_MASK = (1 << PLACE_SHIFT) - 1


class Accumulator:
    """Sums for one batch, added to the database by :meth:`flush`.

    :meth:`add_rows` takes rows as ``(place id << PLACE_SHIFT, *value ids)``, one value id
    per question in questionnaire order (0 = not answered), as
    :class:`qms.surveys.rows.RowConverter` produces them with its ``places`` and
    ``value_tables`` (id → value). Counting is then ``Counter`` over ints (place | value),
    at C speed; :meth:`flush` derives n, Σx, Σx², top-2 and bottom-2 from the counts (a
    Likert column has six values), so a 200,000-row batch costs no per-answer Python.
    """

    def __init__(self, wave_id: int, questions: Sequence[Question], places: list[str],
                 tables: list[list]) -> None:
        self.wave_id = wave_id
        self.questions = [(q.code, q.type) for q in questions]
        self.index_positions = [i for i, q in enumerate(questions, start=1)
                                if q.in_index and q.type == QuestionType.LIKERT]
        self.place_keys = places
        self.tables = tables
        self._reset()

    def _reset(self) -> None:
        self.places: Counter = Counter()
        self.values: list[Counter] = [Counter() for _q in self.questions]
        self.indexes: Counter = Counter()

    def add_rows(self, rows: Sequence[tuple]) -> None:
        if not rows:
            return
        columns = list(zip(*rows, strict=True))
        offsets = columns[0]
        self.places.update(offsets)
        for position, counter in enumerate(self.values, start=1):
            counter.update(map(operator.or_, offsets, columns[position]))
        if self.index_positions:
            self.indexes.update(zip(offsets, *(columns[i] for i in self.index_positions),
                                    strict=True))

    def _place(self, key: int) -> tuple[str, str]:
        """(department, municipality or "") of a counted key."""
        place = self.place_keys[key >> PLACE_SHIFT]
        return (place[:2], place) if len(place) == 4 else (place, "")

    def _sums(self):
        """(sums, counts) by place, derived from the counted ints."""
        sums: dict = defaultdict(lambda: defaultdict(lambda: [0, 0.0, 0.0, 0, 0]))
        counts: dict = defaultdict(lambda: defaultdict(int))
        for key, count in self.places.items():
            sums[self._place(key)][RESPONSES_CODE][0] += count
        for (code, kind), counter, table in zip(self.questions, self.values, self.tables,
                                                strict=True):
            for key, count in counter.items():
                value = table[key & _VALUE_MASK]
                if value is not None:
                    place = self._place(key)
                    _add_value(sums[place], counts[place], code, kind, value, count)
        index_tables = [self.tables[i - 1] for i in self.index_positions]
        for (key, *ids), count in self.indexes.items():
            scores = [v for v in (t[i] for t, i in zip(index_tables, ids, strict=True))
                      if isinstance(v, int)]
            if scores:
                index = 100.0 * (sum(scores) / len(scores) - 1) / 4
                s = sums[self._place(key)][INDEX_CODE]
                s[0] += count
                s[1] += index * count
                s[2] += index * index * count
        return sums, counts

    def flush(self) -> None:
        sums, counts = self._sums()
        rows = [{"wave_id": self.wave_id, "question_code": q, "department_code": d,
                 "municipality_code": m, **dict(zip(_SUM_COLUMNS, v, strict=True))}
                for (d, m), by_code in sums.items() for q, v in by_code.items()]
        upsert(Aggregate.__table__, rows, ("wave_id", "question_code", "department_code",
                                            "municipality_code"), add=_SUM_COLUMNS)
        counts = [{"wave_id": self.wave_id, "question_code": q, "department_code": d,
                   "municipality_code": m, "value": str(v)[:60], "count": c}
                  for (d, m), by_value in counts.items() for (q, v), c in by_value.items()]
        upsert(AnswerCount.__table__, counts, ("wave_id", "question_code", "department_code",
                                               "municipality_code", "value"), add=("count",))
        self._reset()


def _add_value(sums, counts, code: str, kind, value, count: int) -> None:
    if kind is _LIKERT:
        if value == "ns":
            counts[(code, "ns")] += count
            return
        s = sums[code]
        s[0] += count
        s[1] += value * count
        s[2] += value * value * count
        if value >= 4:
            s[3] += count
        elif value <= 2:
            s[4] += count
        counts[(code, _STR[value])] += count
    elif kind is _YES_NO:
        s = sums[code]
        s[0] += count
        s[1] += value * count
        s[2] += value * count
        counts[(code, _STR[value])] += count
    elif kind is _SINGLE:
        sums[code][0] += count
        counts[(code, value)] += count
    elif kind is _MULTIPLE:
        sums[code][0] += count
        for option in value:
            counts[(code, option)] += count
    elif kind is _NUMBER:
        s = sums[code]
        s[0] += count
        s[1] += value * count
        s[2] += value * value * count
    else:
        sums[code][0] += count


# ---------------------------------------------------------------- reading


def sums(wave_ids: Sequence[int], *, by: str | None = None, department: str | None = None):
    """{(wave_id, question_code, group): (n, total, total_sq, top2, bottom2)}.

    ``by`` is None (whole wave), "department" or "municipality" (then ``department``
    restricts to one department).
    """
    group_col = {None: None, "department": Aggregate.department_code,
                 "municipality": Aggregate.municipality_code}[by]
    columns = [Aggregate.wave_id, Aggregate.question_code]
    if group_col is not None:
        columns.append(group_col)
    query = select(*columns, *(func.sum(getattr(Aggregate, c)) for c in _SUM_COLUMNS)).where(
        Aggregate.wave_id.in_(wave_ids)).group_by(*columns)
    if department:
        query = query.where(Aggregate.department_code == department)
    result = {}
    for row in db.session.execute(query):
        group = row[2] if group_col is not None else ""
        offset = 3 if group_col is not None else 2
        result[(row[0], row[1], group)] = tuple(row[offset:offset + 5])
    return result


def value_counts(wave_id: int, *, department: str | None = None) -> dict[tuple[str, str], int]:
    """{(question_code, value): count} for the wave (or one department)."""
    query = select(AnswerCount.question_code, AnswerCount.value, func.sum(AnswerCount.count)) \
        .where(AnswerCount.wave_id == wave_id) \
        .group_by(AnswerCount.question_code, AnswerCount.value)
    if department:
        query = query.where(AnswerCount.department_code == department)
    return {(q, v): int(c) for q, v, c in db.session.execute(query)}


def response_totals(wave_ids: Sequence[int]) -> dict[int, int]:
    """Responses per wave, from the aggregates (never a COUNT over the responses)."""
    query = select(Aggregate.wave_id, func.sum(Aggregate.n)).where(
        Aggregate.wave_id.in_(wave_ids), Aggregate.question_code == RESPONSES_CODE
    ).group_by(Aggregate.wave_id)
    return {w: int(n) for w, n in db.session.execute(query)}
