"""The register of controlled documents and the facts derived from it.

What was in force on a date, the next periodic review, a document's status. The
revisions' transitions live in :mod:`qms.documents.lifecycle`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from flask_babel import lazy_gettext as _l

#: Lazy, and extracted by the default ``pgettext`` keyword: a document is "in force",
#: a process merely "in use", though both are «Vigente» in Spanish.
from flask_babel import lazy_pgettext as pgettext
from sqlalchemy import false, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from qms.auth.models import Role, User
from qms.core.errors import ConflictError, ValidationError, check_version, stale_message
from qms.core.time import today_local
from qms.documents.models import (
    OPEN_STATUSES,
    Confidentiality,
    DistributionEntry,
    Document,
    DocumentType,
    Revision,
    RevisionStatus,
)
from qms.extensions import db
from qms.processes.models import Process

S = RevisionStatus
CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9.\-_]{1,29}$")


def flush_or_conflict() -> None:
    """Flush; a concurrent change caught by the version counter becomes a clear conflict."""
    try:
        db.session.flush()
    except StaleDataError:
        raise ConflictError(stale_message()) from None

# ------------------------------------------------------------------------ register


def clean_code(code: str) -> str:
    code = (code or "").strip().upper()
    if not CODE_PATTERN.match(code):
        raise ValidationError(_l("El código debe tener de 2 a 30 caracteres: letras mayúsculas, "
                                 "cifras, puntos y guiones (p. ej. PR-SGC-01)."), field="code")
    return code


def _clean_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationError(_l("Indique el título del documento."), field="title")
    if len(title) > 250:
        raise ValidationError(_l("El título admite hasta 250 caracteres."), field="title")
    return title


def _clean_interval(months) -> int:
    try:
        months = int(months)
    except (TypeError, ValueError):
        months = 0
    if not 1 <= months <= 60:
        raise ValidationError(_l("El intervalo de revisión debe estar entre 1 y 60 meses."),
                              field="review_interval_months")
    return months


def code_taken(code: str, exclude_id: int | None = None) -> bool:
    query = select(Document.id).where(Document.code == code)
    if exclude_id is not None:
        query = query.where(Document.id != exclude_id)
    return db.session.scalar(query) is not None


def create_document(*, code: str, title: str, doc_type: DocumentType, process: Process | None,
                    owner: User | None = None, owner_role: Role | None = None,
                    confidentiality: Confidentiality = Confidentiality.INTERNAL,
                    review_interval_months: int = 12, source_path: str | None = None) -> Document:
    code = clean_code(code)
    duplicate = ValidationError(_l("Ya existe un documento con el código %(code)s.", code=code),
                                field="code")
    if code_taken(code):
        raise duplicate
    document = Document(
        code=code, title=_clean_title(title), doc_type=DocumentType(doc_type), process=process,
        owner=owner, owner_role=owner_role, confidentiality=Confidentiality(confidentiality),
        review_interval_months=_clean_interval(review_interval_months), source_path=source_path)
    try:
        with db.session.begin_nested():
            db.session.add(document)
    except IntegrityError:  # a concurrent creation took the code first
        raise duplicate from None
    return document


def update_document(document: Document, *, expected_version: int | None, title: str,
                    doc_type: DocumentType, process: Process | None, owner: User | None,
                    confidentiality: Confidentiality, review_interval_months: int) -> Document:
    check_version(document, expected_version)
    _check_reclassification(document, doc_type=DocumentType(doc_type), process=process,
                            owner=owner, confidentiality=Confidentiality(confidentiality))
    document.title = _clean_title(title)
    document.doc_type = DocumentType(doc_type)
    document.process = process
    document.owner = owner
    document.confidentiality = Confidentiality(confidentiality)
    document.review_interval_months = _clean_interval(review_interval_months)
    flush_or_conflict()
    return document


def _check_reclassification(document: Document, *, doc_type, process, owner,
                            confidentiality) -> None:
    """Moving a document to another process, or changing its owner, type or
    confidentiality, is document control's decision (``document.reclassify``): a
    process owner edits the content of their documents, not where they belong."""
    from flask import has_request_context
    from flask_login import current_user

    from qms.core.errors import PermissionDenied
    from qms.core.permissions import can

    changed = (doc_type != document.doc_type
               or (process.id if process else None) != document.process_id
               or (owner.id if owner else None) != document.owner_id
               or confidentiality != document.confidentiality)
    if changed and has_request_context() and not can(current_user, "document.reclassify",
                                                     document):
        raise PermissionDenied(_l("Solo control de documentos puede cambiar el proceso, el "
                                  "dueño, el tipo o la confidencialidad de un documento."))


def set_distribution(document: Document, *, users: Iterable[User] = (),
                     roles: Iterable[Role] = ()) -> None:
    """Replace the distribution list (who must read the document)."""
    wanted = {("u", u.id) for u in users} | {("r", Role(r)) for r in roles}
    current = {(("u", e.user_id) if e.user_id else ("r", e.role)): e for e in document.distribution}
    for key, entry in current.items():
        if key not in wanted:
            document.distribution.remove(entry)
    for kind, value in sorted(wanted - set(current), key=str):
        document.distribution.append(
            DistributionEntry(user_id=value) if kind == "u" else DistributionEntry(role=value))
    db.session.flush()


def list_documents(*, search: str | None = None, doc_type: str | None = None,
                   process_id: int | None = None, options=None,
                   processes: frozenset[str] | None = None):
    """The documents matching the filters by code; ``options`` replace the default
    eager loads (every revision, the process, the owner). ``processes`` (codes) keeps
    the documents of those processes and those bound to none (a reader's scope,
    :func:`qms.core.permissions.readable_processes`); an empty scope keeps none."""
    if options is None:
        options = (selectinload(Document.revisions), selectinload(Document.process),
                   selectinload(Document.owner))
    query = select(Document).options(*options).order_by(Document.code)
    if search:
        like = f"%{search.strip().lower()}%"
        query = query.where(func.lower(Document.code).like(like)
                            | func.lower(Document.title).like(like))
    if doc_type:
        query = query.where(Document.doc_type == DocumentType(doc_type))
    if process_id:
        query = query.where(Document.process_id == process_id)
    if processes is not None:  # none at all: not even the documents bound to no process
        query = query.where(false() if not processes else (
            Document.process_id.is_(None) | Document.process_id.in_(
                select(Process.id).where(Process.code.in_(sorted(processes))))))
    return query


# ----------------------------------------------------------------- derived facts


def in_force_on(document: Document, day: date) -> Revision | None:
    """The revision that was (or will be) in force on ``day``, if any."""
    for revision in reversed(document.revisions):
        if revision.in_force_on(day):
            return revision
    return None


def current_revision(document: Document) -> Revision | None:
    return in_force_on(document, today_local())


def scheduled_revision(document: Document) -> Revision | None:
    """A published revision whose effective date is still ahead."""
    today = today_local()
    return next((r for r in document.revisions if r.status == S.EFFECTIVE
                 and r.effective_from and r.effective_from > today), None)


def open_revision(document: Document) -> Revision | None:
    return next((r for r in document.revisions if r.status in OPEN_STATUSES), None)


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def next_review_on(document: Document) -> date | None:
    """The current revision's effective date (or the last "reviewed, no changes", when
    later) plus the document's review interval."""
    revision = current_revision(document)
    if revision is None or revision.effective_from is None:
        return None
    base = revision.effective_from
    if document.last_reviewed_on is not None and document.last_reviewed_on > base:
        base = document.last_reviewed_on
    return add_months(base, document.review_interval_months)


