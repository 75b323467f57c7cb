"""Facts about nonconformities other domains may read (plain data, no models).

Each function is self-contained and returns plain data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select

from qms.extensions import db
from qms.nonconformities.enums import OPEN_STATUSES, NCSeverity, NCSource, VerificationResult
from qms.nonconformities.models import EffectivenessVerification, NCRegisterFigure, Nonconformity


@dataclass(frozen=True)
class NCQuarterCount:
    """Nonconformities registered and closed in one quarter for one process (counts only)."""

    quarter: str
    process_code: str
    process_name: str
    opened: int
    closed: int


def nc_counts_per_quarter_by_process() -> list[NCQuarterCount]:
    """Per quarter ("2026-T1") and process: NCs registered and NCs closed (local dates).

    Cancelled NCs count as opened (they were registered) and never as closed.
    """
    from collections import defaultdict

    from sqlalchemy import select

    from qms.core.time import to_local
    from qms.extensions import db
    from qms.nonconformities.models import Nonconformity
    from qms.processes.models import Process

    def quarter(moment: datetime) -> str:
        local = to_local(moment)
        return f"{local.year}-T{(local.month - 1) // 3 + 1}"

    counts: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    rows = db.session.execute(
        select(Nonconformity.created_at, Nonconformity.closed_at, Process.code, Process.name)
        .join(Process, Process.id == Nonconformity.process_id))
    for created, closed, code, name in rows:
        counts[(quarter(created), code, name)][0] += 1
        if closed is not None:
            counts[(quarter(closed), code, name)][1] += 1
    return [NCQuarterCount(q, code, name, o, c)
            for (q, code, name), (o, c) in sorted(counts.items())]


def nonconformities_last_change() -> datetime | None:
    """When any nonconformity last changed (a cache key for readers)."""
    from sqlalchemy import func, select

    from qms.extensions import db
    from qms.nonconformities.models import Nonconformity

    return db.session.scalar(select(func.max(Nonconformity.updated_at)))


@dataclass(frozen=True)
class DueCorrectiveActionFact:
    action_id: int
    number: int
    nc_id: int
    nc_code: str
    nc_title: str
    owner_id: int
    due_on: date


def due_corrective_actions(until: date) -> list[DueCorrectiveActionFact]:
    """Corrective actions not done, of open NCs, due on or before ``until``. One query."""
    from sqlalchemy import select

    from qms.extensions import db
    from qms.nonconformities.models import (
        OPEN_STATUSES,
        ActionStatus,
        CorrectiveAction,
        Nonconformity,
    )

    rows = db.session.execute(
        select(CorrectiveAction.id, CorrectiveAction.number, CorrectiveAction.owner_id,
               CorrectiveAction.due_on, Nonconformity.id.label("nc_id"), Nonconformity.code,
               Nonconformity.title)
        .join(Nonconformity, Nonconformity.id == CorrectiveAction.nc_id)
        .where(CorrectiveAction.status != ActionStatus.DONE, CorrectiveAction.due_on <= until,
               Nonconformity.status.in_(list(OPEN_STATUSES))))
    return [DueCorrectiveActionFact(action_id, number, nc_id, code, title, owner_id, due_on)
            for action_id, number, owner_id, due_on, nc_id, code, title in rows]


@dataclass(frozen=True)
class DueVerificationFact:
    verification_id: int
    nc_id: int
    nc_code: str
    nc_title: str
    verifier_id: int
    planned_on: date


def due_effectiveness_verifications(until: date) -> list[DueVerificationFact]:
    """Planned effectiveness verifications without a result, of open NCs, planned on or
    before ``until``. One query."""
    from sqlalchemy import select

    from qms.extensions import db
    from qms.nonconformities.models import (
        OPEN_STATUSES,
        EffectivenessVerification,
        Nonconformity,
    )

    rows = db.session.execute(
        select(EffectivenessVerification.id, EffectivenessVerification.verifier_id,
               EffectivenessVerification.planned_on, Nonconformity.id.label("nc_id"),
               Nonconformity.code, Nonconformity.title)
        .join(Nonconformity, Nonconformity.id == EffectivenessVerification.nc_id)
        .where(EffectivenessVerification.result.is_(None),
               EffectivenessVerification.planned_on <= until,
               Nonconformity.status.in_(list(OPEN_STATUSES))))
    return [DueVerificationFact(r.id, r.nc_id, r.code, r.title, r.verifier_id, r.planned_on)
            for r in rows]


@dataclass(frozen=True)
class NCInStatusFact:
    nc_id: int
    code: str
    title: str
    status: str
    status_label: str
    #: The owner of the NC's process: the person answerable for moving it on.
    process_owner_id: int
    #: When the NC entered its current status (UTC).
    since: datetime


def nonconformities_in_status_since(before: datetime) -> list[NCInStatusFact]:
    """Open NCs that have been in their current status since ``before`` or earlier.

    The date a status was entered is the NC's last ``transition:`` event in the audit
    trail (its creation when it never moved). Two queries.
    """
    from sqlalchemy import func, select

    from qms.core.audit import AuditEvent
    from qms.extensions import db
    from qms.nonconformities.enums import OPEN_STATUSES
    from qms.nonconformities.models import Nonconformity
    from qms.processes.models import Process

    moved = dict(db.session.execute(
        select(AuditEvent.entity_id, func.max(AuditEvent.occurred_at))
        .where(AuditEvent.entity_type == Nonconformity.__tablename__,
               AuditEvent.action.like("transition:%"))
        .group_by(AuditEvent.entity_id)).all())
    rows = db.session.execute(
        select(Nonconformity.id, Nonconformity.code, Nonconformity.title, Nonconformity.status,
               Nonconformity.created_at, Process.owner_id)
        .join(Process, Process.id == Nonconformity.process_id)
        .where(Nonconformity.status.in_(list(OPEN_STATUSES)), Nonconformity.created_at <= before))
    found = []
    for row in rows:
        since = moved.get(str(row.id))
        if since is not None and since.tzinfo is None:  # SQLite returns the raw value
            from datetime import UTC

            since = since.replace(tzinfo=UTC)
        since = since or row.created_at
        if since <= before:
            found.append(NCInStatusFact(row.id, row.code, row.title, row.status.value,
                                        row.status.label, row.owner_id, since))
    return found


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


def nc_process_ids(nc_ids: Iterable[int]) -> dict[int, int]:
    """NC id → the id of the process it belongs to (for records that point at NCs)."""
    ids = sorted({int(i) for i in nc_ids if i is not None})
    if not ids:
        return {}
    return dict(db.session.execute(select(Nonconformity.id, Nonconformity.process_id)
                                   .where(Nonconformity.id.in_(ids))).all())


@dataclass(frozen=True)
class NCClosureFigures:
    """NCs closed within a window: how many, how many within the target days, and the
    median days from detection to closure."""

    closed: int
    closed_on_time: int
    median_days: float | None


def nc_closure_figures(start: date, end: date, target_days: int,
                       process_codes: Iterable[str] | None = None) -> NCClosureFigures:
    """NCs closed between ``start`` and ``end`` (local dates, inclusive): closed within
    ``target_days`` of detection, and the median days to close. One bounded query."""
    from datetime import UTC, time, timedelta
    from statistics import median

    from qms.core.time import local_zone, to_local
    from qms.processes.models import Process

    zone = local_zone()
    since = datetime.combine(start, time.min, tzinfo=zone).astimezone(UTC)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    query = (select(Nonconformity.detected_on, Nonconformity.closed_at)
             .where(Nonconformity.closed_at >= since, Nonconformity.closed_at < until))
    if process_codes is not None:
        query = query.join(Process, Process.id == Nonconformity.process_id).where(
            Process.code.in_(list(process_codes)))
    days = [(to_local(closed).date() - detected).days
            for detected, closed in db.session.execute(query)]
    return NCClosureFigures(len(days), sum(1 for d in days if d <= target_days),
                            float(median(days)) if days else None)


@dataclass(frozen=True)
class ActionOverdueFigures:
    """Corrective actions still to be done on a date, and how many were past due."""

    pending: int
    overdue: int


def corrective_actions_overdue_on(on: date) -> ActionOverdueFigures:
    """Actions registered by ``on`` and not completed by then; of them, due before ``on``.

    Counted from the actions' own dates, so the figure for a past date can be recomputed.
    """
    from datetime import UTC, time, timedelta

    from qms.core.time import local_zone
    from qms.nonconformities.models import CorrectiveAction

    moment = datetime.combine(on + timedelta(days=1), time.min,
                              tzinfo=local_zone()).astimezone(UTC)
    pending = ((CorrectiveAction.created_at < moment)
               & (CorrectiveAction.completed_at.is_(None)
                  | (CorrectiveAction.completed_at >= moment)))
    row = db.session.execute(select(
        func.count(CorrectiveAction.id),
        func.sum(case((CorrectiveAction.due_on < on, 1), else_=0))).where(pending)).one()
    return ActionOverdueFigures(int(row[0] or 0), int(row[1] or 0))


@dataclass(frozen=True)
class OpenNCAgeCell:
    """Open NCs of one process in one age band (days since detection)."""

    process_id: int
    process_code: str
    process_name: str
    #: Index into the ``bands`` the caller passed.
    band: int
    count: int


def open_nc_age_bands(today: date, bands: tuple[int, ...]) -> list[OpenNCAgeCell]:
    """Open NCs by process and age band: band i holds NCs detected more than bands[i-1]
    and at most bands[i] days ago; the last band everything older. A grouped count read
    from the (status, process, detected) index, then the processes' names."""
    from datetime import timedelta

    from qms.processes.models import Process

    whens = [(Nonconformity.detected_on >= today - timedelta(days=limit), i)
             for i, limit in enumerate(bands)]
    band = case(*whens, else_=len(bands)).label("band")
    counts = db.session.execute(
        select(Nonconformity.process_id, band, func.count())
        .where(Nonconformity.status.in_([s.value for s in OPEN_STATUSES]))
        .group_by(Nonconformity.process_id, band)).all()
    names = {pid: (code, name) for pid, code, name in db.session.execute(
        select(Process.id, Process.code, Process.name)
        .where(Process.id.in_({pid for pid, _b, _n in counts})))}
    cells = [OpenNCAgeCell(pid, *names[pid], int(b), int(n)) for pid, b, n in counts]
    return sorted(cells, key=lambda c: (c.process_code, c.band))


