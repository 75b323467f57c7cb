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
class ComplaintRiskFact:
    """A recent complaint as the audit programme's risk ranking counts it (no text)."""

    category: str
    #: The nonconformity it raised, if any (the ranking counts it for that NC's process).
    nc_id: int | None


def complaints_for_audit_risk(since: date) -> list[ComplaintRiskFact]:
    """Every complaint received on or after the local day ``since``: its category and NC."""
    start = datetime.combine(since, time(), tzinfo=local_zone()).astimezone(UTC)
    rows = db.session.execute(select(Complaint.category, Complaint.nc_id)
                              .where(Complaint.received_at >= start))
    return [ComplaintRiskFact(category.value, nc_id) for category, nc_id in rows]
