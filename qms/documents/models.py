"""Controlled documents [ISO 9001:2015 7.5]: the register, revisions, distribution, reading.

A :class:`Document` is an entry of the register (the *lista maestra*); its content lives
in :class:`Revision` rows, each with its own lifecycle. Which revision was in force on a
date is answered from the revisions' ``effective_from`` / ``effective_until`` dates, not
from their status, so a revision scheduled to take effect next month and the one it
replaces are both answered correctly.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l

#: Lazy, and extracted by the default ``pgettext`` keyword: a document is "in force",
#: a process merely "in use", though both are «Vigente» in Spanish.
from flask_babel import lazy_pgettext as pgettext
from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.auth.models import Role, User
from qms.core.audit import Audited
from qms.core.db import Model, UTCDateTime, VersionedMixin, now_utc
from qms.core.enums import LabelledEnum, enum_column
from qms.core.links import RecordUrl
from qms.core.storage import StoredFile
from qms.processes.models import Process

ISO_CLAUSE = ("ISO 9001:2015", "7.5")


class DocumentType(LabelledEnum):
    POLICY = "policy", _l("Política")
    MANUAL = "manual", _l("Manual")
    PROCEDURE = "procedure", _l("Procedimiento")
    INSTRUCTION = "instruction", _l("Instructivo")
    FORM = "form", _l("Formato")
    EXTERNAL = "external", _l("Documento externo")


class Confidentiality(LabelledEnum):
    PUBLIC = "public", _l("Público")
    INTERNAL = "internal", _l("Uso interno")


class RevisionStatus(LabelledEnum):
    DRAFT = "draft", _l("Borrador")
    IN_REVIEW = "in_review", _l("En revisión")
    APPROVED = "approved", _l("Aprobada")
    EFFECTIVE = "effective", pgettext("documento", "Vigente")
    SUPERSEDED = "superseded", _l("Sustituida")
    OBSOLETE = "obsolete", _l("Obsoleta")


#: Revisions still being prepared: at most one per document.
OPEN_STATUSES = (RevisionStatus.DRAFT, RevisionStatus.IN_REVIEW, RevisionStatus.APPROVED)
#: Revisions that were (or are scheduled to be) in force for a period.
PUBLISHED_STATUSES = (RevisionStatus.EFFECTIVE, RevisionStatus.SUPERSEDED, RevisionStatus.OBSOLETE)


class Document(Audited, VersionedMixin, Model):
    """An entry of the register of controlled documents."""

    __tablename__ = "document"
    __record_url__ = RecordUrl("documents.detail", document_id="id")
    __audit_label__ = _l("Documento")
    __audit_fields__ = {
        "code": _l("Código"), "title": _l("Título"), "doc_type": _l("Tipo de documento"),
        "process_id": _l("Proceso"), "owner_id": _l("Responsable del documento"),
        "owner_role": _l("Rol responsable"), "confidentiality": _l("Confidencialidad"),
        "review_interval_months": _l("Revisión periódica (meses)"),
        "source_path": _l("Archivo en procedures/"), "source_hash": _l("Huella del archivo"),
        "last_reviewed_on": _l("Última revisión periódica sin cambios"),
    }
    __audit_actions__ = {"review_no_changes": _l("Revisión periódica: revisado, sin cambios")}

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Unique stable code, e.g. "PR-SGC-01".
    code: Mapped[str] = mapped_column(String(30), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(250), nullable=False)
    doc_type: Mapped[DocumentType] = mapped_column(
        enum_column(DocumentType, "document_type"), nullable=False)
    #: NULL only until the process exists (procedures/ may be loaded before processes).
    process_id: Mapped[int | None] = mapped_column(
        ForeignKey("process.id", ondelete="RESTRICT"), index=True)
    #: The person responsible for keeping the document up to date.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"),
                                                 index=True)
    #: The role that owns the document when no person is named (procedures/ front matter).
    owner_role: Mapped[Role | None] = mapped_column(enum_column(Role, "document_owner_role"))
    confidentiality: Mapped[Confidentiality] = mapped_column(
        enum_column(Confidentiality, "document_confidentiality"), nullable=False,
        default=Confidentiality.INTERNAL)
    #: Periodic review: next review = effective date of the current revision + this.
    review_interval_months: Mapped[int] = mapped_column(Integer, nullable=False, default=12)
    #: Path under procedures/ when the document is kept as code; NULL otherwise.
    source_path: Mapped[str | None] = mapped_column(String(255), unique=True)
    #: SHA-256 of the procedures/ file last imported (sync compares with it).
    source_hash: Mapped[str | None] = mapped_column(String(64))
    #: Local day the periodic review was closed as "reviewed, no changes" (the next review
    #: counts from it when it is later than the current revision's effective date).
    last_reviewed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc,
                                                 onupdate=now_utc)

    process: Mapped[Process | None] = relationship()
    owner: Mapped[User | None] = relationship()
    revisions: Mapped[list[Revision]] = relationship(
        back_populates="document", order_by="Revision.number")
    distribution: Mapped[list[DistributionEntry]] = relationship(
        back_populates="document", cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint("review_interval_months BETWEEN 1 AND 60", name="review_interval"),
        CheckConstraint("length(code) >= 2", name="code_length"),
    )

    def __repr__(self) -> str:
        return f"<Document {self.code} {self.title!r}>"

    @property
    def owner_label(self) -> str:
        if self.owner is not None:
            return self.owner.full_name
        return self.owner_role.label if self.owner_role else "—"


class Revision(Audited, VersionedMixin, Model):
    """One revision of a document, with its approval and the period it was in force."""

    __tablename__ = "document_revision"
    __record_url__ = RecordUrl("documents.revision", revision_id="id")
    __audit_label__ = _l("Revisión de documento")
    __audit_fields__ = {
        "document_id": _l("Documento"), "number": _l("Número de revisión"),
        "status": _l("Estado"), "change_summary": _l("Resumen de los cambios"),
        "content_md": _l("Contenido"), "file_id": _l("Archivo adjunto"), "author_id": _l("Autor"),
        "submitted_by_id": _l("Enviada a revisión por"),
        "submitted_at": _l("Enviada a revisión el"), "approved_by_id": _l("Aprobada por"),
        "approved_at": _l("Aprobada el"), "approval_meaning": _l("Significado de la firma"),
        "effective_from": _l("Vigente desde"), "effective_until": _l("Vigente hasta"),
        "published_by_id": _l("Publicada por"), "status_reason": _l("Motivo"),
        "source_hash": _l("Huella del archivo"),
    }
    __audit_actions__ = {
        "transition:in_review": _l("Enviada a revisión"),
        "transition:draft": _l("Devuelta a borrador"),
        "transition:approved": _l("Aprobada (firma electrónica)"),
        "transition:effective": _l("Puesta en vigor"),
        "transition:superseded": _l("Sustituida"),
        "transition:obsolete": _l("Declarada obsoleta"),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="RESTRICT"),
                                             index=True)
    #: 1, 2, 3… within the document.
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[RevisionStatus] = mapped_column(
        enum_column(RevisionStatus, "revision_status"), nullable=False,
        default=RevisionStatus.DRAFT)
    change_summary: Mapped[str] = mapped_column(String(1000), nullable=False, default="")
    #: The content as Markdown (rendered sanitised); may be empty when a file is attached.
    content_md: Mapped[str] = mapped_column(Text, nullable=False, default="")
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id", ondelete="RESTRICT"))
    #: Who created the revision; NULL when imported from procedures/ by the system.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The approver's electronic signature: who, when (UTC) and what it means.
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approval_meaning: Mapped[str | None] = mapped_column(String(60))
    #: First local day the revision is in force (may be in the future when published).
    effective_from: Mapped[date | None] = mapped_column(Date)
    #: First local day it is no longer in force (superseded or obsolete); NULL while in force.
    effective_until: Mapped[date | None] = mapped_column(Date)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    #: Why the revision was made obsolete or returned to draft last.
    status_reason: Mapped[str | None] = mapped_column(String(1000))
    #: SHA-256 of the procedures/ file this revision was imported from.
    source_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc,
                                                 onupdate=now_utc)

    document: Mapped[Document] = relationship(back_populates="revisions")
    file: Mapped[StoredFile | None] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])

    __table_args__ = (
        UniqueConstraint("document_id", "number", name="uq_document_revision_number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint(
            "effective_until IS NULL OR (effective_from IS NOT NULL "
            "AND effective_until >= effective_from)", name="effective_period"),
        CheckConstraint(
            "status NOT IN ('approved', 'effective', 'superseded') OR approved_by_id IS NOT NULL",
            name="approved_has_signer"),
        #: One effective revision per document, and one in preparation, even under races.
        Index("uq_document_revision_one_effective", "document_id", unique=True,
              sqlite_where=text("status = 'effective'"),
              postgresql_where=text("status = 'effective'")),
        Index("uq_document_revision_one_open", "document_id", unique=True,
              sqlite_where=text("status IN ('draft', 'in_review', 'approved')"),
              postgresql_where=text("status IN ('draft', 'in_review', 'approved')")),
    )

    def __repr__(self) -> str:
        return f"<Revision {self.document_id}#{self.number} {self.status.value}>"

    @property
    def label(self) -> str:
        return f"{self.document.code} rev. {self.number}"

    def in_force_on(self, day: date) -> bool:
        return (self.status in PUBLISHED_STATUSES and self.effective_from is not None
                and self.effective_from <= day
                and (self.effective_until is None or day < self.effective_until))


class DistributionEntry(Audited, Model):
    """Who must read a document: one user or every user of one role."""

    __tablename__ = "document_distribution"
    __record_url__ = RecordUrl("documents.detail", document_id="document_id")
    __audit_label__ = _l("Distribución de documento")
    __audit_fields__ = {
        "document_id": _l("Documento"), "user_id": _l("Persona"), "role": _l("Rol"),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"),
                                             index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                                index=True)
    role: Mapped[Role | None] = mapped_column(enum_column(Role, "distribution_role"))

    document: Mapped[Document] = relationship(back_populates="distribution")
    user: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (role IS NULL)", name="user_or_role"),
        UniqueConstraint("document_id", "user_id", "role", name="uq_document_distribution_entry"),
    )

    def __repr__(self) -> str:
        who = self.role.value if self.role else f"user {self.user_id}"
        return f"<DistributionEntry doc {self.document_id} → {who}>"


class Acknowledgement(Audited, Model):
    """A user confirmed having read one revision."""

    __tablename__ = "document_acknowledgement"
    __record_url__ = RecordUrl("documents.revision", revision_id="revision_id")
    __audit_label__ = _l("Confirmación de lectura")
    __audit_fields__ = {
        "revision_id": _l("Revisión"), "user_id": _l("Persona"),
        "acknowledged_at": _l("Leída el"),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(
        ForeignKey("document_revision.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    revision: Mapped[Revision] = relationship()
    user: Mapped[User] = relationship()

    __table_args__ = (
        UniqueConstraint("revision_id", "user_id", name="uq_document_acknowledgement_once"),
    )

    def __repr__(self) -> str:
        return f"<Acknowledgement rev {self.revision_id} by {self.user_id}>"
