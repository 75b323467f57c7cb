"""Aggregates kept at import time so results never rescan the answers.

Grain: wave × question × department × municipality, with n, Σx, Σx², the satisfied
(4–5) and dissatisfied (1–2) counts, plus a count per answer value. Two pseudo-questions
sit beside the real ones: ``_respuestas`` (responses) and ``_indice`` (each respondent's
satisfaction index, 0–100). A batch accumulates in memory (the key space is small: at
most 298 municipalities × questions) and is added with one upsert per key, so the
database adds concurrently arriving webhooks and imports correctly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

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


class Accumulator:
    """Sums for one batch, added to the database by :meth:`flush`."""

    def __init__(self, wave_id: int, questions: Sequence[Question]) -> None:
        self.wave_id = wave_id
        self.questions = [(q.code, q.type) for q in questions]
        self.index_codes = [q.code for q in questions
                            if q.in_index and q.type == QuestionType.LIKERT]
        #: (department, municipality) → {code: [n, Σx, Σx², top2, bottom2]}
        self.sums: dict[tuple[str, str], dict[str, list[float]]] = {}
        #: (department, municipality) → {(code, value): count}
        self.counts: dict[tuple[str, str], dict[tuple[str, str], int]] = {}

    def add(self, record: dict[str, Any]) -> None:
        place = (record["department_code"], record["municipality_code"] or "")
        sums = self.sums.get(place)
        if sums is None:
            sums = self.sums[place] = defaultdict(lambda: [0, 0.0, 0.0, 0, 0])
            self.counts[place] = defaultdict(int)
        counts = self.counts[place]
        answers = record["answers"]
        sums[RESPONSES_CODE][0] += 1
        for code, kind in self.questions:
            value = answers.get(code)
            if value is None:
                continue
            if kind is _LIKERT:
                if value == "ns":
                    counts[(code, "ns")] += 1
                    continue
                s = sums[code]
                s[0] += 1
                s[1] += value
                s[2] += value * value
                if value >= 4:
                    s[3] += 1
                elif value <= 2:
                    s[4] += 1
                counts[(code, _STR[value])] += 1
            elif kind is _YES_NO:
                s = sums[code]
                s[0] += 1
                s[1] += value
                s[2] += value
                counts[(code, _STR[value])] += 1
            elif kind is _SINGLE:
                sums[code][0] += 1
                counts[(code, value)] += 1
            elif kind is _MULTIPLE:
                sums[code][0] += 1
                for option in value:
                    counts[(code, option)] += 1
            elif kind is _NUMBER:
                s = sums[code]
                s[0] += 1
                s[1] += value
                s[2] += value * value
            else:
                sums[code][0] += 1
        scores = [answers[c] for c in self.index_codes if isinstance(answers.get(c), int)]
        if scores:
            index = 100.0 * (sum(scores) / len(scores) - 1) / 4
            s = sums[INDEX_CODE]
            s[0] += 1
            s[1] += index
            s[2] += index * index

    def flush(self) -> None:
        rows = [{"wave_id": self.wave_id, "question_code": q, "department_code": d,
                 "municipality_code": m, **dict(zip(_SUM_COLUMNS, v, strict=True))}
                for (d, m), by_code in self.sums.items() for q, v in by_code.items()]
        upsert(Aggregate.__table__, rows, ("wave_id", "question_code", "department_code",
                                           "municipality_code"), add=_SUM_COLUMNS)
        counts = [{"wave_id": self.wave_id, "question_code": q, "department_code": d,
                   "municipality_code": m, "value": str(v)[:60], "count": c}
                  for (d, m), by_value in self.counts.items() for (q, v), c in by_value.items()]
        upsert(AnswerCount.__table__, counts, ("wave_id", "question_code", "department_code",
                                               "municipality_code", "value"), add=("count",))
        self.sums.clear()
        self.counts.clear()


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
