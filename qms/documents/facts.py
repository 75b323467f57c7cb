"""Facts about controlled documents other domains may read (plain data, no models).

Each function is self-contained so that versions written in parallel merge by
concatenation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
