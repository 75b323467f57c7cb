"""Payment periods, their aggregates and the imports that brought them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.auth.models import User
from qms.core.audit import Audited
from qms.core.db import Model, UTCDateTime, now_utc
from qms.core.enums import LabelledEnum, enum_column
from qms.core.links import RecordUrl


class PaymentChannel(LabelledEnum):
    BANK = "bank", _l("Banco")
    MOBILE_WALLET = "mobile_wallet", _l("Billetera móvil")
    PAY_POINT = "pay_point", _l("Punto de pago comunitario")
    OTHER = "other", _l("Otro canal")


class NonPaymentReason(LabelledEnum):
    """Why a scheduled household was not paid; one count column per reason."""

    ABSENT = "absent", _l("No se presentó a cobrar")
    DOCUMENTS = "documents", _l("Problema de identificación o documentos")
    CORESPONSIBILITY = "coresponsibility", _l("Incumplimiento de corresponsabilidades")
    SUSPENDED = "suspended", _l("Suspensión o baja del programa")
    OTHER = "other", _l("Otro motivo")


class ImportStatus(LabelledEnum):
    IMPORTED = "imported", _l("Importada")
    REJECTED = "rejected", _l("Rechazada")


class PaymentImport(Audited, Model):
    """One file handed over by the payment system. Written once; its one audit event
    carries the file's SHA-256 and what changed per period."""

    __tablename__ = "payment_import"
    __record_url__ = RecordUrl("payments.list")
    __audit_label__ = _l("Importación de pagos")
    __audit_fields__ = {
        "status": _l("Estado"), "file_name": _l("Archivo"), "file_sha256": _l("SHA-256"),
        "file_size": _l("Tamaño"), "file_format": _l("Formato"), "rows_read": _l("Filas leídas"),
        "periods": _l("Periodos"), "problems": _l("Problemas"),
        "imported_at": _l("Fecha de importación"), "actor_id": _l("Importado por"),
    }
    __audit_label__ = _l("Importación de pagos")
    __audit_actions__ = {"import": _l("Importación de datos de pago"),
                         "import_rejected": _l("Importación de pagos rechazada")}

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[ImportStatus] = mapped_column(
        enum_column(ImportStatus, "payment_import_status"), nullable=False)
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    file_sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    file_size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    #: "csv utf-8 ;" or "xlsx".
    file_format: Mapped[str] = mapped_column(String(40), nullable=False)
    rows_read: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: {period: "new" | "replaced" | "unchanged"} for an accepted file.
    periods: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False, default=dict)
    #: The first problems found ([{row, column, reason}]), capped.
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))

    actor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<PaymentImport #{self.id} {self.status.value} {self.file_name!r}>"


class PaymentPeriod(Model):
    """A monthly payment period ("2025-03") and the import whose data it holds now."""

    __tablename__ = "payment_period"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "YYYY-MM".
    code: Mapped[str] = mapped_column(String(7), nullable=False, unique=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    month: Mapped[int] = mapped_column(Integer, nullable=False)
    import_id: Mapped[int] = mapped_column(
        ForeignKey("payment_import.id", ondelete="RESTRICT"), nullable=False)
    #: SHA-256 over the period's normalised rows: a re-import with the same figures is a no-op.
    content_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    source: Mapped[PaymentImport] = relationship()

    __table_args__ = (CheckConstraint("month BETWEEN 1 AND 12", name="month_range"),)

    def __repr__(self) -> str:
        return f"<PaymentPeriod {self.code}>"


REASON_COLUMNS = tuple(f"unpaid_{r.value}" for r in NonPaymentReason)


class PaymentAggregate(Model):
    """Households and lempiras of one period × municipality × channel (no person in it)."""

    __tablename__ = "payment_aggregate"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(
        ForeignKey("payment_period.id", ondelete="CASCADE"), nullable=False)
    department_code: Mapped[str] = mapped_column(String(2), nullable=False)
    municipality_code: Mapped[str] = mapped_column(String(4), nullable=False)
    channel: Mapped[PaymentChannel] = mapped_column(
        enum_column(PaymentChannel, "payment_channel"), nullable=False)
    households_scheduled: Mapped[int] = mapped_column(Integer, nullable=False)
    households_paid: Mapped[int] = mapped_column(Integer, nullable=False)
    amount_paid: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)
    unpaid_absent: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    unpaid_documents: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    unpaid_coresponsibility: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    unpaid_suspended: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    unpaid_other: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (
        UniqueConstraint("period_id", "municipality_code", "channel",
                         name="uq_payment_aggregate_cell"),
        CheckConstraint("households_paid >= 0 AND households_paid <= households_scheduled",
                        name="paid_within_scheduled"),
        CheckConstraint("amount_paid >= 0", name="amount_not_negative"),
        CheckConstraint(
            "unpaid_absent + unpaid_documents + unpaid_coresponsibility + unpaid_suspended "
            "+ unpaid_other <= households_scheduled - households_paid", name="reasons_fit"),
    )

    def __repr__(self) -> str:
        return f"<PaymentAggregate {self.period_id} {self.municipality_code} {self.channel}>"

