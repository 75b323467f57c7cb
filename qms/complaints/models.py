"""A citizen complaint: what happened and where, an optional contact, its handling."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.core.audit import Audited
from qms.core.db import Model, UTCDateTime, VersionedMixin, now_utc
from qms.core.enums import LabelledEnum, enum_column
from qms.core.links import RecordUrl
from qms.core.storage import StoredFile


class ComplaintStatus(LabelledEnum):
    RECEIVED = "received", _l("Recibida")
    UNDER_REVIEW = "under_review", _l("En revisión")
    ANSWERED = "answered", _l("Respondida")
    CLOSED = "closed", _l("Cerrada")


class ComplaintCategory(LabelledEnum):
    MONEY_REQUEST = "money_request", _l("Me pidieron dinero o favores a cambio del bono")
    PAYMENT = "payment", _l("Problema con el pago del bono")
    REGISTRATION = "registration", _l("Problema con la inscripción o los datos del hogar")
    SERVICE = "service", _l("Mala atención del personal")
    OTHER = "other", _l("Otro asunto")


class Complaint(Audited, VersionedMixin, Model):
    __tablename__ = "complaint"
    __record_url__ = RecordUrl("complaints.detail", complaint_id="id")
    __audit_label__ = _l("Queja ciudadana")
    __audit_fields__ = {
        "tracking_code": _l("Código de seguimiento"), "category": _l("Tipo"),
        "description": _l("Qué pasó"), "department_code": _l("Departamento"),
        "municipality_code": _l("Municipio"), "anonymous": _l("Anónima"),
        "contact_name": _l("Nombre de contacto"), "contact_phone": _l("Teléfono de contacto"),
        "contact_email": _l("Correo de contacto"), "photo_id": _l("Foto"),
        "status": _l("Estado"), "received_at": _l("Recibida el"),
        "acknowledged_at": _l("Acusada el"), "answered_at": _l("Respondida el"),
        "closed_at": _l("Cerrada el"), "public_answer": _l("Respuesta pública"),
        "internal_note": _l("Nota interna"), "nc_id": _l("No conformidad"),
        "nc_code": _l("Código de la no conformidad"), "handled_by_id": _l("Atendida por"),
        "updated_at": _l("Actualizada el"),
    }
    __audit_label__ = _l("Queja ciudadana")
    __audit_actions__ = {
        "file": _l("Queja presentada en el portal"),
        "acknowledge": _l("Acuse de recibo"),
        "answer": _l("Respuesta a la ciudadanía"),
        "raise_nc": _l("No conformidad levantada"),
        "close": _l("Cierre"),
        "view_contact": _l("Consulta de los datos de contacto"),
    }
    #: The contact never enters the audit trail in clear (only that it changed).
    __audit_redact__ = frozenset({"contact_name", "contact_phone", "contact_email"})

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 13 Crockford Base32 symbols, no separators (see qms.complaints.codes).
    tracking_code: Mapped[str] = mapped_column(String(13), nullable=False, unique=True)
    category: Mapped[ComplaintCategory] = mapped_column(
        enum_column(ComplaintCategory, "complaint_category"), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    department_code: Mapped[str] = mapped_column(String(2), nullable=False)
    municipality_code: Mapped[str | None] = mapped_column(String(4))
    #: Anonymous: no contact was taken, and none may be added later.
    anonymous: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    contact_name: Mapped[str | None] = mapped_column(String(120))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    #: The photo as stored: re-encoded, without EXIF/GPS metadata.
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id", ondelete="RESTRICT"))
    status: Mapped[ComplaintStatus] = mapped_column(
        enum_column(ComplaintStatus, "complaint_status"), nullable=False,
        default=ComplaintStatus.RECEIVED)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Shown to the citizen on the status page.
    public_answer: Mapped[str | None] = mapped_column(Text)
    #: Only for staff; never shown on the portal.
    internal_note: Mapped[str | None] = mapped_column(Text)
    #: The Nonconformity raised from it (the NC links back with origin "complaint").
    nc_id: Mapped[int | None] = mapped_column(ForeignKey("nonconformity.id", ondelete="RESTRICT"))
    nc_code: Mapped[str | None] = mapped_column(String(20))
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc,
                                                 onupdate=now_utc)

    photo: Mapped[StoredFile | None] = relationship()

    __table_args__ = (
        CheckConstraint("NOT anonymous OR (contact_name IS NULL AND contact_phone IS NULL "
                        "AND contact_email IS NULL)", name="anonymous_has_no_contact"),
        CheckConstraint("status NOT IN ('answered', 'closed') OR public_answer IS NOT NULL",
                        name="answered_has_answer"),
        Index("ix_complaint_status_received", "status", "received_at"),
        # the register's other filters, each with its order (newest first) behind it
        Index("ix_complaint_category_received", "category", "received_at"),
        Index("ix_complaint_department_received", "department_code", "received_at"),
        Index("ix_complaint_received", "received_at"),
    )

    @property
    def display_code(self) -> str:
        from qms.complaints.codes import display

        return display(self.tracking_code)

    @property
    def has_contact(self) -> bool:
        return bool(self.contact_name or self.contact_phone or self.contact_email)

    def __repr__(self) -> str:
        return f"<Complaint #{self.id} {self.status.value}>"

