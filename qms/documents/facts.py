"""Facts about controlled documents other domains may read (plain data, no models).

Each function is self-contained and returns plain data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select

from qms.documents.models import PUBLISHED_STATUSES, Document, DocumentType, Revision
from qms.extensions import db


@dataclass(frozen=True)
class PublicDocumentFact:
    """A document marked public and its effective revision, content already sanitised."""

    code: str
    title: str
    doc_type: str
    doc_type_label: str
    revision: int
    effective_from: str
    #: Sanitised HTML of the revision's Markdown (safe to insert in a page).
    html: str
    has_file: bool


def public_documents() -> list[PublicDocumentFact]:
    """Public documents with an effective revision (policies first, then by code)."""
    from sqlalchemy import select

    from qms.documents.models import (
        Confidentiality,
        Document,
        DocumentType,
        Revision,
        RevisionStatus,
    )
    from qms.documents.rendering import render_markdown
    from qms.extensions import db

    rows = db.session.execute(
        select(Document, Revision).join(Revision, Revision.document_id == Document.id)
        .where(Document.confidentiality == Confidentiality.PUBLIC,
               Revision.status == RevisionStatus.EFFECTIVE)
        .order_by(Document.code))
    facts = [PublicDocumentFact(d.code, d.title, d.doc_type.value, d.doc_type.label, r.number,
                                r.effective_from.isoformat() if r.effective_from else "",
                                str(render_markdown(r.content_md)), r.file_id is not None)
             for d, r in rows]
    return sorted(facts, key=lambda f: (f.doc_type != DocumentType.POLICY.value, f.code))


def documents_last_change() -> datetime | None:
    """When any revision last changed (a cache key for readers)."""
    from sqlalchemy import func, select

    from qms.documents.models import Revision
    from qms.extensions import db

    return db.session.scalar(select(func.max(Revision.updated_at)))


@dataclass(frozen=True)
class DocumentReviewFact:
    document_id: int
    code: str
    title: str
    #: The person responsible for the document, or None when only a role owns it.
    owner_id: int | None
    #: The owning role's value ("quality_officer"…) when no person is named.
    owner_role: str | None
    #: Effective date of the revision in force + the document's review interval.
    review_due_on: date


def documents_due_for_review(until: date, today: date) -> list[DocumentReviewFact]:
    """Documents whose revision in force on ``today`` is due for its periodic review on
    or before ``until``. One query, whatever the size of the register."""
    from sqlalchemy import or_, select

    from qms.documents.models import Document, Revision, RevisionStatus
    from qms.documents.services import add_months
    from qms.extensions import db

    rows = db.session.execute(
        select(Document.id, Document.code, Document.title, Document.owner_id,
               Document.owner_role, Document.review_interval_months, Revision.effective_from)
        .join(Revision, Revision.document_id == Document.id)
        .where(Revision.status.in_([RevisionStatus.EFFECTIVE, RevisionStatus.SUPERSEDED]),
               Revision.effective_from <= today,
               or_(Revision.effective_until.is_(None), Revision.effective_until > today)))
    found = []
    for row in rows:
        due = add_months(row.effective_from, row.review_interval_months)
        if due <= until:
            found.append(DocumentReviewFact(
                row.id, row.code, row.title, row.owner_id,
                row.owner_role.value if row.owner_role else None, due))
    return found


@dataclass(frozen=True)
class PendingAcknowledgementFact:
    document_id: int
    code: str
    title: str
    revision_id: int
    revision_number: int
    #: First day the revision was in force: reading is expected from then on.
    effective_from: date
    user_id: int


def pending_acknowledgements(effective_until: date, today: date) -> list[PendingAcknowledgementFact]:
    """(revision in force, recipient) pairs without a read confirmation, for revisions in
    force since ``effective_until`` or earlier. Recipients are named users and every
    active user of a listed role. A fixed number of queries."""
    from sqlalchemy import or_, select

    from qms.auth.models import User
    from qms.documents.models import (
        Acknowledgement,
        DistributionEntry,
        Document,
        Revision,
        RevisionStatus,
    )
    from qms.extensions import db

    in_force = (
        select(Revision.id, Revision.number, Revision.effective_from, Document.id.label("doc_id"),
               Document.code, Document.title)
        .join(Document, Document.id == Revision.document_id)
        .where(Revision.status == RevisionStatus.EFFECTIVE, Revision.effective_from <= effective_until,
               Revision.effective_from <= today,
               or_(Revision.effective_until.is_(None), Revision.effective_until > today))
        .subquery())
    by_user = (select(in_force, DistributionEntry.user_id.label("uid"))
               .join(DistributionEntry, DistributionEntry.document_id == in_force.c.doc_id)
               .join(User, User.id == DistributionEntry.user_id)
               .where(DistributionEntry.user_id.is_not(None), User.active.is_(True)))
    by_role = (select(in_force, User.id.label("uid"))
               .join(DistributionEntry, DistributionEntry.document_id == in_force.c.doc_id)
               .join(User, User.role == DistributionEntry.role)
               .where(DistributionEntry.role.is_not(None), User.active.is_(True)))
    acknowledged = {(r[0], r[1]) for r in db.session.execute(
        select(Acknowledgement.revision_id, Acknowledgement.user_id)
        .where(Acknowledgement.revision_id.in_(select(in_force.c.id))))}
    found: dict[tuple[int, int], PendingAcknowledgementFact] = {}
    for query in (by_user, by_role):
        for row in db.session.execute(query):
            key = (row.id, row.uid)
            if key in acknowledged or key in found:
                continue
            found[key] = PendingAcknowledgementFact(
                row.doc_id, row.code, row.title, row.id, row.number, row.effective_from, row.uid)
    return list(found.values())


@dataclass(frozen=True)
class RevisionInForce:
    document_id: int
    code: str
    title: str
    revision: int
    effective_from: str


def procedures_in_force(on: date) -> list[RevisionInForce]:
    """Procedures (and manuals, instructions) with the revision in force on ``on``, by code:
    what an audit pins as its criteria so a later revision never changes the record."""
    rows = db.session.execute(
        select(Document.id, Document.code, Document.title, Revision.number,
               Revision.effective_from)
        .join(Revision, Revision.document_id == Document.id)
        .where(Document.doc_type.in_([DocumentType.PROCEDURE, DocumentType.MANUAL,
                                      DocumentType.INSTRUCTION, DocumentType.POLICY]),
               Revision.status.in_(PUBLISHED_STATUSES),
               Revision.effective_from.is_not(None), Revision.effective_from <= on,
               or_(Revision.effective_until.is_(None), Revision.effective_until > on))
        .order_by(Document.code, Revision.number.desc()))
    seen: dict[int, RevisionInForce] = {}
    for r in rows:
        seen.setdefault(r.id, RevisionInForce(r.id, r.code, r.title, r.number,
                                              r.effective_from.isoformat()))
    return list(seen.values())


@dataclass(frozen=True)
class EvidenceFileFact:
    """A stored file as an evidence pack cites it (content address, size, name)."""

    stored_file_id: int
    sha256: str
    size: int
    name: str
    mime_type: str


@dataclass(frozen=True)
class EvidenceRevisionFact:
    id: int
    number: int
    status_label: str
    effective_from: str
    effective_until: str
    approved_by: str
    approved_at: datetime | None
    approval_meaning: str
    change_summary: str
    file: EvidenceFileFact | None
    updated_at: datetime


@dataclass(frozen=True)
class EvidenceDocumentFact:
    """One entry of the master list with the revisions in force during a period."""

    id: int
    code: str
    title: str
    doc_type: str
    doc_type_label: str
    process_id: int | None
    process_code: str
    revisions: tuple[EvidenceRevisionFact, ...]
    updated_at: datetime


def documents_in_force_between(start: date, end: date,
                               process_ids: Iterable[int] | None = None
                               ) -> list[EvidenceDocumentFact]:
    """Documents (of ``process_ids``, plus organisation-wide ones; all when None) with
    every published revision that was in force at some day of ``start``–``end``, and its
    signed approval and file, by code."""
    from sqlalchemy.orm import aliased

    from qms.auth.models import User
    from qms.core.storage import StoredFile
    from qms.processes.models import Process

    approver = aliased(User)
    query = (
        select(Document.id, Document.code, Document.title, Document.doc_type,
               Document.process_id, Process.code.label("process_code"),
               Document.updated_at.label("doc_updated"), Revision.id.label("rev_id"),
               Revision.number, Revision.status, Revision.effective_from,
               Revision.effective_until, approver.full_name.label("approver"),
               Revision.approved_at, Revision.approval_meaning, Revision.change_summary,
               Revision.updated_at.label("rev_updated"), StoredFile.id.label("file_id"),
               StoredFile.sha256, StoredFile.size, StoredFile.original_name,
               StoredFile.mime_type)
        .join(Revision, Revision.document_id == Document.id)
        .outerjoin(Process, Process.id == Document.process_id)
        .outerjoin(approver, approver.id == Revision.approved_by_id)
        .outerjoin(StoredFile, StoredFile.id == Revision.file_id)
        .where(Revision.status.in_(PUBLISHED_STATUSES), Revision.effective_from.is_not(None),
               Revision.effective_from <= end,
               or_(Revision.effective_until.is_(None), Revision.effective_until > start))
        .order_by(Document.code, Revision.number))
    if process_ids is not None:
        query = query.where(or_(Document.process_id.in_(list(process_ids)),
                                Document.process_id.is_(None)))
    documents: dict[int, dict] = {}
    for r in db.session.execute(query):
        entry = documents.setdefault(r.id, {"row": r, "revisions": []})
        file = EvidenceFileFact(r.file_id, r.sha256, r.size, r.original_name, r.mime_type) \
            if r.file_id else None
        entry["revisions"].append(EvidenceRevisionFact(
            r.rev_id, r.number, r.status.label, r.effective_from.isoformat(),
            r.effective_until.isoformat() if r.effective_until else "", r.approver or "",
            r.approved_at, r.approval_meaning or "", r.change_summary or "", file, r.rev_updated))
    facts = []
    for entry in documents.values():
        r = entry["row"]
        facts.append(EvidenceDocumentFact(
            r.id, r.code, r.title, r.doc_type.value, r.doc_type.label, r.process_id,
            r.process_code or "", tuple(entry["revisions"]),
            max([r.doc_updated, *(v.updated_at for v in entry["revisions"])])))
    return facts


@dataclass(frozen=True)
class DocumentReviewTimeliness:
    """Documents in force on a date, and how many of them were past their periodic review."""

    in_force: int
    overdue: int


def document_review_timeliness(on: date) -> DocumentReviewTimeliness:
    """Documents with a revision in force on ``on``; of them, those whose periodic review
    (effective date + review interval) had passed by then. One query."""
    from sqlalchemy import or_, select

    from qms.documents.models import Document, Revision, RevisionStatus
    from qms.documents.services import add_months
    from qms.extensions import db

    rows = db.session.execute(
        select(Document.review_interval_months, Revision.effective_from)
        .join(Revision, Revision.document_id == Document.id)
        .where(Revision.status.in_([RevisionStatus.EFFECTIVE, RevisionStatus.SUPERSEDED]),
               Revision.effective_from <= on,
               or_(Revision.effective_until.is_(None), Revision.effective_until > on))).all()
    overdue = sum(1 for months, since in rows if add_months(since, months) < on)
    return DocumentReviewTimeliness(len(rows), overdue)


@dataclass(frozen=True)
class DocumentReviewCounts:
    #: Documents whose periodic review date has passed.
    overdue: int
    #: Those overdue plus those due within the days asked (the register's "revision=due").
    due: int


def document_review_counts(today: date, days: int) -> DocumentReviewCounts:
    """How many documents in force are overdue for their periodic review, and how many
    are overdue or due within ``days`` — the master list's review states, counted by one
    aggregate in SQL (no document loaded)."""
    from qms.documents.queries import review_counts

    overdue, due = db.session.execute(review_counts(today, days)).one()
    return DocumentReviewCounts(int(overdue or 0), int(due or 0))
