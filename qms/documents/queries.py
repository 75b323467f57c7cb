"""The document register's derived facts as SQL, for counters and pages that must not load
every document: the revision in force on a day, the next periodic review, the reading
list. Each matches its Python counterpart in ``services`` / ``reading`` (tests compare them)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import defer

from qms.core.time import months_after
from qms.documents.models import (
    PUBLISHED_STATUSES,
    Acknowledgement,
    DistributionEntry,
    Document,
    Revision,
)


def in_force_on(day: date):
    """``Revision.in_force_on(day)`` as a condition."""
    return and_(Revision.status.in_(PUBLISHED_STATUSES), Revision.effective_from <= day,
                or_(Revision.effective_until.is_(None), Revision.effective_until > day))


def next_review_on():
    """``services.next_review_on`` of a Document joined to its revision in force: the later
    of its effective date and the last "reviewed, no changes", plus the interval."""
    base = case((Document.last_reviewed_on > Revision.effective_from, Document.last_reviewed_on),
                else_=Revision.effective_from)
    return months_after(base, Document.review_interval_months)


def with_revision_in_force(query, today: date):
    return query.join(Revision, and_(Revision.document_id == Document.id, in_force_on(today)))


def review_counts(today: date, due_days: int):
    """One row: documents whose periodic review is overdue, and those overdue or due
    within ``due_days`` (``services.review_state`` "overdue" / "due" or "overdue")."""
    due = next_review_on()
    return with_revision_in_force(select(
        func.count(case((due < today, 1))).label("overdue"),
        func.count(case((due <= today + timedelta(days=due_days), 1))).label("due")
    ).select_from(Document), today)


def to_read(user, today: date, *columns):
    """(Document, Revision in force) the user must read and has not confirmed (or the
    ``columns`` given): on the document's distribution by name or role, no
    acknowledgement of that revision."""
    listed = select(DistributionEntry.document_id).where(
        or_(DistributionEntry.user_id == user.id, DistributionEntry.role == user.role))
    read = exists().where(Acknowledgement.revision_id == Revision.id,
                          Acknowledgement.user_id == user.id)
    query = select(*(columns or (Document, Revision))).select_from(Document)
    if not columns:  # a list of documents to read needs no revision's text
        query = query.options(defer(Revision.content_md))
    return with_revision_in_force(query, today).where(Document.id.in_(listed), ~read)
