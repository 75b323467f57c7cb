""""Mis pendientes" of the document register: revisions to approve or to put into force,
documents to read, periodic reviews of one's documents that are due."""

from __future__ import annotations

from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from qms.core.pending import PendingItem, pending_provider
from qms.core.permissions import can
from qms.documents import lifecycle, reading, services
from qms.documents.models import Document, Revision, RevisionStatus
from qms.extensions import db
from qms.processes.models import Process


def _revision_title(revision: Revision) -> str:
    return f"{revision.document.code} rev. {revision.number} · {revision.document.title}"


@pending_provider("revision_approve", _l("Revisiones por aprobar"))
def revisions_to_approve(user) -> list[PendingItem]:
    if not can(user, "revision.approve"):
        return []
    return [PendingItem("revision_approve", _("Aprobar la revisión"), _revision_title(r),
                        url_for("documents.revision", revision_id=r.id),
                        detail=_("Enviada por %(n)s", n=r.submitted_by.full_name)
                        if r.submitted_by else "")
            for r in lifecycle.revisions_to_approve(user)]


@pending_provider("revision_publish", _l("Revisiones aprobadas por poner en vigor"))
def revisions_to_publish(user) -> list[PendingItem]:
    if not can(user, "document.publish"):
        return []
    revisions = db.session.scalars(
        select(Revision).where(Revision.status == RevisionStatus.APPROVED)
        .options(joinedload(Revision.document)).order_by(Revision.approved_at))
    return [PendingItem("revision_publish", _("Poner en vigor"), _revision_title(r),
                        url_for("documents.revision", revision_id=r.id)) for r in revisions]


@pending_provider("document_read", _l("Documentos por leer"))
def documents_to_read(user) -> list[PendingItem]:
    if not can(user, "document.reading_list"):
        return []
    return [PendingItem("document_read", _("Leer y confirmar la lectura"),
                        f"{d.code} rev. {r.number} · {d.title}",
                        url_for("documents.detail", document_id=d.id),
                        detail=_("Vigente desde el %(d)s", d=format_date(r.effective_from)))
            for d, r in reading.documents_to_read(user)]


@pending_provider("document_review", _l("Revisiones periódicas de mis documentos"))
def periodic_reviews(user) -> list[PendingItem]:
    """Documents the user owns (named, or through their process) whose review is due."""
    if not can(user, "document.view"):
        return []
    owned_processes = select(Process.id).where(Process.owner_id == user.id)
    documents = db.session.scalars(
        select(Document).where(or_(Document.owner_id == user.id,
                                   Document.process_id.in_(owned_processes)))
        .options(selectinload(Document.revisions)).order_by(Document.code))
    items = []
    for document in documents:
        if services.review_state(document) is not None:
            items.append(PendingItem(
                "document_review", _("Revisión periódica"),
                f"{document.code} · {document.title}",
                url_for("documents.detail", document_id=document.id),
                due_on=services.next_review_on(document)))
    return items
