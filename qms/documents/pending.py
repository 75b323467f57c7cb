""""Mis pendientes" of the document register: revisions to approve or to put into force,
documents to read, periodic reviews of one's documents that are due. Each kind has a
counter (one aggregate) and a provider that loads one page of rows."""

from __future__ import annotations

from datetime import timedelta

from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import false, or_, select
from sqlalchemy.orm import joinedload

from qms.core.pending import (
    PendingItem,
    PendingWindow,
    count_columns,
    pending_counter,
    pending_provider,
)
from qms.core.permissions import can
from qms.documents import queries
from qms.documents.models import Document, DocumentType, Revision, RevisionStatus
from qms.documents.permissions import APPROVER_ROLES, POLICY_LEVEL_APPROVERS
from qms.documents.services import REVIEW_DUE_DAYS
from qms.extensions import db
from qms.processes.models import Process

_POLICY_LEVEL = (DocumentType.POLICY, DocumentType.MANUAL)


def _revision_title(revision: Revision) -> str:
    return f"{revision.document.code} rev. {revision.number} · {revision.document.title}"


def _approvable_by(user):
    """``lifecycle.revisions_to_approve`` as conditions on Revision joined to Document: under
    review, of a type the user's role signs, neither written nor submitted by them."""
    if user.role in APPROVER_ROLES and user.role in POLICY_LEVEL_APPROVERS:
        kinds = []
    elif user.role in APPROVER_ROLES:
        kinds = [Document.doc_type.not_in(_POLICY_LEVEL)]
    elif user.role in POLICY_LEVEL_APPROVERS:
        kinds = [Document.doc_type.in_(_POLICY_LEVEL)]
    else:
        kinds = [false()]
    return (Revision.status == RevisionStatus.IN_REVIEW, *kinds,
            or_(Revision.author_id.is_(None), Revision.author_id != user.id),
            or_(Revision.submitted_by_id.is_(None), Revision.submitted_by_id != user.id))


@pending_provider("revision_approve", _l("Revisiones por aprobar"))
def revisions_to_approve(user, window: PendingWindow) -> list[PendingItem]:
    if not can(user, "revision.approve"):
        return []
    revisions = db.session.scalars(window.apply(
        select(Revision).join(Revision.document).where(*_approvable_by(user))
        .options(joinedload(Revision.document), joinedload(Revision.submitted_by)),
        None, Revision.submitted_at, Revision.id))
    return [PendingItem("revision_approve", _("Aprobar la revisión"), _revision_title(r),
                        url_for("documents.revision", revision_id=r.id),
                        detail=_("Enviada por %(n)s", n=r.submitted_by.full_name)
                        if r.submitted_by else "")
            for r in revisions]


@pending_counter("revision_approve")
def count_revisions_to_approve(user, today):
    if not can(user, "revision.approve"):
        return None
    return (select(*count_columns(None, today)).select_from(Revision).join(Revision.document)
            .where(*_approvable_by(user)))


@pending_provider("revision_publish", _l("Revisiones aprobadas por poner en vigor"))
def revisions_to_publish(user, window: PendingWindow) -> list[PendingItem]:
    if not can(user, "document.publish"):
        return []
    revisions = db.session.scalars(window.apply(
        select(Revision).where(Revision.status == RevisionStatus.APPROVED)
        .options(joinedload(Revision.document)), None, Revision.approved_at, Revision.id))
    return [PendingItem("revision_publish", _("Poner en vigor"), _revision_title(r),
                        url_for("documents.revision", revision_id=r.id)) for r in revisions]


@pending_counter("revision_publish")
def count_revisions_to_publish(user, today):
    if not can(user, "document.publish"):
        return None
    return select(*count_columns(None, today)).where(Revision.status == RevisionStatus.APPROVED)


@pending_provider("document_read", _l("Documentos por leer"))
def documents_to_read(user, window: PendingWindow) -> list[PendingItem]:
    if not can(user, "document.reading_list"):
        return []
    rows = db.session.execute(window.apply(queries.to_read(user, window.today), None,
                                           Document.code))
    return [PendingItem("document_read", _("Leer y confirmar la lectura"),
                        f"{d.code} rev. {r.number} · {d.title}",
                        url_for("documents.detail", document_id=d.id),
                        detail=_("Vigente desde el %(d)s", d=format_date(r.effective_from)))
            for d, r in rows]


@pending_counter("document_read")
def count_documents_to_read(user, today):
    if not can(user, "document.reading_list"):
        return None
    return queries.to_read(user, today, *count_columns(None, today))


def _my_documents_due(user, today, *columns):
    """Documents the user owns (named, or through their process) whose review is due:
    (due expression, query of ``columns`` or of the document and its due date)."""
    owned_processes = select(Process.id).where(Process.owner_id == user.id)
    due = queries.next_review_on()
    query = select(*(columns or (Document, due.label("due")))).select_from(Document)
    return due, queries.with_revision_in_force(query, today).where(
        or_(Document.owner_id == user.id, Document.process_id.in_(owned_processes)),
        due <= today + timedelta(days=REVIEW_DUE_DAYS))


@pending_provider("document_review", _l("Revisiones periódicas de mis documentos"))
def periodic_reviews(user, window: PendingWindow) -> list[PendingItem]:
    if not can(user, "document.view"):
        return []
    due, query = _my_documents_due(user, window.today)
    return [PendingItem("document_review", _("Revisión periódica"),
                        f"{document.code} · {document.title}",
                        url_for("documents.detail", document_id=document.id), due_on=day)
            for document, day in db.session.execute(window.apply(query, due, Document.code))]


@pending_counter("document_review")
def count_periodic_reviews(user, today):
    if not can(user, "document.view"):
        return None
    due = queries.next_review_on()
    return _my_documents_due(user, today, *count_columns(due, today))[1]
