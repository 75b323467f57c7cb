"""Fieldwork: the audit's copy of its checklist with answers and evidence, the findings
and the offline submissions already imported."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.audits.enums import AnswerSource, FindingType, ItemResult
from qms.auth.models import User
from qms.core.audit import Audited
from qms.core.db import Model, UTCDateTime, VersionedMixin, now_utc
from qms.core.enums import enum_column
from qms.core.links import RecordUrl
from qms.core.storage import StoredFile
from qms.processes.models import Process

if TYPE_CHECKING:
    from qms.audits.models.audit import Audit


class AuditChecklistItem(Audited, VersionedMixin, Model):
    """One question of an audit's own copy of its checklist, with its answer."""

    __tablename__ = "audit_checklist_item"
    __record_url__ = RecordUrl("audits.detail", audit_id="audit_id")
    __audit_label__ = _l("Pregunta de la lista de verificación")
    __audit_fields__ = {"audit_id": _l("Auditoría"), "position": _l("N.º"),
                        "clause": _l("Cláusula"), "question": _l("Pregunta"),
                        "result": _l("Resultado"), "notes": _l("Notas y evidencia observada"),
                        "answered_by_id": _l("Respondida por"),
                        "answered_at": _l("Respondida el"), "source": _l("Origen de la respuesta")}

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audit.id", ondelete="CASCADE"),
                                          index=True)
    #: 1, 2, 3… within the audit; the XLSForm field of the item is ``p<position>``.
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    clause: Mapped[str] = mapped_column(String(12), nullable=False)
    question: Mapped[str] = mapped_column(Text, nullable=False)
    result: Mapped[ItemResult | None] = mapped_column(enum_column(ItemResult, "item_result"))
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[AnswerSource | None] = mapped_column(enum_column(AnswerSource, "answer_source"))

    audit: Mapped[Audit] = relationship(back_populates="items")
    answered_by: Mapped[User | None] = relationship()
    evidence: Mapped[list[AuditEvidence]] = relationship(back_populates="item",
                                                         order_by="AuditEvidence.id")

    __table_args__ = (UniqueConstraint("audit_id", "position", name="uq_audit_item_position"),)

    def __repr__(self) -> str:
        return f"<AuditChecklistItem {self.position} of audit {self.audit_id}>"

    @property
    def field_name(self) -> str:
        return f"p{self.position}"


class AuditEvidence(Audited, Model):
    """A file of objective evidence for a checklist item, with the date it represents
    (the day the record shows) apart from the moment it was received."""

    __tablename__ = "audit_evidence"
    __audit_label__ = _l("Evidencia de auditoría")
    __audit_fields__ = {"item_id": _l("Pregunta"), "stored_file_id": _l("Archivo"),
                        "represents_on": _l("Fecha que representa"),
                        "description": _l("Descripción"), "received_at": _l("Recibida"),
                        "uploaded_by_id": _l("Subida por")}

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("audit_checklist_item.id", ondelete="CASCADE"),
                                         index=True)
    stored_file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id", ondelete="RESTRICT"))
    #: The date the evidence stands for (the day of the register, the meeting, the photo).
    represents_on: Mapped[date] = mapped_column(Date, nullable=False)
    description: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))

    item: Mapped[AuditChecklistItem] = relationship(back_populates="evidence")
    stored: Mapped[StoredFile] = relationship()
    uploaded_by: Mapped[User] = relationship()


class Finding(Audited, VersionedMixin, Model):
    __tablename__ = "audit_finding"
    __record_url__ = RecordUrl("audits.finding", finding_id="id")
    __audit_label__ = _l("Hallazgo de auditoría")
    __audit_fields__ = {
        "audit_id": _l("Auditoría"), "number": _l("N.º"), "finding_type": _l("Tipo de hallazgo"),
        "clause": _l("Cláusula"), "process_id": _l("Proceso"), "description": _l("Descripción"),
        "evidence": _l("Evidencia objetiva"), "item_id": _l("Pregunta de la lista"),
        "nc_id": _l("No conformidad"), "auditee_response": _l("Respuesta del auditado"),
        "responded_by_id": _l("Respondida por"), "responded_at": _l("Respondida el"),
        "follows_up_id": _l("Hallazgo que se verifica"),
        "follow_up_effective": _l("Acciones eficaces"), "created_by_id": _l("Registrado por"),
        "created_at": _l("Registrado"),
    }
    __audit_actions__ = {"finding_response": _l("Respuesta del auditado"),
                         "finding_follow_up": _l("Seguimiento registrado")}

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audit.id", ondelete="RESTRICT"),
                                          index=True)
    #: 1, 2, 3… within the audit (shown "H-2").
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    finding_type: Mapped[FindingType] = mapped_column(enum_column(FindingType, "finding_type"),
                                                      nullable=False)
    clause: Mapped[str] = mapped_column(String(12), nullable=False)
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id", ondelete="RESTRICT"),
                                            index=True)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    evidence: Mapped[str] = mapped_column(Text, nullable=False, default="")
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("audit_checklist_item.id", ondelete="SET NULL"))
    #: The Nonconformity an NC finding raised (its status is read through NC facts).
    nc_id: Mapped[int | None] = mapped_column(ForeignKey("nonconformity.id", ondelete="RESTRICT"),
                                              unique=True)
    auditee_response: Mapped[str | None] = mapped_column(Text)
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: In a follow-up audit: the earlier finding whose actions this one verifies.
    follows_up_id: Mapped[int | None] = mapped_column(
        ForeignKey("audit_finding.id", ondelete="RESTRICT"))
    follow_up_effective: Mapped[bool | None] = mapped_column()
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    audit: Mapped[Audit] = relationship(back_populates="findings", foreign_keys=[audit_id])
    process: Mapped[Process] = relationship()
    item: Mapped[AuditChecklistItem | None] = relationship()
    responded_by: Mapped[User | None] = relationship(foreign_keys=[responded_by_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    follows_up: Mapped[Finding | None] = relationship(remote_side=[id])

    __table_args__ = (
        UniqueConstraint("audit_id", "number", name="uq_audit_finding_number"),
        CheckConstraint("follow_up_effective IS NULL OR follows_up_id IS NOT NULL",
                        name="follow_up_needs_target"),
    )

    def __repr__(self) -> str:
        return f"<Finding H-{self.number} of audit {self.audit_id} {self.finding_type.value}>"

    @property
    def label(self) -> str:
        return f"H-{self.number}"


class OfflineSubmission(Model):
    """A KoboCollect / ODK submission already imported into an audit (idempotency key)."""

    __tablename__ = "audit_offline_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audit.id", ondelete="CASCADE"),
                                          index=True)
    #: Kobo ``_uuid`` / ODK ``KEY`` (meta/instanceID) of the submission.
    submission_uuid: Mapped[str] = mapped_column(String(80), nullable=False)
    answers: Mapped[int] = mapped_column(Integer, nullable=False)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    imported_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))

    __table_args__ = (UniqueConstraint("submission_uuid", name="uq_audit_offline_submission_uuid"),)
