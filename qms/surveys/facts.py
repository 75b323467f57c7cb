"""Facts about beneficiary-satisfaction surveys that other domains may read (plain data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


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
