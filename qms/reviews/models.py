"""A management review [ISO 9001:2015 9.3]: the meeting, its attendees, the inputs
entered by the quality officer, the compiled figures frozen when it is held, the
decisions [9.3.3] with their tracked actions, and the approved minutes."""

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

from qms.auth.models import User
from qms.core.audit import Audited
from qms.core.db import Model, UTCDateTime, VersionedMixin, now_utc
from qms.core.enums import enum_column
from qms.core.storage import StoredFile
from qms.core.time import today_local
from qms.reviews.enums import DecisionKind, ReviewActionStatus, ReviewStatus

ISO_CLAUSE = ("ISO 9001:2015", "9.3")

#: The inputs of 9.3.2 a person writes (the rest is compiled from the records):
#: column → the section it belongs to.
ENTERED_INPUTS = {
    "issues_changes": "b",
    "satisfaction_notes": "c1",
    "providers_notes": "c7",
    "resources_adequacy": "d",
    "risks_actions": "e",
    "improvement_notes": "f",
}


class ReviewYearCounter(Model):
    """The last review number of each year (gapless codes RD-2026-01)."""

    __tablename__ = "review_year_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class ManagementReview(Audited, VersionedMixin, Model):
    __tablename__ = "management_review"
    __audit_label__ = _l("Revisión por la dirección")
    __audit_title__ = "code"
    __audit_fields__ = {
        "code": _l("Código"), "year": _l("Año"), "number": _l("N.º"), "title": _l("Título"),
        "planned_on": _l("Fecha prevista"), "held_on": _l("Fecha de realización"),
        "location": _l("Lugar"), "period_start": _l("Periodo revisado: desde"),
        "period_end": _l("Periodo revisado: hasta"), "status": _l("Estado"),
        "cancel_reason": _l("Motivo de anulación"),
        "external_attendees": _l("Asistentes externos"),
        "issues_changes": _l("Cambios en las cuestiones externas e internas"),
        "satisfaction_notes": _l("Comentarios sobre la satisfacción y la retroalimentación"),
        "providers_notes": _l("Desempeño de los proveedores externos (comentarios)"),
        "resources_adequacy": _l("Adecuación de los recursos"),
        "risks_actions": _l("Eficacia de las acciones frente a riesgos y oportunidades"),
        "improvement_notes": _l("Oportunidades de mejora (comentarios)"),
        "conclusions": _l("Conclusiones sobre la conveniencia, adecuación y eficacia del SGC"),
        "compiled_at": _l("Compilada el"), "compiled": _l("Compilación preliminar"),
        "snapshot": _l("Datos congelados"), "snapshot_sha256": _l("Huella SHA-256 de los datos"),
        "held_at": _l("Registrada como realizada el"), "held_by_id": _l("Registrada por"),
        "minutes_approved_at": _l("Acta aprobada el"),
        "minutes_approved_by_id": _l("Acta aprobada por"),
        "approval_meaning": _l("Significado de la firma"),
        "minutes_file_id": _l("Acta en PDF"), "minutes_sha256": _l("Huella SHA-256 del acta"),
        "created_by_id": _l("Creada por"), "created_at": _l("Creada"),
        "updated_at": _l("Actualizada"),
    }
    __audit_skip__ = frozenset({"version", "updated_at", "compiled"})
    __audit_actions__ = {"compile": _l("Entradas compiladas"),
                         "freeze": _l("Datos congelados al realizarse"),
                         "approve_minutes": _l("Acta aprobada (firma electrónica)")}
    __audit_formats__ = {"snapshot": lambda value: _l("(datos congelados)")}

    id: Mapped[int] = mapped_column(primary_key=True)
    #: RD-2026-01: gapless within the year the review is planned in.
    code: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    planned_on: Mapped[date] = mapped_column(Date, nullable=False)
    held_on: Mapped[date | None] = mapped_column(Date)
    location: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    #: The period whose records the review considers (local dates, both included).
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[ReviewStatus] = mapped_column(
        enum_column(ReviewStatus, "review_status"), nullable=False, default=ReviewStatus.PLANNED,
        index=True)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    #: People from outside the system, one per line ("Nombre — cargo, entidad").
    external_attendees: Mapped[str] = mapped_column(Text, nullable=False, default="")
    issues_changes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    satisfaction_notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    providers_notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    resources_adequacy: Mapped[str] = mapped_column(Text, nullable=False, default="")
    risks_actions: Mapped[str] = mapped_column(Text, nullable=False, default="")
    improvement_notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    conclusions: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: The latest preliminary compilation (live figures) of a planned review.
    compiled: Mapped[dict | None] = mapped_column(JSON)
    compiled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The figures frozen when the review was held: pages and minutes render from this.
    snapshot: Mapped[dict | None] = mapped_column(JSON)
    snapshot_sha256: Mapped[str | None] = mapped_column(String(64))
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    held_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    minutes_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    minutes_approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="RESTRICT"))
    approval_meaning: Mapped[str | None] = mapped_column(String(300))
    minutes_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("stored_file.id", ondelete="RESTRICT"))
    minutes_sha256: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc,
                                                 onupdate=now_utc)

    held_by: Mapped[User | None] = relationship(foreign_keys=[held_by_id])
    minutes_approved_by: Mapped[User | None] = relationship(foreign_keys=[minutes_approved_by_id])
    minutes_file: Mapped[StoredFile | None] = relationship()
    attendees: Mapped[list[ReviewAttendee]] = relationship(
        back_populates="review", order_by="ReviewAttendee.id", cascade="all, delete-orphan")
    decisions: Mapped[list[ReviewDecision]] = relationship(
        back_populates="review", order_by="ReviewDecision.number")

    __table_args__ = (
        UniqueConstraint("year", "number", name="uq_management_review_year_number"),
        CheckConstraint("period_start <= period_end", name="period_order"),
        CheckConstraint("status != 'cancelled' OR cancel_reason IS NOT NULL",
                        name="cancel_needs_reason"),
        CheckConstraint("status NOT IN ('held', 'minutes_approved') OR "
                        "(snapshot_sha256 IS NOT NULL AND held_on IS NOT NULL)",
                        name="held_needs_snapshot"),
        CheckConstraint("status != 'minutes_approved' OR minutes_approved_at IS NOT NULL",
                        name="approved_needs_signature"),
    )

    def __repr__(self) -> str:
        return f"<ManagementReview {self.code} {self.status.value}>"

    @property
    def inputs_editable(self) -> bool:
        """Entered inputs, attendees and period change only before the review is held."""
        return self.status == ReviewStatus.PLANNED


