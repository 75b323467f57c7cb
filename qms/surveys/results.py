"""Results of a wave and trends across waves, read from the aggregates only.

A handful of GROUP BY queries over a few thousand aggregate rows, whatever the number of
responses: that is what keeps a 1,000,000-response wave answering in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qms.core import geo
from qms.core.settings import get_setting
from qms.surveys import aggregates
from qms.surveys.models import INDEX_CODE, RESPONSES_CODE, Question, QuestionType, Survey, Wave
from qms.surveys.services import target_totals
from qms.surveys.stats import Summary, summarise

_KIND = {QuestionType.LIKERT: "likert", QuestionType.YES_NO: "share",
         QuestionType.NUMBER: "number", QuestionType.SINGLE: "count",
         QuestionType.MULTIPLE: "count", QuestionType.TEXT: "count"}


@dataclass
class Distribution:
    value: str
    label: str
    count: int
    pct: float


@dataclass
class QuestionResult:
    question: Question
    summary: Summary
    distribution: list[Distribution] = field(default_factory=list)


@dataclass
class GroupRow:
    code: str
    name: str
    responses: int
    target: int | None
    population: int | None
    index: Summary
    complaint: Summary | None
    focus: Summary | None = None

    @property
    def response_rate(self) -> float | None:
        return 100.0 * self.responses / self.target if self.target else None


@dataclass
class WaveResults:
    wave: Wave
    min_n: int
    responses: int
    target: int
    population: int | None
    index: Summary
    complaint: Summary | None
    complaint_question: Question | None
    questions: list[QuestionResult]
    groups: list[GroupRow]
    #: "department" or "municipality" (when ``department`` is set).
    group_by: str
    department: str | None
    focus_question: Question | None

    @property
    def response_rate(self) -> float | None:
        return 100.0 * self.responses / self.target if self.target else None


def _labels(question: Question) -> dict[str, str]:
    if question.type == QuestionType.LIKERT:
        base = {"1": "1", "2": "2", "3": "3", "4": "4", "5": "5", "ns": "NS/NR"}
        return {**base, **{k: f"{k} · {v}" for k, v in (question.choices or {}).items()
                           if k in base}}
    if question.type == QuestionType.YES_NO:
        return {"1": "Sí", "0": "No"}
    return dict(question.choices or {})


def _distribution(question: Question, counts: dict, n: int) -> list[Distribution]:
    labels = _labels(question)
    values = list(labels) + sorted({v for (q, v) in counts if q == question.code} - set(labels))
    rows = []
    for value in values:
        count = counts.get((question.code, value), 0)
        if count or value in labels:
            rows.append(Distribution(value, labels.get(value, value), count,
                                     100.0 * count / n if n else 0.0))
    return rows


def wave_results(wave: Wave, *, department: str | None = None,
                 focus: str | None = None) -> WaveResults:
    min_n = int(get_setting("surveys.min_group_size"))
    z = float(get_setting("surveys.confidence_z"))
    questions = list(wave.questionnaire.questions)
    complaint_q = next((q for q in questions if q.is_complaint), None)
    focus_q = next((q for q in questions if q.code == focus), None)
    targets = {t.department_code: t for t in wave.targets}
    target_total, population = target_totals(wave)
    if department:
        dept_target = targets.get(department)
        target_total = dept_target.target_sample if dept_target else 0
        population = dept_target.population if dept_target else None

    overall = aggregates.sums([wave.id], by="department" if department else None,
                              department=department)

    def pick(code: str):
        key = (wave.id, code, department or "")
        return overall.get(key)

    responses = int((pick(RESPONSES_CODE) or (0,))[0] or 0)
    counts = aggregates.value_counts(wave.id, department=department)
    results = []
    for q in questions:
        s = summarise(pick(q.code), kind=_KIND[q.type], population=population, min_n=min_n, z=z)
        dist = [] if s.suppressed or q.type in (QuestionType.TEXT, QuestionType.NUMBER) else \
            _distribution(q, counts, s.n)
        results.append(QuestionResult(q, s, dist))
    index = summarise(pick(INDEX_CODE), kind="index", population=population, min_n=min_n, z=z)
    complaint = summarise(pick(complaint_q.code), kind="share", population=population,
                          min_n=min_n, z=z) if complaint_q else None
    group_by = "municipality" if department else "department"
    groups = _groups(wave, group_by, department, targets, complaint_q, focus_q, min_n, z)
    return WaveResults(wave, min_n, responses, target_total, population, index, complaint,
                       complaint_q, results, groups, group_by, department, focus_q)


def _groups(wave, group_by, department, targets, complaint_q, focus_q, min_n, z):
    grouped = aggregates.sums([wave.id], by=group_by, department=department)
    if group_by == "department":
        places = [(d.code, d.name) for d in geo.departments().values()]
    else:
        places = [(m.code, m.name) for m in geo.municipalities_of(department)]
        places.append(("", "(sin municipio)"))
    rows = []
    for code, name in places:
        def get(qcode, code=code):
            return grouped.get((wave.id, qcode, code))
        responses = int((get(RESPONSES_CODE) or (0,))[0] or 0)
        if group_by == "municipality" and responses == 0:
            continue
        target = targets.get(code) if group_by == "department" else None
        population = target.population if target else None
        rows.append(GroupRow(
            code=code, name=name, responses=responses,
            target=target.target_sample if target else None, population=population,
            index=summarise(get(INDEX_CODE), kind="index", population=population, min_n=min_n,
                            z=z),
            complaint=summarise(get(complaint_q.code), kind="share", population=population,
                                min_n=min_n, z=z) if complaint_q else None,
            focus=summarise(get(focus_q.code), kind=_KIND[focus_q.type], population=population,
                            min_n=min_n, z=z) if focus_q else None,
        ))
    return rows


@dataclass
class TrendPoint:
    wave: Wave
    responses: int
    index: Summary
    complaint: Summary | None
    satisfied: dict[str, Summary]


def trend(survey: Survey) -> list[TrendPoint]:
    """Index, complaint share and % satisfied per Likert question, wave by wave."""
    waves = list(survey.waves)
    if not waves:
        return []
    min_n = int(get_setting("surveys.min_group_size"))
    z = float(get_setting("surveys.confidence_z"))
    data = aggregates.sums([w.id for w in waves])
    points = []
    for wave in waves:
        _target, population = target_totals(wave)
        questions = wave.questionnaire.questions
        complaint_q = next((q for q in questions if q.is_complaint), None)
        satisfied = {q.code: summarise(data.get((wave.id, q.code, "")), kind="likert",
                                       population=population, min_n=min_n, z=z)
                     for q in questions if q.type == QuestionType.LIKERT}
        points.append(TrendPoint(
            wave=wave, responses=int((data.get((wave.id, RESPONSES_CODE, "")) or (0,))[0] or 0),
            index=summarise(data.get((wave.id, INDEX_CODE, "")), kind="index",
                            population=population, min_n=min_n, z=z),
            complaint=summarise(data.get((wave.id, complaint_q.code, "")), kind="share",
                                population=population, min_n=min_n, z=z) if complaint_q else None,
            satisfied=satisfied))
    return points


def question_texts(survey: Survey) -> dict[str, str]:
    """Question code → its text in the most recent questionnaire that has it (the
    waves' questionnaires, oldest first): what a trend shows instead of the code."""
    texts: dict[str, str] = {}
    for wave in survey.waves:
        for question in wave.questionnaire.questions:
            texts[question.code] = question.text
    return texts
