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
from qms.core import geo
from qms.core.audit import Audited
from qms.core.db import Model, UTCDateTime, VersionedMixin, now_utc
from qms.core.enums import enum_column
from qms.core.links import RecordUrl
from qms.core.storage import StoredFile
from qms.core.time import today_local
from qms.nonconformities.enums import (
    OPEN_STATUSES,
    ActionStatus,
    NCOrigin,
    NCSeverity,
    NCSource,
    NCStatus,
    VerificationResult,
)
from qms.nonconformities.history_formats import _enum_label, _ishikawa_text, _place_name
from qms.processes.models import Process

ISO_CLAUSE = ("ISO 9001:2015", "10.2")


#: The workflow order of the states as one SQL expression, written with literals so the
#: register's "sort by status" matches the expression index ``ix_nonconformity_status_rank``
#: (a CASE with bound parameters would not).
STATUS_RANK_SQL = "(CASE " + " ".join(
    f"WHEN status = '{s.value}' THEN {i}" for i, s in enumerate(NCStatus)) + " END)"


class NCYearCounter(Model):
    """The last number given to an NC in a year; incremented inside the creating
    transaction (row lock), so codes are gapless and never repeated."""

    __tablename__ = "nc_year_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    def __repr__(self) -> str:
        return f"<NCYearCounter {self.year}: {self.last_number}>"


class NCRegisterFigure(Model):
    """How many NCs share one process, source, severity and status, and their days from
    detection to closing summed (over the closed ones): the register's counters and
    charts add up these few hundred rows instead of reading the register.

    Kept by :mod:`qms.nonconformities.figures` in the transaction of every NC change
    (each change moves an NC's contribution from one row to another: additions that
    commute, so concurrent writers cannot lose one); ``flask qms rebuild-nc-figures``
    recomputes it from the register."""

    __tablename__ = "nc_register_figure"

    process_id: Mapped[int] = mapped_column(
        ForeignKey("process.id", ondelete="RESTRICT"), primary_key=True)
    source: Mapped[NCSource] = mapped_column(enum_column(NCSource, "nc_source"),
                                             primary_key=True)
    severity: Mapped[NCSeverity] = mapped_column(enum_column(NCSeverity, "nc_severity"),
                                                 primary_key=True)
    status: Mapped[NCStatus] = mapped_column(enum_column(NCStatus, "nc_status"),
                                             primary_key=True)
    nc_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: Sum of ``Nonconformity.days_to_close`` (local dates) of the closed NCs; 0 otherwise.
    days_to_close_total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    def __repr__(self) -> str:
        return (f"<NCRegisterFigure process={self.process_id} {self.source.value} "
                f"{self.severity.value} {self.status.value}: {self.nc_count}>")


