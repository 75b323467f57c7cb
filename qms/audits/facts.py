"""Facts about audits other domains may read (reminders, reviews, evidence packs).

Plain frozen dataclasses, no models: a reader never depends on how audits are stored.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from qms.audits.enums import AuditStatus, MemberRole
from qms.audits.models import Audit, AuditMember, Finding
from qms.core.time import to_local
from qms.extensions import db
from qms.processes.models import Process


@dataclass(frozen=True)
class AuditStartFact:
    audit_id: int
    code: str
    title: str
    starts_on: date
    #: Everybody in the audit: the team (lead, auditors, experts, observers) and auditees.
    member_ids: tuple[int, ...]


def audits_starting(first: date, last: date) -> list[AuditStartFact]:
    """Planned audits whose planned start falls between ``first`` and ``last``."""
    audits = db.session.execute(
        select(Audit.id, Audit.code, Audit.title, Audit.planned_start)
        .where(Audit.status == AuditStatus.PLANNED, Audit.planned_start.between(first, last))
        .order_by(Audit.planned_start, Audit.id)).all()
    members: dict[int, list[int]] = defaultdict(list)
    if audits:
        for audit_id, user_id in db.session.execute(
                select(AuditMember.audit_id, AuditMember.user_id)
                .where(AuditMember.audit_id.in_([a.id for a in audits]))
                .order_by(AuditMember.id)):
            members[audit_id].append(user_id)
    return [AuditStartFact(a.id, a.code, a.title, a.planned_start, tuple(members[a.id]))
            for a in audits]


@dataclass(frozen=True)
class UnansweredFindingFact:
    finding_id: int
    audit_id: int
    audit_code: str
    number: int
    finding_type: str
    #: Local day the finding was recorded (the response deadline counts from it).
    recorded_on: date
    process_owner_id: int


def unanswered_findings() -> list[UnansweredFindingFact]:
    """Findings without the auditee's response on audits that still accept one."""
    rows = db.session.execute(
        select(Finding.id, Finding.audit_id, Audit.code, Finding.number, Finding.finding_type,
               Finding.created_at, Process.owner_id)
        .join(Audit, Audit.id == Finding.audit_id).join(Process, Process.id == Finding.process_id)
        .where(Finding.auditee_response.is_(None),
               Audit.status.in_([AuditStatus.IN_PROGRESS, AuditStatus.REPORTED]))
        .order_by(Finding.id))
    return [UnansweredFindingFact(r[0], r[1], r[2], r[3], r[4].value, to_local(r[5]).date(), r[6])
            for r in rows]


@dataclass(frozen=True)
class UnsignedReportFact:
    audit_id: int
    code: str
    title: str
    #: The last day of fieldwork (actual end if recorded, else the planned end).
    fieldwork_ended_on: date
    #: The lead auditor (None for an external audit without one in the system).
    lead_id: int | None


def reports_unsigned(ended_by: date) -> list[UnsignedReportFact]:
    """Audits still in progress whose fieldwork ended on or before ``ended_by``."""
    end = func.coalesce(Audit.actual_end, Audit.planned_end)
    lead = (select(AuditMember.user_id).where(AuditMember.audit_id == Audit.id,
                                              AuditMember.role == MemberRole.LEAD)
            .limit(1).scalar_subquery())
    rows = db.session.execute(
        select(Audit.id, Audit.code, Audit.title, Audit.actual_end, Audit.planned_end, lead)
        .where(Audit.status == AuditStatus.IN_PROGRESS, end <= ended_by)
        .order_by(Audit.id))
    return [UnsignedReportFact(r[0], r[1], r[2], r[3] or r[4], r[5]) for r in rows]