def overdue_corrective_actions_count(today: date) -> int:
    """Actions not done, of open NCs, whose due date has passed. One query."""
    from qms.nonconformities.models import ActionStatus, CorrectiveAction

    open_ncs = select(Nonconformity.id).where(
        Nonconformity.status.in_([s.value for s in OPEN_STATUSES]))
    return db.session.scalar(
        select(func.count(CorrectiveAction.id))
        .where(CorrectiveAction.nc_id.in_(open_ncs), CorrectiveAction.status != ActionStatus.DONE,
               CorrectiveAction.due_on < today)) or 0


@dataclass(frozen=True)
class NCReviewFigures:
    """Nonconformities and corrective actions over a period, for a management review
    [9.3.2 c4]: counts only, each answerable by the register's own filters."""

    opened: int
    opened_major: int
    closed: int
    cancelled: int
    open_at_end: int
    #: source value → NCs detected in the period from it.
    by_source: dict[str, int]
    actions_due: int
    actions_done: int
    actions_overdue_now: int
    verifications_effective: int
    verifications_not_effective: int
    median_days_to_close: float | None


def nc_review_figures(start: date, end: date, today: date) -> NCReviewFigures:
    """Bounded aggregates over NCs detected/closed between ``start`` and ``end`` (local
    dates, both included) and their corrective actions. Six aggregate queries, whatever
    the size of the register (no row is loaded but a median sample of closing times)."""
    from datetime import UTC, time, timedelta
    from statistics import median

    from qms.core.time import local_zone
    from qms.nonconformities.enums import ActionStatus, NCStatus
    from qms.nonconformities.models import CorrectiveAction

    zone = local_zone()
    since = datetime.combine(start, time.min, zone).astimezone(UTC)
    until = datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(UTC)
    detected = Nonconformity.detected_on.between(start, end)
    row = db.session.execute(select(
        func.count(Nonconformity.id),
        func.sum(case((Nonconformity.severity == NCSeverity.MAJOR, 1), else_=0)),
        func.sum(case((Nonconformity.status == NCStatus.CANCELLED, 1), else_=0)),
    ).where(detected)).one()
    closed_in = (Nonconformity.closed_at >= since) & (Nonconformity.closed_at < until)
    closed = db.session.scalar(select(func.count(Nonconformity.id)).where(closed_in)) or 0
    open_at_end = db.session.scalar(select(func.count(Nonconformity.id)).where(
        Nonconformity.detected_on <= end, Nonconformity.status != NCStatus.CANCELLED,
        (Nonconformity.closed_at.is_(None)) | (Nonconformity.closed_at >= until))) or 0
    by_source = {s.value: n for s, n in db.session.execute(
        select(Nonconformity.source, func.count(Nonconformity.id)).where(detected)
        .group_by(Nonconformity.source))}
    due_in = CorrectiveAction.due_on.between(start, end)
    done = CorrectiveAction.status == ActionStatus.DONE
    actions = db.session.execute(select(
        func.count(CorrectiveAction.id),
        func.sum(case((done, 1), else_=0)),
    ).where(due_in)).one()
    overdue_now = db.session.scalar(
        select(func.count(CorrectiveAction.id))
        .join(Nonconformity, Nonconformity.id == CorrectiveAction.nc_id)
        .where(~done, CorrectiveAction.due_on < today,
               Nonconformity.status.in_(list(OPEN_STATUSES)))) or 0
    results = dict(db.session.execute(
        select(EffectivenessVerification.result, func.count(EffectivenessVerification.id))
        .where(EffectivenessVerification.verified_at >= since,
               EffectivenessVerification.verified_at < until,
               EffectivenessVerification.result.is_not(None))
        .group_by(EffectivenessVerification.result)).all())
    # Days to close: a bounded sample (the 2,000 latest closures of the period).
    pairs = db.session.execute(
        select(Nonconformity.detected_on, Nonconformity.closed_at).where(closed_in)
        .order_by(Nonconformity.closed_at.desc()).limit(2000)).all()
    days = [(to_local_date(c) - d).days for d, c in pairs if c is not None]
    return NCReviewFigures(
        int(row[0] or 0), int(row[1] or 0), int(closed), int(row[2] or 0), int(open_at_end),
        by_source, int(actions[0] or 0), int(actions[1] or 0), int(overdue_now),
        int(results.get(VerificationResult.EFFECTIVE, 0)),
        int(results.get(VerificationResult.NOT_EFFECTIVE, 0)),
        float(median(days)) if days else None)


