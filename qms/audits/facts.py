"""Facts about audits other domains may read (reminders, reviews, evidence packs).

Plain frozen dataclasses, no models: a reader never depends on how audits are stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

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


@dataclass(frozen=True)
class AuditResultFact:
    """One audit of a period with its findings counted by type [9.3.2 c6]."""

    id: int
    code: str
    title: str
    type_label: str
    external: bool
    status: str
    status_label: str
    planned_start: date
    #: finding type value → count.
    findings: dict[str, int]
    conclusion: str
    url: str


def audit_results_for_review(start: date, end: date) -> list[AuditResultFact]:
    """Audits (not cancelled) planned to start between ``start`` and ``end``, with their
    findings counted by type. Two queries."""
    from sqlalchemy import func, select

    from qms.audits.enums import AuditStatus
    from qms.audits.models import Audit, Finding
    from qms.extensions import db

    audits = db.session.execute(
        select(Audit.id, Audit.code, Audit.title, Audit.audit_type, Audit.status,
               Audit.planned_start, Audit.conclusion)
        .where(Audit.planned_start.between(start, end), Audit.status != AuditStatus.CANCELLED)
        .order_by(Audit.planned_start, Audit.code)).all()
    counts: dict[int, dict[str, int]] = {}
    if audits:
        for audit_id, kind, n in db.session.execute(
                select(Finding.audit_id, Finding.finding_type, func.count(Finding.id))
                .where(Finding.audit_id.in_([a.id for a in audits]))
                .group_by(Finding.audit_id, Finding.finding_type)):
            counts.setdefault(audit_id, {})[kind.value] = n
    return [AuditResultFact(a.id, a.code, a.title, a.audit_type.label, a.audit_type.is_external,
                            a.status.value, a.status.label, a.planned_start,
                            counts.get(a.id, {}), a.conclusion or "", f"/auditorias/{a.id}")
            for a in audits]


def audit_finding_type_labels() -> dict[str, str]:
    from qms.audits.enums import FindingType

    return {t.value: t.label for t in FindingType}


@dataclass(frozen=True)
class AuditOpportunityFact:
    """An opportunity for improvement (or observation) an audit recorded [9.3.2 f]."""

    finding_id: int
    audit_code: str
    label: str
    type_label: str
    process_code: str
    description: str
    url: str


def audit_opportunities_for_review(start: date, end: date,
                                   limit: int = 50) -> list[AuditOpportunityFact]:
    """Opportunities for improvement and observations of audits planned to start between
    ``start`` and ``end`` (the ``limit`` latest). One query."""
    from sqlalchemy import select

    from qms.audits.enums import AuditStatus, FindingType
    from qms.audits.models import Audit, Finding
    from qms.extensions import db
    from qms.processes.models import Process

    rows = db.session.execute(
        select(Finding.id, Finding.number, Finding.finding_type, Finding.description,
               Audit.code, Process.code.label("process_code"))
        .join(Audit, Audit.id == Finding.audit_id)
        .join(Process, Process.id == Finding.process_id)
        .where(Audit.planned_start.between(start, end), Audit.status != AuditStatus.CANCELLED,
               Finding.finding_type.in_([FindingType.OPPORTUNITY, FindingType.OBSERVATION]))
        .order_by(Audit.planned_start.desc(), Finding.number).limit(limit))
    return [AuditOpportunityFact(r.id, r.code, f"H-{r.number}", r.finding_type.label,
                                 r.process_code, r.description,
                                 f"/auditorias/hallazgos/{r.id}") for r in rows]


@dataclass(frozen=True)
class EvidenceFindingFact:
    label: str
    type_label: str
    is_nc: bool
    clause: str
    process_code: str
    description: str
    evidence: str
    nc_id: int | None


@dataclass(frozen=True)
class EvidenceAuditFact:
    """One audit of the programme with its scope, its findings and its signed report."""

    id: int
    code: str
    title: str
    type_label: str
    status_label: str
    programme_year: int
    planned_start: str
    planned_end: str
    actual_start: str
    actual_end: str
    process_ids: tuple[int, ...]
    process_codes: tuple[str, ...]
    clauses: tuple[str, ...]
    findings: tuple[EvidenceFindingFact, ...]
    conclusion: str
    report_sha256: str
    report_file_id: int | None
    report_size: int | None
    report_name: str
    reported_on: str
    updated_at: datetime


def audits_planned_between(start: date, end: date, process_ids: Iterable[int] | None = None
                           ) -> list[EvidenceAuditFact]:
    """Audits (not cancelled) planned to overlap ``start``–``end`` that cover one of
    ``process_ids`` (all when None), by planned start and code."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from qms.audits.enums import AuditStatus
    from qms.audits.models import Audit, Finding
    from qms.core.storage import StoredFile
    from qms.core.time import to_local
    from qms.extensions import db

    wanted = set(process_ids) if process_ids is not None else None
    audits = db.session.scalars(
        select(Audit).options(selectinload(Audit.processes), selectinload(Audit.programme),
                              selectinload(Audit.findings).selectinload(Finding.process))
        .where(Audit.status != AuditStatus.CANCELLED, Audit.planned_start <= end,
               Audit.planned_end >= start)
        .order_by(Audit.planned_start, Audit.code)).all()
    file_ids = [a.report_file_id for a in audits if a.report_file_id]
    stored = {f.id: f for f in db.session.scalars(
        select(StoredFile).where(StoredFile.id.in_(file_ids)))} if file_ids else {}
    facts = []
    for a in audits:
        pids = tuple(p.id for p in a.processes)
        if wanted is not None and not wanted.intersection(pids):
            continue
        report = stored.get(a.report_file_id) if a.report_file_id else None
        findings = tuple(EvidenceFindingFact(
            f.label, f.finding_type.label, f.finding_type.is_nc, f.clause,
            f.process.code if f.process else "", f.description, f.evidence or "", f.nc_id)
            for f in sorted(a.findings, key=lambda f: f.number))
        facts.append(EvidenceAuditFact(
            a.id, a.code, a.title, a.audit_type.label, a.status.label, a.programme.year,
            a.planned_start.isoformat(), a.planned_end.isoformat(),
            a.actual_start.isoformat() if a.actual_start else "",
            a.actual_end.isoformat() if a.actual_end else "", pids,
            tuple(p.code for p in a.processes), tuple(a.criteria_clauses or ()), findings,
            a.conclusion or "", a.report_sha256 or "", a.report_file_id,
            report.size if report else None, report.original_name if report else "",
            to_local(a.reported_at).date().isoformat() if a.reported_at else "",
            a.updated_at))
    return facts
