"""The free-text answers of a wave (comments, "why?"), for staff to read and export.

Comments are the richest feedback, and the most identifying: a group smaller than the
minimum group size (``surveys.min_group_size``) shows none of its comments, exactly as
the results suppress its figures. Only rows that are visible (not those of a batch still
being published) are read; search ignores case and accents.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, literal, select, union_all

from qms.core import geo
from qms.core.settings import get_setting
from qms.extensions import db
from qms.surveys.models import Question, QuestionType, Response, Wave
from qms.surveys.publishing import visible_responses

PAGE_SIZE = 50


@dataclass(frozen=True)
class Comment:
    number: int
    department_code: str
    department: str
    submitted_on: date
    question: Question
    text: str


@dataclass
class Comments:
    questions: list[Question]
    #: Departments whose responses reach the minimum group size (the others are hidden).
    shown_departments: set[str]
    min_n: int
    suppressed: bool
    total: int
    page: list[Comment]


def text_questions(wave: Wave) -> list[Question]:
    return [q for q in wave.questionnaire.questions if q.type == QuestionType.TEXT]


def _department_sizes(wave: Wave) -> dict[str, int]:
    query = select(Response.department_code, func.count(Response.id)).where(
        Response.wave_id == wave.id, visible_responses()).group_by(Response.department_code)
    return dict(db.session.execute(query).all())


def iter_comments(wave: Wave, *, department: str | None = None, query: str = "",
                  question: str | None = None) -> tuple[list[Question], set[str], int,
                                                        Iterator[Comment]]:
    """(text questions, departments shown, minimum group size, matching comments)."""
    min_n = int(get_setting("surveys.min_group_size"))
    questions = [q for q in text_questions(wave) if not question or q.code == question]
    sizes = _department_sizes(wave)
    shown = {code for code, n in sizes.items() if n >= min_n}
    needle = geo.normalise(query)
    names = {d.code: d.name for d in geo.departments().values()}

    def rows() -> Iterator[Comment]:
        statement = select(Response.department_code, Response.submitted_at,
                           Response.answers).where(Response.wave_id == wave.id,
                                                   visible_responses())
        if department:
            statement = statement.where(Response.department_code == department)
        number = 0
        for dept, submitted, answers in db.session.execute(
                statement.order_by(Response.id).execution_options(yield_per=5000)):
            if dept not in shown:
                continue
            for q in questions:
                text = (answers or {}).get(q.code)
                if not isinstance(text, str) or not text.strip():
                    continue
                if needle and needle not in geo.normalise(text):
                    continue
                number += 1
                yield Comment(number, dept, names.get(dept, dept), submitted.date(), q, text)

    return questions, shown, min_n, rows()


def comments(wave: Wave, *, department: str | None = None, query: str = "",
             question: str | None = None, page: int = 1) -> Comments:
    """One page of the comments. Without a search the database counts them and returns
    the page (two queries, no response read into Python); a search folds accents, so it
    reads the wave's answers here."""
    if not query:
        return _comments_in_sql(wave, department=department, question=question, page=page)
    questions, shown, min_n, found = iter_comments(wave, department=department, query=query,
                                                   question=question)
    start = (max(page, 1) - 1) * PAGE_SIZE
    listed, total = [], 0
    for comment in found:
        if start <= total < start + PAGE_SIZE:
            listed.append(comment)
        total += 1
    suppressed = (department not in shown) if department else not shown
    return Comments(questions, shown, min_n, suppressed, total, listed)


def _comments_in_sql(wave: Wave, *, department: str | None, question: str | None,
                     page: int) -> Comments:
    """:func:`iter_comments`' rows and numbering (by response, then question order) as
    one ``UNION ALL`` of a select per text question, counted and paged by the database."""
    min_n = int(get_setting("surveys.min_group_size"))
    questions = [q for q in text_questions(wave) if not question or q.code == question]
    shown = {code for code, n in _department_sizes(wave).items() if n >= min_n}
    suppressed = (department not in shown) if department else not shown
    places = sorted(shown if not department else shown & {department})
    if not questions or not places:
        return Comments(questions, shown, min_n, suppressed, 0, [])
    parts = []
    for position, q in enumerate(questions):
        answer = Response.answers[q.code].as_string()
        parts.append(select(Response.id.label("response_id"),
                            literal(position).label("position"),
                            Response.department_code.label("department_code"),
                            Response.submitted_at.label("submitted_at"),
                            answer.label("text"))
                     .where(Response.wave_id == wave.id, visible_responses(),
                            Response.department_code.in_(places),
                            answer.is_not(None), func.trim(answer) != ""))
    found = union_all(*parts).subquery()
    start = (max(page, 1) - 1) * PAGE_SIZE
    names = {d.code: d.name for d in geo.departments().values()}
    # the total rides on the page's rows (one pass over the answers); a page past the
    # end has none, and then it is counted on its own
    rows = db.session.execute(
        select(found, func.count().over().label("total"))
        .order_by(found.c.response_id, found.c.position)
        .limit(PAGE_SIZE).offset(start)).all()
    total = rows[0].total if rows else db.session.scalar(
        select(func.count()).select_from(found))
    listed = [Comment(start + i + 1, row.department_code,
                      names.get(row.department_code, row.department_code),
                      row.submitted_at.date(), questions[row.position], row.text)
              for i, row in enumerate(rows)]
    return Comments(questions, shown, min_n, suppressed, total, listed)



def export_rows(wave: Wave, **filters) -> Iterator[list]:
    """The rows of the CSV export. The wave is read now; the responses while streaming."""
    _questions, _shown, _min_n, found = iter_comments(wave, **filters)
    return ([c.number, c.department_code, c.department, c.submitted_on.isoformat(),
             c.question.code, c.text] for c in found)


EXPORT_HEADER = ["fila", "departamento", "nombre_departamento", "fecha_envio", "pregunta",
                 "texto"]