def to_local_date(moment: datetime) -> date:
    from datetime import UTC

    from qms.core.time import to_local

    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return to_local(moment).date()


@dataclass(frozen=True)
class ProcessNCPeriodFigures:
    process_id: int
    process_code: str
    process_name: str
    opened: int
    opened_major: int
    open_now: int
    from_complaints: int


def nc_figures_by_process_in_period(start: date, end: date) -> list[ProcessNCPeriodFigures]:
    """Per active process: NCs detected between ``start`` and ``end``, of them major and
    from complaints, and NCs open today. One grouped query, by process code."""
    from qms.processes.models import Process

    detected = Nonconformity.detected_on.between(start, end)
    is_open = Nonconformity.status.in_([s.value for s in OPEN_STATUSES])
    rows = db.session.execute(
        select(Process.id, Process.code, Process.name,
               func.sum(case((detected, 1), else_=0)),
               func.sum(case((detected & (Nonconformity.severity == NCSeverity.MAJOR), 1),
                             else_=0)),
               func.sum(case((is_open, 1), else_=0)),
               func.sum(case((detected & (Nonconformity.source == NCSource.CITIZEN_COMPLAINT),
                              1), else_=0)))
        .select_from(Process)
        .outerjoin(Nonconformity, Nonconformity.process_id == Process.id)
        .where(Process.active.is_(True))
        .group_by(Process.id, Process.code, Process.name).order_by(Process.code))
    return [ProcessNCPeriodFigures(pid, code, name, int(a or 0), int(b or 0), int(c or 0),
                                   int(d or 0)) for pid, code, name, a, b, c, d in rows]