class Nonconformity(Audited, VersionedMixin, Model):
    __tablename__ = "nonconformity"
    __record_url__ = RecordUrl("nonconformities.detail", nc_id="id")
    __audit_label__ = _l("No conformidad")
    __audit_fields__ = {
        "code": _l("Código"), "year": _l("Año"), "number": _l("Número"),
        "title": _l("Título"), "description": _l("Descripción"), "source": _l("Origen"),
        "process_id": _l("Proceso"), "severity": _l("Severidad"), "status": _l("Estado"),
        "department_code": _l("Departamento"), "municipality_code": _l("Municipio"),
        "detected_on": _l("Fecha de detección"), "detected_by_id": _l("Detectada por"),
        "reported_by_id": _l("Reportada por"), "origin_type": _l("Vinculada a"),
        "origin_id": _l("Identificador del registro de origen"),
        "origin_label": _l("Descripción del origen"),
        "correction": _l("Corrección / contención"), "correction_on": _l("Fecha de la corrección"),
        "analysis_round": _l("Ronda de análisis"), "cancel_reason": _l("Motivo de la anulación"),
        "closed_at": _l("Cerrada el"), "closed_by_id": _l("Cerrada por"),
        "close_meaning": _l("Significado de la firma"),
    }
    #: ``next_due_on`` is derived from the actions (whose own events say what changed).
    __audit_skip__ = frozenset({"version", "next_due_on"})
    __audit_formats__ = {
        "origin_type": lambda value: _enum_label(NCOrigin, value),
        "department_code": lambda code: _place_name(geo.department(code), code),
        "municipality_code": lambda code: _place_name(geo.municipality(code), code),
    }
    __audit_actions__ = {
        "report": _l("No conformidad reportada"),
        "correction": _l("Corrección / contención registrada"),
        "update": _l("Datos de la no conformidad modificados"),
        "severity": _l("Severidad cambiada (con su motivo)"),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "NC-2026-014": year of registration and its number in that year.
    code: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    source: Mapped[NCSource] = mapped_column(enum_column(NCSource, "nc_source"), nullable=False)
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id", ondelete="RESTRICT"))
    severity: Mapped[NCSeverity] = mapped_column(
        enum_column(NCSeverity, "nc_severity"), nullable=False)
    status: Mapped[NCStatus] = mapped_column(
        enum_column(NCStatus, "nc_status"), nullable=False, default=NCStatus.REPORTED)
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
    #: The earliest due date among the NC's actions not yet done (NULL when none is
    #: pending): kept by :mod:`qms.nonconformities.figures` at every flush that changes an
    #: action, so "overdue" is a range of one index instead of a search of the actions.
    next_due_on: Mapped[date | None] = mapped_column(Date)
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
        # The register's filters, each with the default order (newest code first) behind
        # it, so a filtered page reads 25 index entries, not the register; and the sorts.
        Index("ix_nonconformity_process_code", "process_id", "year", "number"),
        Index("ix_nonconformity_source_code", "source", "year", "number"),
        Index("ix_nonconformity_severity_code", "severity", "year", "number"),
        Index("ix_nonconformity_status_code", "status", "year", "number"),
        Index("ix_nonconformity_detected_on", "detected_on", "id"),
        Index("ix_nonconformity_title", "title", "code", "process_id"),  # covers the search
        Index("ix_nonconformity_status_rank", text(STATUS_RANK_SQL), "id"),
        Index("ix_nonconformity_status_next_due", "status", "next_due_on"),  # "overdue"
        # The charts and the managers' dashboard: open NCs per process (and age) and per
        # source, and days to close per process, each answered from one index without
        # reading the rows.
        Index("ix_nonconformity_status_process", "status", "process_id", "detected_on",
              "closed_at"),
        Index("ix_nonconformity_status_source", "status", "source"),
        # The records NCs were raised from (a survey wave's results, an audit finding, a
        # complaint) list their NCs by origin.
        Index("ix_nonconformity_origin", "origin_type", "origin_id"),
        # The audit programme's risk ranking: recent NCs from surveys and complaints per
        # process, from a covering index (open NCs per process come from the figures).
        Index("ix_nonconformity_source_detected", "source", "detected_on", "process_id"),
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
        """Open with an action past its due date: computed from dates against today,
        through the maintained ``next_due_on`` (no action is loaded to answer)."""
        return (self.is_open and self.next_due_on is not None
                and self.next_due_on < today_local())

    @overdue.inplace.expression
    @classmethod
    def _overdue_expression(cls):
        # "IS NOT NULL" keeps the expression two-valued, so its negation ("not
        # overdue") also lists the NCs without a pending action.
        return and_(cls.status.in_([s.value for s in OPEN_STATUSES]),
                    cls.next_due_on.is_not(None), cls.next_due_on < today_local())

    @property
    def days_to_close(self) -> int | None:
        if self.closed_at is None:
            return None
        from qms.core.time import to_local

        return (to_local(self.closed_at).date() - self.detected_on).days


class NCAnalysis(Audited, VersionedMixin, Model):
    """Root-cause analysis of one round: 5 whys (ordered), Ishikawa 6M, stated root cause."""

    __tablename__ = "nc_analysis"
    __record_url__ = RecordUrl("nonconformities.detail", nc_id="nc_id")
    __audit_label__ = _l("Análisis de causas")
    __audit_fields__ = {
        "nc_id": _l("No conformidad"), "round": _l("Ronda"), "whys": _l("Los 5 porqués"),
        "ishikawa": _l("Diagrama de Ishikawa (6M)"), "root_cause": _l("Causa raíz"),
    }
    __audit_actions__ = {
        "insert": _l("Análisis de causas iniciado"),
        "update": _l("Análisis de causas actualizado"),
    }
    __audit_formats__ = {"ishikawa": lambda value: _ishikawa_text(value)}

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
    __record_url__ = RecordUrl("nonconformities.detail", nc_id="nc_id")
    __audit_label__ = _l("Acción correctiva")
    __audit_fields__ = {
        "nc_id": _l("No conformidad"), "number": _l("Número"), "round": _l("Ronda de análisis"),
        "description": _l("Descripción"), "owner_id": _l("Responsable"),
        "due_on": _l("Fecha límite"), "status": _l("Estado"), "evidence": _l("Evidencia"),
        "started_on": _l("Iniciada el"), "completed_at": _l("Realizada el"),
        "completed_by_id": _l("Registrada como realizada por"),
        "previous_due_on": _l("Fecha límite anterior"),
    }
    __audit_actions__ = {
        "insert": _l("Acción correctiva planificada"),
        "update": _l("Acción correctiva actualizada"),
        "complete_on_behalf": _l("Acción registrada como realizada en nombre del responsable"),
        "replan": _l("Acción correctiva replanificada"),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    nc_id: Mapped[int] = mapped_column(
        ForeignKey("nonconformity.id", ondelete="RESTRICT"), index=True)
    #: 1, 2, 3… within the NC (shown as "AC-2").
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    #: The analysis round the action answers.
    round: Mapped[int] = mapped_column(Integer, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[ActionStatus] = mapped_column(
        enum_column(ActionStatus, "action_status"), nullable=False, default=ActionStatus.PLANNED)
    #: What was done and how it can be checked (required to mark it done, with or without files).
    evidence: Mapped[str | None] = mapped_column(Text)
    started_on: Mapped[date | None] = mapped_column(Date)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Who marked it done: the owner, or a quality officer on their behalf (with a reason
    #: in the audit trail). NULL for actions finished before this was recorded.
    completed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="RESTRICT"))
    #: The due date before the last re-planning, kept visible ("antes 2026-11-30").
    previous_due_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    nc: Mapped[Nonconformity] = relationship(back_populates="actions")
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
    attachments: Mapped[list[NCAttachment]] = relationship(
        back_populates="action", order_by="NCAttachment.id")

    __table_args__ = (
        UniqueConstraint("nc_id", "number", name="uq_corrective_action_nc_number"),
        CheckConstraint("status <> 'done' OR completed_at IS NOT NULL", name="done_has_date"),
        #: Covers "overdue actions of open NCs" (the dashboard) without reading the table.
        Index("ix_corrective_action_nc_status_due", "nc_id", "status", "due_on"),
        #: "Assigned to me" and the owner's pending actions: the owner's open actions and
        #: their NCs from the index alone.
        Index("ix_corrective_action_owner_open", "owner_id", "status", "nc_id"),
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
    __record_url__ = RecordUrl("nonconformities.detail", nc_id="nc_id")
    __audit_label__ = _l("Verificación de eficacia")
    __audit_fields__ = {
        "nc_id": _l("No conformidad"), "round": _l("Ronda de análisis"),
        "planned_on": _l("Fecha prevista de verificación"), "verifier_id": _l("Verificador"),
        "result": _l("Resultado"), "evidence": _l("Evidencia de la verificación"),
        "verified_at": _l("Verificada el"), "recorded_by_id": _l("Registrada por"),
    }
    __audit_actions__ = {
        "insert": _l("Verificación de eficacia planificada"),
        "update": _l("Verificación de eficacia actualizada"),
        "reassign_verifier": _l("Verificador reasignado"),
        **{f"result:{r.value}": _l("Verificación de eficacia: %(r)s", r=r.lazy_label)
           for r in VerificationResult},
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    nc_id: Mapped[int] = mapped_column(
        ForeignKey("nonconformity.id", ondelete="RESTRICT"), index=True)
    round: Mapped[int] = mapped_column(Integer, nullable=False)
    planned_on: Mapped[date] = mapped_column(Date, nullable=False)
    verifier_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"),
                                             index=True)
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
    __record_url__ = RecordUrl("nonconformities.detail", nc_id="nc_id")
    __audit_label__ = _l("Adjunto de NC")
    __audit_fields__ = {
        "nc_id": _l("No conformidad"), "action_id": _l("Acción correctiva"),
        "verification_id": _l("Verificación de eficacia"), "stored_file_id": _l("Archivo"),
        "uploaded_by_id": _l("Subido por"), "uploaded_at": _l("Subido el"),
    }
    __audit_actions__ = {"insert": _l("Archivo adjuntado")}

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
