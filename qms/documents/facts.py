"""Facts about controlled documents that other domains may read (plain data, no models)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select

from qms.documents.models import PUBLISHED_STATUSES, Document, DocumentType, Revision
from qms.extensions import db


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
