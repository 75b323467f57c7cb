"""The process page's "Documentos" section: the documents of the process and the
revision in force of each (see qms.processes.sections)."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from qms.core.permissions import can
from qms.documents.models import Document, Revision, RevisionStatus
from qms.extensions import db
from qms.processes.sections import (
    SECTION_LIMIT,
    ProcessSection,
    SectionItem,
    register_process_section,
)


@register_process_section("documents", order=10)
def documents_section(process_id: int, user) -> ProcessSection | None:
    if not can(user, "document.view"):
        return None
    where = (Document.process_id == process_id,)
    total = db.session.scalar(select(func.count(Document.id)).where(*where)) or 0
    effective = (select(Revision.document_id, Revision.number, Revision.effective_from)
                 .where(Revision.status == RevisionStatus.EFFECTIVE).subquery())
    rows = db.session.execute(
        select(Document, effective.c.number, effective.c.effective_from)
        .outerjoin(effective, effective.c.document_id == Document.id)
        .where(*where).order_by(Document.code).limit(SECTION_LIMIT)).all()
    items = [SectionItem(
        code=d.code, title=d.title, url=url_for("documents.detail", document_id=d.id),
        status=(_("Revisión %(n)s vigente", n=number) if number else _("Sin revisión vigente")),
        when=since) for d, number, since in rows]
    return ProcessSection(
        "documents", _("Documentos"), items, total,
        more_url=url_for("documents.list", proceso=process_id),
        empty_text=_("Ningún documento pertenece a este proceso."),
        when_label=_("Vigente desde"), order=10)