class ReviewAttendee(Audited, Model):
    """A participant: a user of the system, or a person from outside it."""

    __tablename__ = "review_attendee"
    __audit_label__ = _l("Asistente a la revisión")
    __audit_fields__ = {"review_id": _l("Revisión"), "user_id": _l("Usuario"),
                        "role_text": _l("Cargo")}

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("management_review.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    #: What the person attends as ("Directora del programa").
    role_text: Mapped[str] = mapped_column(String(200), nullable=False, default="")

    review: Mapped[ManagementReview] = relationship(back_populates="attendees")
    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("review_id", "user_id", name="uq_review_attendee_user"),)


class ReviewDecision(Audited, VersionedMixin, Model):
    """A decision of the review [9.3.3 a–c]; it may carry one tracked action."""

    __tablename__ = "review_decision"
    __audit_label__ = _l("Decisión de la revisión por la dirección")
    __audit_fields__ = {
        "review_id": _l("Revisión"), "number": _l("N.º"), "kind": _l("Tipo de decisión"),
        "text": _l("Decisión"), "action_description": _l("Acción"),
        "action_owner_id": _l("Responsable de la acción"), "action_due_on": _l("Fecha límite"),
        "action_status": _l("Estado de la acción"),
        "action_evidence": _l("Evidencia de la acción"),
        "action_evidence_file_id": _l("Archivo de evidencia"),
        "action_completed_at": _l("Acción realizada el"),
        "created_by_id": _l("Registrada por"), "created_at": _l("Registrada"),
    }
    __audit_actions__ = {"action_progress": _l("Avance de la acción registrado")}

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("management_review.id", ondelete="RESTRICT"), index=True)
    #: 1, 2, 3… within the review (shown "D-2").
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[DecisionKind] = mapped_column(enum_column(DecisionKind, "review_decision_kind"),
                                               nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    action_description: Mapped[str | None] = mapped_column(Text)
    action_owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    action_due_on: Mapped[date | None] = mapped_column(Date)
    action_status: Mapped[ReviewActionStatus | None] = mapped_column(
        enum_column(ReviewActionStatus, "review_action_status"))
    action_evidence: Mapped[str | None] = mapped_column(Text)
    action_evidence_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("stored_file.id", ondelete="RESTRICT"))
    action_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    review: Mapped[ManagementReview] = relationship(back_populates="decisions")
    action_owner: Mapped[User | None] = relationship(foreign_keys=[action_owner_id])
    action_evidence_file: Mapped[StoredFile | None] = relationship()

    __table_args__ = (
        UniqueConstraint("review_id", "number", name="uq_review_decision_number"),
        CheckConstraint("(action_owner_id IS NULL) = (action_due_on IS NULL) AND "
                        "(action_owner_id IS NULL) = (action_status IS NULL)",
                        name="action_complete"),
    )

    def __repr__(self) -> str:
        return f"<ReviewDecision D-{self.number} of review {self.review_id}>"

    @property
    def label(self) -> str:
        return f"D-{self.number}"

    @property
    def has_action(self) -> bool:
        return self.action_owner_id is not None

    @property
    def action_overdue(self) -> bool:
        return (self.has_action and self.action_status != ReviewActionStatus.DONE
                and self.action_due_on is not None and self.action_due_on < today_local())