def nc_source_labels() -> dict[str, str]:
    """Source value → its label in the reader's language."""
    return {s.value: s.label for s in NCSource}


@dataclass(frozen=True)
class EvidenceActionFact:
    number: int
    round: int
    description: str
    owner: str
    due_on: str
    status_label: str
    completed_on: str
    evidence: str


@dataclass(frozen=True)
class EvidenceVerificationFact:
    round: int
    planned_on: str
    verifier: str
    result_label: str
    verified_on: str
    evidence: str


@dataclass(frozen=True)
class EvidenceNCFileFact:
    stored_file_id: int
    sha256: str
    size: int
    name: str
    mime_type: str
    uploaded_at: datetime


@dataclass(frozen=True)
class EvidenceNCFact:
    """A nonconformity with its containment, root cause, actions and effectiveness."""

    id: int
    code: str
    title: str
    description: str
    process_id: int
    process_code: str
    source_label: str
    severity_label: str
    status_label: str
    detected_on: str
    correction: str
    correction_on: str
    root_cause: str
    actions: tuple[EvidenceActionFact, ...]
    verifications: tuple[EvidenceVerificationFact, ...]
    files: tuple[EvidenceNCFileFact, ...]
    closed_on: str
    updated_at: datetime


def nonconformities_open_between(start: date, end: date,
                                 process_ids: Iterable[int] | None = None
                                 ) -> list[EvidenceNCFact]:
    """NCs (of ``process_ids``; all when None) detected by ``end`` and not closed or
    cancelled before ``start``, with their whole treatment, by code. Bulk-loaded: one
    query per kind of row, whatever the number of NCs."""
    from collections import defaultdict
    from zoneinfo import ZoneInfo

    from flask import current_app
    from sqlalchemy import or_

    from qms.auth.models import User
    from qms.core.storage import StoredFile
    from qms.core.time import to_local
    from qms.nonconformities.models import CorrectiveAction, NCAnalysis, NCAttachment
    from qms.processes.models import Process

    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "America/Tegucigalpa"))
    since = datetime.combine(start, datetime.min.time(), tzinfo=zone)
    query = (select(Nonconformity, Process.code.label("process_code"))
             .join(Process, Process.id == Nonconformity.process_id)
             .where(Nonconformity.detected_on <= end,
                    or_(Nonconformity.closed_at.is_(None), Nonconformity.closed_at >= since))
             .order_by(Nonconformity.code))
    if process_ids is not None:
        query = query.where(Nonconformity.process_id.in_(list(process_ids)))
    rows = db.session.execute(query).all()
    ids = [nc.id for nc, _ in rows]
    names = dict(db.session.execute(select(User.id, User.full_name)).all())
    causes: dict[int, tuple[int, str]] = {}
    actions: dict[int, list] = defaultdict(list)
    checks: dict[int, list] = defaultdict(list)
    files: dict[int, list] = defaultdict(list)
    for chunk in (ids[i:i + 900] for i in range(0, len(ids), 900)):
        for a in db.session.execute(select(NCAnalysis.nc_id, NCAnalysis.round,
                                           NCAnalysis.root_cause)
                                    .where(NCAnalysis.nc_id.in_(chunk))):
            if a.root_cause and a.round >= causes.get(a.nc_id, (0, ""))[0]:
                causes[a.nc_id] = (a.round, a.root_cause)
        for a in db.session.scalars(select(CorrectiveAction)
                                    .where(CorrectiveAction.nc_id.in_(chunk))
                                    .order_by(CorrectiveAction.nc_id, CorrectiveAction.number)):
            actions[a.nc_id].append(EvidenceActionFact(
                a.number, a.round, a.description, names.get(a.owner_id, ""),
                a.due_on.isoformat(), a.status.label,
                to_local(a.completed_at).date().isoformat() if a.completed_at else "",
                a.evidence or ""))
        for v in db.session.scalars(select(EffectivenessVerification)
                                    .where(EffectivenessVerification.nc_id.in_(chunk))
                                    .order_by(EffectivenessVerification.nc_id,
                                              EffectivenessVerification.round)):
            checks[v.nc_id].append(EvidenceVerificationFact(
                v.round, v.planned_on.isoformat(), names.get(v.verifier_id, ""),
                v.result.label if v.result else "",
                to_local(v.verified_at).date().isoformat() if v.verified_at else "",
                v.evidence or ""))
        for f in db.session.execute(
                select(NCAttachment.nc_id, NCAttachment.uploaded_at, StoredFile.id,
                       StoredFile.sha256, StoredFile.size, StoredFile.original_name,
                       StoredFile.mime_type)
                .join(StoredFile, StoredFile.id == NCAttachment.stored_file_id)
                .where(NCAttachment.nc_id.in_(chunk)).order_by(NCAttachment.id)):
            files[f.nc_id].append(EvidenceNCFileFact(f.id, f.sha256, f.size, f.original_name,
                                                     f.mime_type, f.uploaded_at))
    return [EvidenceNCFact(
        nc.id, nc.code, nc.title, nc.description, nc.process_id, code, nc.source.label,
        nc.severity.label, nc.status.label, nc.detected_on.isoformat(), nc.correction or "",
        nc.correction_on.isoformat() if nc.correction_on else "",
        causes.get(nc.id, (0, ""))[1], tuple(actions[nc.id]), tuple(checks[nc.id]),
        tuple(files[nc.id]),
        to_local(nc.closed_at).date().isoformat() if nc.closed_at else "", nc.updated_at)
        for nc, code in rows]


