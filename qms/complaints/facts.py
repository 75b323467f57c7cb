"""Facts about citizen complaints other domains may read (the portal, reviews, KPIs).

Counts and durations only: never a description, a contact or a tracking code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import func, select

from qms.complaints.models import Complaint, ComplaintCategory, ComplaintStatus
from qms.core.time import local_zone, to_local
from qms.extensions import db


@dataclass(frozen=True)
class ComplaintFact:
    """One complaint reduced to what an aggregate needs (no text, no person)."""

    month: str
    category: str
    department_code: str
    answered: bool
    #: Days from filing to the public answer, when answered.
    response_days: float | None


def complaint_facts() -> list[ComplaintFact]:
    """Every complaint as month received (local), category, department and timing."""
    rows = db.session.execute(select(Complaint.received_at, Complaint.category,
                                     Complaint.department_code, Complaint.answered_at))
    facts = []
    for received, category, department, answered in rows:
        days = (answered - received).total_seconds() / 86400 if answered else None
        facts.append(ComplaintFact(to_local(received).strftime("%Y-%m"), category.value,
                                   department, answered is not None, days))
    return facts


def complaint_category_labels() -> dict[str, str]:
    return {c.value: c.label for c in ComplaintCategory}


def complaints_last_change() -> datetime | None:
    return db.session.scalar(select(func.max(Complaint.updated_at)))


def open_complaints_count() -> int:
    return db.session.scalar(select(func.count(Complaint.id)).where(
        Complaint.status.in_([ComplaintStatus.RECEIVED, ComplaintStatus.UNDER_REVIEW]))) or 0


@dataclass(frozen=True)
class ComplaintRiskCount:
    """Complaints of one category that raised one NC (or none), and how many."""

    category: str
    nc_id: int | None
    count: int


def complaint_counts_for_audit_risk(since: date) -> list[ComplaintRiskCount]:
    """The complaints received on or after the local day ``since``, counted in SQL per
    category and NC: a row per category without an NC plus one per NC raised, however
    many complaints there are."""
    from sqlalchemy import func

    start = datetime.combine(since, time(), tzinfo=local_zone()).astimezone(UTC)
    rows = db.session.execute(
        select(Complaint.category, Complaint.nc_id, func.count())
        .where(Complaint.received_at >= start)
        .group_by(Complaint.category, Complaint.nc_id))
    return [ComplaintRiskCount(category.value, nc_id, count) for category, nc_id, count in rows]


@dataclass(frozen=True)
class ComplaintTimeliness:
    """Complaints received within a window, and how many had their public answer within
    the target days."""

    received: int
    answered_in_time: int


def complaints_answered_within(start, end, target_days: int) -> ComplaintTimeliness:
    """Complaints received between ``start`` and ``end`` (local dates, inclusive); of them,
    answered within ``target_days`` days of receipt. One bounded query."""
    from datetime import UTC, time, timedelta

    from qms.core.time import local_zone

    zone = local_zone()
    since = datetime.combine(start, time.min, tzinfo=zone).astimezone(UTC)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    rows = db.session.execute(select(Complaint.received_at, Complaint.answered_at).where(
        Complaint.received_at >= since, Complaint.received_at < until)).all()
    limit = timedelta(days=target_days)
    return ComplaintTimeliness(len(rows), sum(1 for received, answered in rows
                                              if answered and answered - received <= limit))


@dataclass(frozen=True)
class ComplaintPeriodFigures:
    """Complaints received in a period [9.3.2 c1]: counts and timing only."""

    received: int
    answered: int
    open_now: int
    #: category value → complaints received.
    by_category: dict[str, int]
    #: Mean days from filing to the public answer (answered ones).
    mean_response_days: float | None
    turned_into_nc: int


def complaint_figures_in_period(start_utc: datetime, end_utc: datetime) -> ComplaintPeriodFigures:
    """Complaints received in [``start_utc``, ``end_utc``). Two aggregate queries."""
    from sqlalchemy import case

    received = (Complaint.received_at >= start_utc) & (Complaint.received_at < end_utc)
    open_statuses = [ComplaintStatus.RECEIVED, ComplaintStatus.UNDER_REVIEW]
    row = db.session.execute(select(
        func.count(Complaint.id),
        func.sum(case((Complaint.answered_at.is_not(None), 1), else_=0)),
        func.sum(case((Complaint.status.in_(open_statuses), 1), else_=0)),
        func.sum(case((Complaint.nc_id.is_not(None), 1), else_=0)),
    ).where(received)).one()
    by_category = {c.value: n for c, n in db.session.execute(
        select(Complaint.category, func.count(Complaint.id)).where(received)
        .group_by(Complaint.category))}
    pairs = db.session.execute(select(Complaint.received_at, Complaint.answered_at).where(
        received, Complaint.answered_at.is_not(None)).limit(5000)).all()
    days = [(a - r).total_seconds() / 86400 for r, a in pairs]
    return ComplaintPeriodFigures(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0),
                                  by_category, sum(days) / len(days) if days else None,
                                  int(row[3] or 0))
