"""Facts about nonconformities that other domains may read (plain data, no models).

Audits show the status of the NCs their findings raised and rank processes by their NCs;
management reviews and reminders read the same facts. Each function is self-contained.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select

from qms.extensions import db
from qms.nonconformities.models import (
    OPEN_STATUSES,
    EffectivenessVerification,
    NCSeverity,
    NCSource,
    Nonconformity,
    VerificationResult,
)


@dataclass(frozen=True)
class NCStatusFact:
    id: int
    code: str
    title: str
    status: str
    status_label: str
    is_open: bool
    #: "effective" / "not_effective" of the last recorded verification, or None.
    last_result: str | None
    last_result_label: str | None


def nc_status_facts(nc_ids: Iterable[int]) -> dict[int, NCStatusFact]:
    """id → where each NC stands (status, last effectiveness result), in two queries."""
    ids = sorted({int(i) for i in nc_ids if i is not None})
    if not ids:
        return {}
    last: dict[int, VerificationResult] = {}
    for nc_id, result in db.session.execute(
            select(EffectivenessVerification.nc_id, EffectivenessVerification.result)
            .where(EffectivenessVerification.nc_id.in_(ids),
                   EffectivenessVerification.result.is_not(None))
            .order_by(EffectivenessVerification.id)):
        last[nc_id] = result
    facts = {}
    for row in db.session.execute(select(Nonconformity.id, Nonconformity.code,
                                         Nonconformity.title, Nonconformity.status)
                                  .where(Nonconformity.id.in_(ids))):
        result = last.get(row.id)
        facts[row.id] = NCStatusFact(row.id, row.code, row.title, row.status.value,
                                     row.status.label, row.status in OPEN_STATUSES,
                                     result.value if result else None,
                                     result.label if result else None)
    return facts


@dataclass(frozen=True)
class ProcessNCFigures:
    process_id: int
    open_count: int
    open_major: int
    #: NCs raised from satisfaction surveys since the given date (open or not).
    from_surveys: int
    #: NCs raised from citizen complaints since the given date (open or not).
    from_complaints: int


def nc_figures_by_process(since: date) -> dict[int, ProcessNCFigures]:
    """Per process: open NCs, open major NCs, and NCs from surveys and complaints detected
    on or after ``since`` — the NC side of a risk-based audit programme."""
    is_open = Nonconformity.status.in_([s.value for s in OPEN_STATUSES])
    recent = Nonconformity.detected_on >= since
    rows = db.session.execute(
        select(Nonconformity.process_id,
               func.sum(case((is_open, 1), else_=0)),
               func.sum(case((is_open & (Nonconformity.severity == NCSeverity.MAJOR), 1),
                             else_=0)),
               func.sum(case((recent & (Nonconformity.source == NCSource.SATISFACTION_SURVEY),
                              1), else_=0)),
               func.sum(case((recent & (Nonconformity.source == NCSource.CITIZEN_COMPLAINT),
                              1), else_=0)))
        .group_by(Nonconformity.process_id))
    return {pid: ProcessNCFigures(pid, int(a or 0), int(b or 0), int(c or 0), int(d or 0))
            for pid, a, b, c, d in rows}


def nc_verifier_ids(nc_ids: Iterable[int]) -> set[int]:
    """Who verified (or is to verify) the effectiveness of these NCs."""
    ids = [int(i) for i in nc_ids if i is not None]
    if not ids:
        return set()
    return set(db.session.scalars(select(EffectivenessVerification.verifier_id)
                                  .where(EffectivenessVerification.nc_id.in_(ids))))