def nc_risk_figures_by_process(since: date) -> dict[int, ProcessNCFigures]:
    """What :func:`nc_figures_by_process` returns, in two queries instead of one pass
    over the whole register: the open (and open major) NCs from the register's maintained
    figures, and the recent NCs from surveys and complaints (by source and date, a
    covering index) — the audit programme's risk ranking."""
    F = NCRegisterFigure
    open_statuses = [s.value for s in OPEN_STATUSES]
    figures: dict[int, list[int]] = {}
    for process_id, count, major in db.session.execute(
            select(F.process_id, func.sum(F.nc_count),
                   func.sum(case((F.severity == NCSeverity.MAJOR, F.nc_count), else_=0)))
            .where(F.status.in_(open_statuses))
            .group_by(F.process_id).having(func.sum(F.nc_count) > 0)):
        figures.setdefault(process_id, [0, 0, 0, 0])[:2] = [int(count), int(major or 0)]
    sources = {NCSource.SATISFACTION_SURVEY: 2, NCSource.CITIZEN_COMPLAINT: 3}
    for process_id, source, count in db.session.execute(
            select(Nonconformity.process_id, Nonconformity.source, func.count())
            .where(Nonconformity.source.in_(list(sources)), Nonconformity.detected_on >= since)
            .group_by(Nonconformity.process_id, Nonconformity.source)):
        figures.setdefault(process_id, [0, 0, 0, 0])[sources[source]] = int(count)
    return {pid: ProcessNCFigures(pid, *values) for pid, values in figures.items()}
