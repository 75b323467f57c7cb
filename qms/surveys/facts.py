"""Facts about satisfaction surveys other domains may read (plain data, no models).

Each function is self-contained and returns plain data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class SatisfactionIndexFact:
    """The satisfaction index (0–100) of one wave in one department, or nationally
    (``department_code`` ""), with its 95 % margin of error. Raw: not suppressed."""

    survey_code: str
    survey_title: str
    wave_code: str
    wave_name: str
    starts_on: str
    ends_on: str
    department_code: str
    responses: int
    #: Respondents with an index (answered at least one index question).
    n: int
    index: float | None
    moe: float | None


def satisfaction_index_by_department() -> list[SatisfactionIndexFact]:
    """Every wave with responses: national and per-department index, from the aggregates."""
    import math

    from sqlalchemy import select

    from qms.extensions import db
    from qms.surveys import aggregates
    from qms.surveys.models import INDEX_CODE, RESPONSES_CODE, Wave
    from qms.surveys.stats import summarise

    waves = list(db.session.scalars(select(Wave).order_by(Wave.starts_on)))
    if not waves:
        return []
    ids = [w.id for w in waves]
    national = aggregates.sums(ids)
    by_dept = aggregates.sums(ids, by="department")
    facts: list[SatisfactionIndexFact] = []

    def clean(value):
        return None if value is None or (isinstance(value, float) and math.isnan(value)) \
            else value

    for wave in waves:
        populations = {t.department_code: t.population for t in wave.targets}
        groups = [("", national, wave.population or None)] + [
            (code, by_dept, populations.get(code)) for code in sorted(
                {k[2] for k in by_dept if k[0] == wave.id and k[2]})]
        for code, data, population in groups:
            responses = int((data.get((wave.id, RESPONSES_CODE, code)) or (0,))[0] or 0)
            if not responses:
                continue
            s = summarise(data.get((wave.id, INDEX_CODE, code)), kind="index",
                          population=population, min_n=1)
            facts.append(SatisfactionIndexFact(
                wave.survey.code, wave.survey.title, wave.code, wave.name,
                wave.starts_on.isoformat(), wave.ends_on.isoformat(), code, responses, s.n,
                clean(s.index), clean(s.moe_index)))
    return facts


def surveys_last_change() -> str:
    """A stamp that changes whenever responses arrive (a cache key for readers)."""
    from sqlalchemy import func, select

    from qms.extensions import db
    from qms.surveys.models import RESPONSES_CODE, Aggregate, Wave

    total = db.session.scalar(select(func.sum(Aggregate.n)).where(
        Aggregate.question_code == RESPONSES_CODE)) or 0
    waves = db.session.scalar(select(func.count(Wave.id))) or 0
    return f"{waves}:{int(total)}"


@dataclass(frozen=True)
class ClosingWaveFact:
    wave_id: int
    survey_code: str
    code: str
    name: str
    ends_on: date


def waves_closing(until: date) -> list[ClosingWaveFact]:
    """Open survey waves whose last day is on or before ``until``. One query."""
    from sqlalchemy import select

    from qms.extensions import db
    from qms.surveys.models import Survey, Wave, WaveStatus

    rows = db.session.execute(
        select(Wave.id, Wave.code, Wave.name, Wave.ends_on, Survey.code.label("survey_code"))
        .join(Survey, Survey.id == Wave.survey_id)
        .where(Wave.status == WaveStatus.OPEN, Wave.ends_on <= until))
    return [ClosingWaveFact(r.id, r.survey_code, r.code, r.name, r.ends_on) for r in rows]


@dataclass(frozen=True)
class LatestWaveIndexFact:
    """The satisfaction index of the latest wave that ended on or before a date."""

    wave_id: int
    survey_code: str
    wave_code: str
    wave_name: str
    ends_on: date
    #: "" for the national figure, else the department's code.
    department_code: str
    n: int
    index: float | None
    moe: float | None


def latest_wave_satisfaction(until: date) -> list[LatestWaveIndexFact]:
    """National and per-department index of the latest wave (with responses) ending on or
    before ``until``, read from the maintained aggregates of that one wave, never from the
    answers."""
    import math

    from sqlalchemy import func, select

    from qms.extensions import db
    from qms.surveys import aggregates
    from qms.surveys.models import INDEX_CODE, RESPONSES_CODE, Aggregate, Wave
    from qms.surveys.stats import summarise

    wave = db.session.scalar(
        select(Wave).where(Wave.ends_on <= until, select(Aggregate.wave_id).where(
            Aggregate.wave_id == Wave.id, Aggregate.question_code == RESPONSES_CODE)
            .exists()).order_by(Wave.ends_on.desc(), Wave.id.desc()).limit(1))
    if wave is None:
        return []
    # Only the two rows that matter (responses, index) per municipality of one wave.
    columns = [func.sum(getattr(Aggregate, c)) for c in aggregates._SUM_COLUMNS]
    wanted = Aggregate.question_code.in_([INDEX_CODE, RESPONSES_CODE])
    national = {(wave.id, q, ""): tuple(rest) for q, *rest in db.session.execute(
        select(Aggregate.question_code, *columns)
        .where(Aggregate.wave_id == wave.id, wanted).group_by(Aggregate.question_code))}
    by_dept = {(wave.id, q, d): tuple(rest) for q, d, *rest in db.session.execute(
        select(Aggregate.question_code, Aggregate.department_code, *columns)
        .where(Aggregate.wave_id == wave.id, wanted)
        .group_by(Aggregate.question_code, Aggregate.department_code))}
    populations = {t.department_code: t.population for t in wave.targets}
    groups = [("", national, wave.population or None)] + [
        (code, by_dept, populations.get(code))
        for code in sorted({k[2] for k in by_dept if k[2]})]
    facts = []
    for code, data, population in groups:
        if not int((data.get((wave.id, RESPONSES_CODE, code)) or (0,))[0] or 0):
            continue
        s = summarise(data.get((wave.id, INDEX_CODE, code)), kind="index",
                      population=population, min_n=1)
        index = None if s.index is None or math.isnan(s.index) else s.index
        moe = None if s.moe_index is None or math.isnan(s.moe_index) else s.moe_index
        facts.append(LatestWaveIndexFact(wave.id, wave.survey.code, wave.code, wave.name,
                                         wave.ends_on, code, s.n, index, moe))
    return facts


@dataclass(frozen=True)
class WaveSatisfactionFact:
    """One survey wave of a period with its satisfaction index [9.3.2 c1], national and
    by department (raw, not suppressed), read from the maintained aggregates."""

    wave_id: int
    survey_code: str
    wave_code: str
    wave_name: str
    starts_on: date
    ends_on: date
    responses: int
    index: float | None
    moe: float | None
    #: (department code, responses, index, moe) per department with responses.
    departments: tuple[tuple[str, int, float | None, float | None], ...]
    url: str


def satisfaction_waves_in_period(start: date, end: date) -> list[WaveSatisfactionFact]:
    """Waves whose dates overlap ``start``–``end``, by start date. Reads only the
    per-wave aggregates (two grouped queries plus the waves), never the answers."""
    import math

    from sqlalchemy import select
    from sqlalchemy.orm import joinedload, selectinload

    from qms.extensions import db
    from qms.surveys import aggregates
    from qms.surveys.models import INDEX_CODE, RESPONSES_CODE, Wave
    from qms.surveys.stats import summarise

    waves = list(db.session.scalars(
        select(Wave).options(joinedload(Wave.survey), selectinload(Wave.targets))
        .where(Wave.starts_on <= end, Wave.ends_on >= start).order_by(Wave.starts_on, Wave.id)))
    if not waves:
        return []
    ids = [w.id for w in waves]
    national = aggregates.sums(ids)
    by_dept = aggregates.sums(ids, by="department")

    def clean(value):
        return None if value is None or (isinstance(value, float) and math.isnan(value)) \
            else round(float(value), 2)

    facts = []
    for wave in waves:
        populations = {t.department_code: t.population for t in wave.targets}
        responses = int((national.get((wave.id, RESPONSES_CODE, "")) or (0,))[0] or 0)
        s = summarise(national.get((wave.id, INDEX_CODE, "")), kind="index",
                      population=wave.population or None, min_n=1)
        departments = []
        for code in sorted({k[2] for k in by_dept if k[0] == wave.id and k[2]}):
            n = int((by_dept.get((wave.id, RESPONSES_CODE, code)) or (0,))[0] or 0)
            if not n:
                continue
            d = summarise(by_dept.get((wave.id, INDEX_CODE, code)), kind="index",
                          population=populations.get(code), min_n=1)
            departments.append((code, n, clean(d.index), clean(d.moe_index)))
        facts.append(WaveSatisfactionFact(
            wave.id, wave.survey.code, wave.code, wave.name, wave.starts_on, wave.ends_on,
            responses, clean(s.index) if responses else None,
            clean(s.moe_index) if responses else None, tuple(departments),
            f"/encuestas/rondas/{wave.id}"))
    return facts
