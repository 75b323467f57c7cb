"""A person's secret calendar feed of audits (ICS): only the SHA-256 of its token is kept."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.auth.models import User
from qms.core.audit import Audited
from qms.core.db import Model, UTCDateTime, now_utc


class AuditCalendarFeed(Audited, Model):
    """The one live feed address of a user; resetting it replaces the hash, so the
    old address stops answering at once."""

    __tablename__ = "audit_calendar_feed"
    __audit_label__ = _l("Calendario de auditorías (ICS)")
    __audit_fields__ = {"user_id": _l("Persona"), "issued_at": _l("Dirección emitida")}
    __audit_skip__ = frozenset({"version", "token_hash", "last_used_at"})
    __audit_actions__ = {"calendar_reset": _l("Dirección del calendario renovada")}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<AuditCalendarFeed of user {self.user_id}>"
