"""Facts about internal audits other domains may read (objectives, dashboard, reviews).

Each function is self-contained and returns plain data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class AuditProgrammeCompletion:
    """Audits planned to finish within a window (not cancelled), and how many of them had
    been carried out (reported or closed)."""

    planned: int
    completed: int


def audit_programme_completion(start: date, end: date) -> AuditProgrammeCompletion:
    """Audits whose planned end falls within [start, end], cancelled ones left out; done
    means reported or closed. One query."""
    from sqlalchemy import case, func, select

    from qms.audits.enums import AuditStatus
    from qms.audits.models import Audit
    from qms.extensions import db

    done = [AuditStatus.REPORTED.value, AuditStatus.CLOSED.value]
    row = db.session.execute(
        select(func.count(Audit.id), func.sum(case((Audit.status.in_(done), 1), else_=0)))
        .where(Audit.planned_end >= start, Audit.planned_end <= end,
               Audit.status != AuditStatus.CANCELLED)).one()
    return AuditProgrammeCompletion(int(row[0] or 0), int(row[1] or 0))


@dataclass(frozen=True)
class UpcomingAuditFact:
    id: int
    code: str
    title: str
    audit_type: str
    audit_type_label: str
    status: str
    status_label: str
    planned_start: date
    planned_end: date


def upcoming_audits(today: date, limit: int = 5) -> list[UpcomingAuditFact]:
    """The next planned or running audits (not yet reported) ending on or after ``today``,
    soonest first. One bounded query."""
    from sqlalchemy import select

    from qms.audits.enums import AuditStatus
    from qms.audits.models import Audit
    from qms.extensions import db

    rows = db.session.scalars(
        select(Audit).where(Audit.status.in_([AuditStatus.PLANNED, AuditStatus.IN_PROGRESS]),
                            Audit.planned_end >= today)
        .order_by(Audit.planned_start, Audit.id).limit(limit))
    return [UpcomingAuditFact(a.id, a.code, a.title, a.audit_type.value, a.audit_type.label,
                              a.status.value, a.status.label, a.planned_start, a.planned_end)
            for a in rows]
