"""Nonconformities and corrective actions [ISO 9001:2015 10.2].

An NC (``Nonconformity``) moves through ``NC_FLOW``; its root-cause analysis is one
``NCAnalysis`` row per analysis *round* (a "not effective" verification opens a new
round, the earlier ones stay as they were); corrective actions and effectiveness
verifications are rows of their own, never overwritten. ``status`` (where the NC is in
its life) is kept apart from the effectiveness ``result`` of each verification.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.auth.models import User
from qms.core.audit import Audited
from qms.core.db import Model, UTCDateTime, VersionedMixin, now_utc
from qms.core.enums import LabelledEnum, enum_column
from qms.core.storage import StoredFile
from qms.core.time import today_local
from qms.processes.models import Process

ISO_CLAUSE = ("ISO 9001:2015", "10.2")


class NCSource(LabelledEnum):
    INTERNAL_AUDIT = "internal_audit"
    EXTERNAL_AUDIT = "external_audit"
    CITIZEN_COMPLAINT = "citizen_complaint"
    SATISFACTION_SURVEY = "satisfaction_survey"
    PROCESS_MONITORING = "process_monitoring"
    MANAGEMENT_REVIEW = "management_review"
    OTHER = "other"

    @staticmethod
    def __labels__() -> dict:
        return {
            NCSource.INTERNAL_AUDIT: _l("Auditoría interna"),
            NCSource.EXTERNAL_AUDIT: _l("Auditoría externa"),
            NCSource.CITIZEN_COMPLAINT: _l("Queja ciudadana"),
            NCSource.SATISFACTION_SURVEY: _l("Encuesta de satisfacción"),
            NCSource.PROCESS_MONITORING: _l("Seguimiento del proceso"),
            NCSource.MANAGEMENT_REVIEW: _l("Revisión por la dirección"),
            NCSource.OTHER: _l("Otra"),
        }


class NCSeverity(LabelledEnum):
    MAJOR = "major"
    MINOR = "minor"

    @staticmethod
    def __labels__() -> dict:
        return {NCSeverity.MAJOR: _l("Mayor"), NCSeverity.MINOR: _l("Menor")}


class NCStatus(LabelledEnum):
    REPORTED = "reported"
    ANALYSIS = "analysis"
    ACTION_PLAN = "action_plan"
    IMPLEMENTATION = "implementation"
    VERIFICATION = "verification"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @staticmethod
    def __labels__() -> dict:
        return {
            NCStatus.REPORTED: _l("Reportada"),
            NCStatus.ANALYSIS: _l("Análisis de causas"),
            NCStatus.ACTION_PLAN: _l("Plan de acción"),
            NCStatus.IMPLEMENTATION: _l("Implementación"),
            NCStatus.VERIFICATION: _l("Verificación de eficacia"),
            NCStatus.CLOSED: _l("Cerrada"),
            NCStatus.CANCELLED: _l("Anulada"),
        }


OPEN_STATUSES = frozenset(NCStatus) - {NCStatus.CLOSED, NCStatus.CANCELLED}


class ActionStatus(LabelledEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"

    @staticmethod
    def __labels__() -> dict:
        return {
            ActionStatus.PLANNED: _l("Planificada"),
            ActionStatus.IN_PROGRESS: _l("En ejecución"),
            ActionStatus.DONE: _l("Realizada"),
        }


class VerificationResult(LabelledEnum):
    EFFECTIVE = "effective"
    NOT_EFFECTIVE = "not_effective"

    @staticmethod
    def __labels__() -> dict:
        return {
            VerificationResult.EFFECTIVE: _l("Eficaz"),
            VerificationResult.NOT_EFFECTIVE: _l("No eficaz"),
        }


class IshikawaCategory(LabelledEnum):
    """The 6M of the cause-and-effect (Ishikawa) diagram."""

    METHOD = "method"
    MANPOWER = "manpower"
    MACHINE = "machine"
    MATERIAL = "material"
    MEASUREMENT = "measurement"
    ENVIRONMENT = "environment"

    @staticmethod
    def __labels__() -> dict:
        return {
            IshikawaCategory.METHOD: _l("Método"),
            IshikawaCategory.MANPOWER: _l("Mano de obra"),
            IshikawaCategory.MACHINE: _l("Maquinaria y sistemas"),
            IshikawaCategory.MATERIAL: _l("Materiales e insumos"),
            IshikawaCategory.MEASUREMENT: _l("Medición"),
            IshikawaCategory.ENVIRONMENT: _l("Medio ambiente"),
        }


class NCYearCounter(Model):
    """The last number given to an NC in a year; incremented inside the creating
    transaction (row lock), so codes are gapless and never repeated."""

    __tablename__ = "nc_year_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    def __repr__(self) -> str:
        return f"<NCYearCounter {self.year}: {self.last_number}>"


class Nonconformity(Audited, VersionedMixin, Model):
    __tablename__ = "nonconformity"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "NC-2026-014": year of registration and its number in that year.
    code: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    source: Mapped[NCSource] = mapped_column(enum_column(NCSource, "nc_source"), nullable=False)
    process_id: Mapped[int] = mapped_column(
        ForeignKey("process.id", ondelete="RESTRICT"), index=True)
    severity: Mapped[NCSeverity] = mapped_column(
        enum_column(NCSeverity, "nc_severity"), nullable=False)
    status: Mapped[NCStatus] = mapped_column(
        enum_column(NCStatus, "nc_status"), nullable=False, default=NCStatus.REPORTED, index=True)
    #: Honduran department (2 digits) and municipality (4 digits) where it happened.
    department_code: Mapped[str | None] = mapped_column(String(2))
    municipality_code: Mapped[str | None] = mapped_column(String(4))
    #: Local date the nonconformity was detected; due dates cannot precede it.
    detected_on: Mapped[date] = mapped_column(Date, nullable=False)
    detected_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    #: Generic link to the record that raised it ("survey_wave", "audit_finding", "complaint").
    origin_type: Mapped[str | None] = mapped_column(String(40))
    origin_id: Mapped[str | None] = mapped_column(String(60))
    origin_label: Mapped[str | None] = mapped_column(String(200))
    #: Correction / containment: what was done at once to limit the effect [10.2.1 a)].
    correction: Mapped[str | None] = mapped_column(Text)
    correction_on: Mapped[date | None] = mapped_column(Date)
    #: Current analysis round: 1, then +1 each time a verification is "not effective".
    analysis_round: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    #: Electronic signature of the closing: signer, UTC time and what the signature means.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    close_meaning: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=now_utc, onupdate=now_utc)

    process: Mapped[Process] = relationship()
    detected_by: Mapped[User] = relationship(foreign_keys=[detected_by_id])
    reported_by: Mapped[User | None] = relationship(foreign_keys=[reported_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    analyses: Mapped[list[NCAnalysis]] = relationship(
        back_populates="nc", order_by="NCAnalysis.round")
    actions: Mapped[list[CorrectiveAction]] = relationship(
        back_populates="nc", order_by="CorrectiveAction.number")
    verifications: Mapped[list[EffectivenessVerification]] = relationship(
        back_populates="nc", order_by="EffectivenessVerification.id")
    attachments: Mapped[list[NCAttachment]] = relationship(
        back_populates="nc", order_by="NCAttachment.id")

    __table_args__ = (
        UniqueConstraint("year", "number", name="uq_nonconformity_year_number"),
        CheckConstraint("status <> 'cancelled' OR cancel_reason IS NOT NULL",
                        name="cancel_needs_reason"),
        CheckConstraint("status <> 'closed' OR (closed_at IS NOT NULL AND closed_by_id IS NOT NULL)",
                        name="closed_is_signed"),
        CheckConstraint("number > 0", name="number_positive"),
    )

    def __repr__(self) -> str:
        return f"<Nonconformity {self.code} {self.status.value}>"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def current_analysis(self) -> NCAnalysis | None:
        return next((a for a in self.analyses if a.round == self.analysis_round), None)

    @property
    def current_actions(self) -> list[CorrectiveAction]:
        return [a for a in self.actions if a.round == self.analysis_round]

    @property
    def open_actions(self) -> list[CorrectiveAction]:
        return [a for a in self.actions if a.status != ActionStatus.DONE]

    @property
    def pending_verification(self) -> EffectivenessVerification | None:
        return next((v for v in self.verifications if v.result is None), None)

    @property
    def last_result(self) -> VerificationResult | None:
        done = [v for v in self.verifications if v.result is not None]
        return done[-1].result if done else None

    @hybrid_property
    def overdue(self) -> bool:
        """Open with an action past its due date (computed, never stored)."""
        today = today_local()
        return self.is_open and any(a.due_on < today and a.status != ActionStatus.DONE
                                    for a in self.actions)

    @overdue.inplace.expression
    @classmethod
    def _overdue_expression(cls):
        from sqlalchemy import exists, select

        today = today_local()
        return and_(cls.status.in_([s.value for s in OPEN_STATUSES]), exists(
            select(CorrectiveAction.id).where(
                CorrectiveAction.nc_id == cls.id, CorrectiveAction.due_on < today,
                CorrectiveAction.status != ActionStatus.DONE)))

    @property
    def days_to_close(self) -> int | None:
        if self.closed_at is None:
            return None
        from qms.core.time import to_local

        return (to_local(self.closed_at).date() - self.detected_on).days


class NCAnalysis(Audited, VersionedMixin, Model):
    """Root-cause analysis of one round: 5 whys (ordered), Ishikawa 6M, stated root cause."""

    __tablename__ = "nc_analysis"

    id: Mapped[int] = mapped_column(primary_key=True)
    nc_id: Mapped[int] = mapped_column(ForeignKey("nonconformity.id", ondelete="RESTRICT"))
    round: Mapped[int] = mapped_column(Integer, nullable=False)
    #: The chain of "¿por qué?" answers, first to last.
    whys: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    #: 6M category value → list of contributing causes.
    ishikawa: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    root_cause: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=now_utc, onupdate=now_utc)

    nc: Mapped[Nonconformity] = relationship(back_populates="analyses")

    __table_args__ = (UniqueConstraint("nc_id", "round", name="uq_nc_analysis_nc_round"),)

    def __repr__(self) -> str:
        return f"<NCAnalysis nc={self.nc_id} round={self.round}>"


class CorrectiveAction(Audited, VersionedMixin, Model):
    __tablename__ = "corrective_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    nc_id: Mapped[int] = mapped_column(
        ForeignKey("nonconformity.id", ondelete="RESTRICT"), index=True)
    #: 1, 2, 3… within the NC (shown as "AC-2").
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    #: The analysis round the action answers.
    round: Mapped[int] = mapped_column(Integer, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[ActionStatus] = mapped_column(
        enum_column(ActionStatus, "action_status"), nullable=False, default=ActionStatus.PLANNED)
    #: What was done and how it can be checked (required to mark it done, with or without files).
    evidence: Mapped[str | None] = mapped_column(Text)
    started_on: Mapped[date | None] = mapped_column(Date)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    nc: Mapped[Nonconformity] = relationship(back_populates="actions")
    owner: Mapped[User] = relationship()
    attachments: Mapped[list[NCAttachment]] = relationship(
        back_populates="action", order_by="NCAttachment.id")

    __table_args__ = (
        UniqueConstraint("nc_id", "number", name="uq_corrective_action_nc_number"),
        CheckConstraint("status <> 'done' OR completed_at IS NOT NULL", name="done_has_date"),
    )

    def __repr__(self) -> str:
        return f"<CorrectiveAction AC-{self.number} of nc {self.nc_id} {self.status.value}>"

    @property
    def label(self) -> str:
        return f"AC-{self.number}"

    @hybrid_property
    def overdue(self) -> bool:
        return self.status != ActionStatus.DONE and self.due_on < today_local()

    @overdue.inplace.expression
    @classmethod
    def _overdue_expression(cls):
        return and_(cls.status != ActionStatus.DONE, cls.due_on < today_local())


class EffectivenessVerification(Audited, VersionedMixin, Model):
    """One effectiveness check: planned (result NULL), then recorded once. A new check is
    a new row, so an earlier "not effective" result stays in the record."""

    __tablename__ = "nc_verification"

    id: Mapped[int] = mapped_column(primary_key=True)
    nc_id: Mapped[int] = mapped_column(
        ForeignKey("nonconformity.id", ondelete="RESTRICT"), index=True)
    round: Mapped[int] = mapped_column(Integer, nullable=False)
    planned_on: Mapped[date] = mapped_column(Date, nullable=False)
    verifier_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    result: Mapped[VerificationResult | None] = mapped_column(
        enum_column(VerificationResult, "verification_result"))
    evidence: Mapped[str | None] = mapped_column(Text)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))

    nc: Mapped[Nonconformity] = relationship(back_populates="verifications")
    verifier: Mapped[User] = relationship(foreign_keys=[verifier_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    attachments: Mapped[list[NCAttachment]] = relationship(
        back_populates="verification", order_by="NCAttachment.id")

    __table_args__ = (
        CheckConstraint("result IS NULL OR (verified_at IS NOT NULL AND evidence IS NOT NULL)",
                        name="result_has_evidence"),
        #: At most one pending (not yet recorded) verification per NC.
        Index("uq_nc_verification_pending", "nc_id", unique=True,
              sqlite_where=text("result IS NULL"), postgresql_where=text("result IS NULL")),
    )

    def __repr__(self) -> str:
        return f"<EffectivenessVerification nc={self.nc_id} {self.result}>"


class NCAttachment(Audited, Model):
    """A file attached to an NC, or as evidence to one of its actions or verifications."""

    __tablename__ = "nc_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    nc_id: Mapped[int] = mapped_column(
        ForeignKey("nonconformity.id", ondelete="RESTRICT"), index=True)
    action_id: Mapped[int | None] = mapped_column(
        ForeignKey("corrective_action.id", ondelete="RESTRICT"))
    verification_id: Mapped[int | None] = mapped_column(
        ForeignKey("nc_verification.id", ondelete="RESTRICT"))
    stored_file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id", ondelete="RESTRICT"))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    nc: Mapped[Nonconformity] = relationship(back_populates="attachments")
    action: Mapped[CorrectiveAction | None] = relationship(back_populates="attachments")
    verification: Mapped[EffectivenessVerification | None] = relationship(
        back_populates="attachments")
    stored: Mapped[StoredFile] = relationship()
    uploaded_by: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<NCAttachment {self.id} of nc {self.nc_id}>"


def _register_audit_labels() -> None:
    """How the audit log names these records and their steps."""
    from qms.core import audit

    audit.register_entity_labels({
        "nonconformity": _l("No conformidad"), "nc_analysis": _l("Análisis de causas"),
        "corrective_action": _l("Acción correctiva"),
        "nc_verification": _l("Verificación de eficacia"), "nc_attachment": _l("Adjunto de NC"),
    })
    labels = {"report": _l("Reporte"), "correction": _l("Corrección / contención")}
    for status in (*NCStatus, *ActionStatus):
        labels[f"transition:{status.value}"] = _l("Pasa a «%(s)s»",
                                                  s=type(status).__labels__()[status])
    for result in VerificationResult:
        labels[f"result:{result.value}"] = _l("Resultado de la verificación: %(r)s",
                                              r=VerificationResult.__labels__()[result])
    audit.register_action_labels(labels)


_register_audit_labels()
