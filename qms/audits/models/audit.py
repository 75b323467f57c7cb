"""An audit with its processes in scope and its people (team and auditees)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

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

from qms.audits.enums import EDITABLE_STATUSES, AuditStatus, AuditType, MemberRole
from qms.auth.models import User
from qms.core.audit import Audited
from qms.core.db import Model, UTCDateTime, VersionedMixin, now_utc
from qms.core.enums import enum_column
from qms.core.links import RecordUrl
from qms.core.storage import StoredFile
from qms.processes.models import Process

if TYPE_CHECKING:
    from qms.audits.models.fieldwork import AuditChecklistItem, Finding
    from qms.audits.models.programme import AuditProgramme, ChecklistTemplate


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