#: A review is "due" this many days before its date (the reminders issue may make it a setting).
REVIEW_DUE_DAYS = 30


def review_state(document: Document, today: date | None = None) -> str | None:
    """"overdue", "due" (within REVIEW_DUE_DAYS) or None."""
    due = next_review_on(document)
    if due is None:
        return None
    today = today or today_local()
    if due < today:
        return "overdue"
    if (due - today).days <= REVIEW_DUE_DAYS:
        return "due"
    return None


def due_for_review(today: date | None = None) -> list[tuple[Document, date, str]]:
    """(document, next review date, "due"/"overdue") for every document needing its review.

    The reminders job reads this; the master list shows the same facts."""
    today = today or today_local()
    found = []
    for document in db.session.scalars(list_documents()):
        state = review_state(document, today)
        if state is not None:
            found.append((document, next_review_on(document), state))
    return found


def close_review_unchanged(document: Document, *, expected_version: int | None, note: str,
                           actor: User) -> date:
    """Close a due periodic review as "reviewed, no changes": no new revision; the next
    review counts from today; the audit trail keeps who decided it and why."""
    from qms.core import audit
    from qms.core.errors import TransitionError

    check_version(document, expected_version)
    if current_revision(document) is None:
        raise TransitionError(_l("El documento no tiene una revisión vigente que revisar."))
    if review_state(document) is None:
        raise TransitionError(_l("La revisión periódica de %(code)s no está próxima ni vencida "
                                 "(próxima: %(d)s).", code=document.code,
                                 d=next_review_on(document).isoformat()))
    note = (note or "").strip()
    if not note:
        raise ValidationError(_l("Anote qué se revisó y por qué no necesita cambios."),
                              field="note")
    if len(note) > 1000:
        raise ValidationError(_l("Máximo %(n)s caracteres.", n=1000), field="note")
    document.last_reviewed_on = today_local()
    audit.annotate(db.session, document, "review_no_changes", f"{actor.full_name}: {note}")
    flush_or_conflict()
    return next_review_on(document)


def document_status(document: Document) -> str:
    """"effective", "obsolete" (withdrawn) or "in_preparation" (never in force yet)."""
    if current_revision(document) is not None or scheduled_revision(document) is not None:
        return "effective"
    if any(r.status == S.OBSOLETE and r.effective_from for r in document.revisions):
        return "obsolete"
    return "in_preparation"


DOCUMENT_STATUS_LABELS = {
    "effective": pgettext("documento", "Vigente"),
    "obsolete": _l("Obsoleto"),
    "in_preparation": _l("En elaboración"),
}


