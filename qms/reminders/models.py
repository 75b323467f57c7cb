"""Reminders: in-app notifications, the mail outbox and each user's delivery preferences.

A reminder's identity is (rule, record, due date, recipient, stage). It is the unique
``key`` of its :class:`Notification` and of the :class:`OutboxMessage` that mails it, so a
sweep that runs twice, or two sweeps that run at once, store it once; the Message-ID of
the mail derives from the same key, so a resend is recognisable as the same message.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    Unicode,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.auth.models import User
from qms.core.audit import Audited
from qms.core.db import Model, UTCDateTime, VersionedMixin, now_utc
from qms.core.enums import LabelledEnum, enum_column


class Stage(LabelledEnum):
    """Where a record stands against its date when the reminder is made."""

    DUE = "due", _l("Próximo a vencer")
    OVERDUE = "overdue", _l("Vencido")
    ESCALATED = "escalated", _l("Escalado")


class Delivery(LabelledEnum):
    """How a user wants their reminders mailed."""

    IMMEDIATE = "immediate", _l("Un correo por aviso, en cuanto se genera")
    DIGEST = "digest", _l("Un resumen diario")
    NONE = "none", _l("Sin correo (solo avisos en la aplicación)")


class OutboxStatus(LabelledEnum):
    PENDING = "pending", _l("Pendiente")
    SENDING = "sending", _l("Enviándose")
    SENT = "sent", _l("Enviado")
    FAILED = "failed", _l("Fallido")


class MessageKind(LabelledEnum):
    SINGLE = "single", _l("Aviso")
    DIGEST = "digest", _l("Resumen diario")


class Notification(Model):
    """One reminder for one person, shown in their inbox (and maybe mailed)."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "rule:record_type:record_id:due_on:user_id:stage" — the reminder's identity.
    key: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    #: Code of the rule that made it (qms.reminders.rules).
    rule: Mapped[str] = mapped_column(String(60), nullable=False)
    stage: Mapped[Stage] = mapped_column(enum_column(Stage, "notification_stage"), nullable=False)
    record_type: Mapped[str] = mapped_column(String(60), nullable=False)
    record_id: Mapped[str] = mapped_column(String(60), nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    #: What the message says about the record (code, title…), rendered in the reader's
    #: language when shown or mailed.
    params: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    #: Where the link goes: an endpoint and its arguments.
    link_endpoint: Mapped[str] = mapped_column(String(100), nullable=False)
    link_values: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    #: How it is mailed, decided from the user's preferences when it was made.
    delivery: Mapped[Delivery] = mapped_column(
        enum_column(Delivery, "notification_delivery"), nullable=False)
    #: The daily digest that mailed it (digest delivery only).
    digest_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    __table_args__ = (
        #: The inbox and the bell: a user's notifications, unread first.
        Index("ix_notification_user_unread", "user_id", "read_at"),
        #: A digest's notifications (partial: immediate ones never enter this index).
        Index("ix_notification_digest_id", "digest_id",
              sqlite_where=text("digest_id IS NOT NULL"),
              postgresql_where=text("digest_id IS NOT NULL")),
        #: Digests to build: undigested notifications of digest users.
        Index("ix_notification_digest_queue", "user_id",
              sqlite_where=text("delivery = 'digest' AND digest_id IS NULL"),
              postgresql_where=text("delivery = 'digest' AND digest_id IS NULL")),
    )

    def __repr__(self) -> str:
        return f"<Notification {self.key}>"


class OutboxMessage(Model):
    """A mail stored in the transaction that decided to send it, then sent by a sender pass.

    Lifecycle: ``pending`` → (claimed) ``sending`` → ``sent``; a failed attempt goes back to
    ``pending`` with a later ``next_attempt_at`` (back-off) and, after the last attempt, to
    ``failed``. A ``sending`` row whose claim is older than the lease (a sender died) is
    claimed again and resent with the same Message-ID.
    """

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The key of the notification it mails (single) or "digest:<user_id>:<date>".
    key: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    #: ``<sha256(key)[:32]@host>``: the same for every attempt, so a resend is recognisable
    #: (unique because the key is).
    message_id: Mapped[str] = mapped_column(String(255), nullable=False)
    kind: Mapped[MessageKind] = mapped_column(enum_column(MessageKind, "outbox_kind"),
                                              nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus, "outbox_status"), nullable=False, default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    #: When the current sender claimed it (status ``sending``).
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Random token of the sender pass that holds the claim.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Address and subject as mailed last (for the outbox page).
    to_address: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(300))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    user: Mapped[User] = relationship()

    __table_args__ = (
        #: The queue the senders claim from: small, whatever the number of sent mails.
        Index("ix_outbox_message_queue", "next_attempt_at",
              sqlite_where=text("status IN ('pending', 'sending')"),
              postgresql_where=text("status IN ('pending', 'sending')")),
    )

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.key} {self.status.value}>"


class ReminderPreference(Audited, VersionedMixin, Model):
    """A user's choices (and the admin's record of their manager). No row = defaults."""

    __tablename__ = "reminder_preference"
    __audit_label__ = _l("Preferencias de avisos")
    __audit_fields__ = {
        "user_id": _l("Usuario"),
        "delivery": _l("Envío por correo"),
        "muted_rules": _l("Avisos que no se envían por correo"),
        "manager_id": _l("Jefe inmediato"),
    }

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                         primary_key=True)
    delivery: Mapped[Delivery] = mapped_column(
        enum_column(Delivery, "reminder_delivery"), nullable=False, default=Delivery.IMMEDIATE)
    #: Rule codes the user does not want mailed (they still appear in the inbox).
    muted_rules: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    #: Who else hears of this user's records when they stay overdue (escalation).
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    manager: Mapped[User | None] = relationship(foreign_keys=[manager_id])

    def __repr__(self) -> str:
        return f"<ReminderPreference user {self.user_id} {self.delivery.value}>"


#: APScheduler's SQLAlchemy job store, declared here so the migration creates it and
#: ``flask db check`` knows it (APScheduler would otherwise create it on first start).
scheduler_jobs = Table(
    "apscheduler_jobs", Model.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
