"""Internal and external audits [ISO 9001:2015 9.2].

A yearly :class:`AuditProgramme` holds the :class:`Audit` records of that year. Each audit
has its processes in scope, its team (:class:`AuditMember`: lead, auditors, experts,
observers, auditees), a copy of a checklist template (:class:`AuditChecklistItem`, so a
later edit of the template never changes a past audit), its :class:`Finding` records
(an NC finding links to the Nonconformity it raised) and, once signed, its report.

Checklist templates come from ``audits/*.yaml`` and are stored versioned
(:class:`ChecklistTemplate`): a changed file becomes a new version, never an edit.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.audits.enums import (
    EDITABLE_STATUSES,
    AnswerSource,
    AuditStatus,
    AuditType,
    FindingType,
    ItemResult,
    MemberRole,
)
from qms.auth.models import User
from qms.core.audit import Audited
from qms.core.db import Model, UTCDateTime, VersionedMixin, now_utc
from qms.core.enums import enum_column
from qms.core.links import RecordUrl
from qms.core.storage import StoredFile
from qms.processes.models import Process

ISO_CLAUSE = ("ISO 9001:2015", "9.2")
STANDARD = "ISO 9001:2015"


class AuditProgramme(Audited, VersionedMixin, Model):
    """The audits planned for one year [9.2.2 a)], with their objectives."""

    __tablename__ = "audit_programme"
    __record_url__ = RecordUrl("audits.programme", year="year")
    __audit_label__ = _l("Programa de auditorías")
    __audit_fields__ = {"year": _l("Año"), "objectives": _l("Objetivos del programa"),
                        "created_at": _l("Creado")}

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False, unique=True)
    objectives: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    audits: Mapped[list[Audit]] = relationship(back_populates="programme",
                                               order_by="Audit.number")

    __table_args__ = (CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),)

    def __repr__(self) -> str:
        return f"<AuditProgramme {self.year}>"


class AuditYearCounter(Model):
    """Last audit number given in a year (internal and external share the sequence)."""

    __tablename__ = "audit_year_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class ChecklistTemplate(Audited, Model):
    """One version of a checklist file of ``audits/``; never edited once stored."""

    __tablename__ = "checklist_template"
    __audit_label__ = _l("Plantilla de lista de verificación")
    __audit_fields__ = {"code": _l("Código"), "version_no": _l("Versión"), "title": _l("Título"),
                        "standard": _l("Norma"), "processes": _l("Procesos"),
                        "items": _l("Preguntas"), "source_path": _l("Archivo"),
                        "source_hash": _l("Huella SHA-256 del archivo"),
                        "loaded_at": _l("Cargada")}

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), nullable=False)
    version_no: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(String(250), nullable=False)
    standard: Mapped[str] = mapped_column(String(30), nullable=False)
    #: Process codes the template is meant for (may be empty: any process).
    processes: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    #: [{"clause": "8.5.1", "question": "¿…?"}, …] in the file's order.
    items: Mapped[list] = mapped_column(JSON, nullable=False)
    source_path: Mapped[str] = mapped_column(String(255), nullable=False)
    source_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    __table_args__ = (UniqueConstraint("code", "version_no", name="uq_checklist_template_code_ver"),)

    def __repr__(self) -> str:
        return f"<ChecklistTemplate {self.code} v{self.version_no}>"


class Audit(Audited, VersionedMixin, Model):
    __tablename__ = "audit"
    __record_url__ = RecordUrl("audits.detail", audit_id="id")
    __audit_label__ = _l("Auditoría")
    __audit_fields__ = {
        "programme_id": _l("Programa"), "code": _l("Código"), "year": _l("Año"),
        "number": _l("Número"), "audit_type": _l("Tipo de auditoría"), "title": _l("Título"),
        "objectives": _l("Objetivos"), "scope": _l("Alcance"),
        "criteria_clauses": _l("Criterios: cláusulas"),
        "criteria_documents": _l("Criterios: procedimientos (revisión vigente)"),
        "certification_body": _l("Organismo de certificación"),
        "location": _l("Lugar"), "planned_start": _l("Inicio planificado"),
        "planned_end": _l("Fin planificado"), "actual_start": _l("Inicio real"),
        "actual_end": _l("Fin real"), "status": _l("Estado"), "cancel_reason": _l("Motivo de anulación"),
        "template_id": _l("Plantilla de lista de verificación"), "conclusion": _l("Conclusiones"),
        "reported_at": _l("Firma del informe"), "reported_by_id": _l("Firmado por"),
        "report_meaning": _l("Significado de la firma"), "report_file_id": _l("Informe PDF"),
        "report_sha256": _l("Huella SHA-256 del informe"), "created_at": _l("Creada"),
        "updated_at": _l("Modificada"),
    }
    __audit_actions__ = {"sign_report": _l("Informe firmado"),
                         "audit_correction": _l("Corrección del informe registrada"),
                         "offline_import": _l("Resultados importados sin conexión")}

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("audit_programme.id", ondelete="RESTRICT"), index=True)
    #: "AI-2026-03" (internal) or "AE-2026-04" (external): year and number in that year.
    code: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    audit_type: Mapped[AuditType] = mapped_column(enum_column(AuditType, "audit_type"),
                                                  nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    objectives: Mapped[str] = mapped_column(Text, nullable=False, default="")
    scope: Mapped[str] = mapped_column(Text, nullable=False)
    #: Clause numbers of ISO 9001:2015 that are criteria of this audit.
    criteria_clauses: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    #: Procedures used as criteria, frozen with the revision in force on the audit date:
    #: [{"code": "PR-SGC-01", "title": "…", "revision": 3, "effective_from": "2026-01-10"}].
    criteria_documents: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    certification_body: Mapped[str | None] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    planned_start: Mapped[date] = mapped_column(Date, nullable=False)
    planned_end: Mapped[date] = mapped_column(Date, nullable=False)
    actual_start: Mapped[date | None] = mapped_column(Date)
    actual_end: Mapped[date | None] = mapped_column(Date)
    status: Mapped[AuditStatus] = mapped_column(
        enum_column(AuditStatus, "audit_status"), nullable=False, default=AuditStatus.PLANNED,
        index=True)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("checklist_template.id", ondelete="RESTRICT"))
    conclusion: Mapped[str | None] = mapped_column(Text)
    #: Electronic signature of the report by the lead auditor.
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    report_meaning: Mapped[str | None] = mapped_column(String(300))
    report_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("stored_file.id", ondelete="RESTRICT"))
    report_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc,
                                                 onupdate=now_utc)

    programme: Mapped[AuditProgramme] = relationship(back_populates="audits")
    template: Mapped[ChecklistTemplate | None] = relationship()
    reported_by: Mapped[User | None] = relationship()
    report_file: Mapped[StoredFile | None] = relationship()
    processes: Mapped[list[Process]] = relationship(secondary="audit_process",
                                                    order_by="Process.code", viewonly=True)
    scope_links: Mapped[list[AuditProcess]] = relationship(back_populates="audit")
    members: Mapped[list[AuditMember]] = relationship(back_populates="audit",
                                                      order_by="AuditMember.id")
    items: Mapped[list[AuditChecklistItem]] = relationship(
        back_populates="audit", order_by="AuditChecklistItem.position")
    findings: Mapped[list[Finding]] = relationship(
        back_populates="audit", order_by="Finding.number", foreign_keys="Finding.audit_id")

    __table_args__ = (
        UniqueConstraint("year", "number", name="uq_audit_year_number"),
        CheckConstraint("planned_end >= planned_start", name="planned_order"),
        CheckConstraint("actual_end IS NULL OR actual_start IS NULL OR actual_end >= actual_start",
                        name="actual_order"),
        CheckConstraint("status <> 'cancelled' OR cancel_reason IS NOT NULL",
                        name="cancel_needs_reason"),
        CheckConstraint("status NOT IN ('reported', 'closed') OR "
                        "(reported_at IS NOT NULL AND reported_by_id IS NOT NULL)",
                        name="reported_is_signed"),
    )

    def __repr__(self) -> str:
        return f"<Audit {self.code} {self.status.value}>"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def lead(self) -> User | None:
        return next((m.user for m in self.members if m.role == MemberRole.LEAD), None)

    def members_with(self, *roles: MemberRole) -> list[AuditMember]:
        return [m for m in self.members if m.role in roles]

    @property
    def team(self) -> list[AuditMember]:
        return [m for m in self.members if m.role != MemberRole.AUDITEE]

    @property
    def auditees(self) -> list[AuditMember]:
        return self.members_with(MemberRole.AUDITEE)

    @property
    def answered(self) -> int:
        return sum(1 for i in self.items if i.result is not None)


class AuditProcess(Audited, Model):
    """A process in the scope of an audit."""

    __tablename__ = "audit_process"
    __record_url__ = RecordUrl("audits.detail", audit_id="audit_id")
    __audit_label__ = _l("Proceso auditado")
    __audit_fields__ = {"audit_id": _l("Auditoría"), "process_id": _l("Proceso")}

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audit.id", ondelete="CASCADE"),
                                          index=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id", ondelete="RESTRICT"),
                                            index=True)

    audit: Mapped[Audit] = relationship(back_populates="scope_links")
    process: Mapped[Process] = relationship()

    __table_args__ = (UniqueConstraint("audit_id", "process_id", name="uq_audit_process_pair"),)


class AuditMember(Audited, Model):
    """A person in an audit: on the team (lead, auditor, expert, observer) or an auditee."""

    __tablename__ = "audit_member"
    __record_url__ = RecordUrl("audits.detail", audit_id="audit_id")
    __audit_label__ = _l("Integrante de la auditoría")
    __audit_fields__ = {"audit_id": _l("Auditoría"), "user_id": _l("Persona"),
                        "role": _l("Papel en la auditoría")}

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audit.id", ondelete="CASCADE"),
                                          index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    role: Mapped[MemberRole] = mapped_column(enum_column(MemberRole, "audit_member_role"),
                                             nullable=False)

    audit: Mapped[Audit] = relationship(back_populates="members")
    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("audit_id", "user_id", name="uq_audit_member_person"),)

    def __repr__(self) -> str:
        return f"<AuditMember {self.user_id} {self.role.value} of audit {self.audit_id}>"


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

