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
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

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


class Accumulator:
    """Sums for one batch, added to the database by :meth:`flush`."""

    def __init__(self, wave_id: int, questions: Sequence[Question]) -> None:
        self.wave_id = wave_id
        self.questions = [(q.code, q.type) for q in questions]
        self.index_codes = [q.code for q in questions
                            if q.in_index and q.type == QuestionType.LIKERT]
        self.sums: dict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0, 0.0, 0.0,
                                                                                   0, 0])
        self.counts: dict[tuple[str, str, str, str], int] = defaultdict(int)

    def add(self, record: dict[str, Any]) -> None:
        dept = record["department_code"]
        muni = record["municipality_code"] or ""
        answers = record["answers"]
        sums, counts = self.sums, self.counts
        sums[(RESPONSES_CODE, dept, muni)][0] += 1
        for code, kind in self.questions:
            value = answers.get(code)
            if value is None:
                continue
            if kind == QuestionType.LIKERT:
                if value == "ns":
                    counts[(code, dept, muni, "ns")] += 1
                    continue
                s = sums[(code, dept, muni)]
                s[0] += 1
                s[1] += value
                s[2] += value * value
                if value >= 4:
                    s[3] += 1
                elif value <= 2:
                    s[4] += 1
                counts[(code, dept, muni, str(value))] += 1
            elif kind == QuestionType.YES_NO:
                s = sums[(code, dept, muni)]
                s[0] += 1
                s[1] += value
                s[2] += value
                counts[(code, dept, muni, str(value))] += 1
            elif kind == QuestionType.SINGLE:
                sums[(code, dept, muni)][0] += 1
                counts[(code, dept, muni, value)] += 1
            elif kind == QuestionType.MULTIPLE:
                sums[(code, dept, muni)][0] += 1
                for option in value:
                    counts[(code, dept, muni, option)] += 1
            elif kind == QuestionType.NUMBER:
                s = sums[(code, dept, muni)]
                s[0] += 1
                s[1] += value
                s[2] += value * value
            else:
                sums[(code, dept, muni)][0] += 1
        scores = [answers[c] for c in self.index_codes if isinstance(answers.get(c), int)]
        if scores:
            index = 100.0 * (sum(scores) / len(scores) - 1) / 4
            s = sums[(INDEX_CODE, dept, muni)]
            s[0] += 1
            s[1] += index
            s[2] += index * index

    def flush(self) -> None:
        rows = [{"wave_id": self.wave_id, "question_code": q, "department_code": d,
                 "municipality_code": m, **dict(zip(_SUM_COLUMNS, v, strict=True))}
                for (q, d, m), v in self.sums.items()]
        _upsert(Aggregate.__table__, rows, ("wave_id", "question_code", "department_code",
                                            "municipality_code"), _SUM_COLUMNS)
        counts = [{"wave_id": self.wave_id, "question_code": q, "department_code": d,
                   "municipality_code": m, "value": str(v)[:60], "count": c}
                  for (q, d, m, v), c in self.counts.items()]
        _upsert(AnswerCount.__table__, counts, ("wave_id", "question_code", "department_code",
                                                "municipality_code", "value"), ("count",))
        self.sums.clear()
        self.counts.clear()


def _upsert(table, rows: list[dict], keys: Iterable[str], additive: Iterable[str]) -> None:
    if not rows:
        return
    connection = db.session.connection()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    for start in range(0, len(rows), 500):
        statement = dialect.insert(table).values(rows[start:start + 500])
        statement = statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={c: table.c[c] + statement.excluded[c] for c in additive},
        )
        connection.execute(statement)


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
