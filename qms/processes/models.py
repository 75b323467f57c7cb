"""A process of the SGC, with the person who owns it."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.auth.models import User
from qms.core.audit import Audited
from qms.core.db import Model, UTCDateTime, VersionedMixin, now_utc
from qms.core.enums import LabelledEnum, enum_column
from qms.core.links import RecordUrl

#: Clause references carry their edition (DESIGN.md: the 2026 edition will live beside it).
ISO_CLAUSE = ("ISO 9001:2015", "4.4")


class ProcessCategory(LabelledEnum):
    STRATEGIC = "strategic", _l("Estratégico")
    OPERATIONAL = "operational", _l("Operativo (misional)")
    SUPPORT = "support", _l("De apoyo")


class Process(Audited, VersionedMixin, Model):
    __tablename__ = "process"
    __record_url__ = RecordUrl("processes.detail", process_id="id")
    __audit_label__ = _l("Proceso")
    __audit_fields__ = {
        "code": _l("Código"), "name": _l("Nombre"), "category": _l("Tipo de proceso"),
        "owner_id": _l("Dueño del proceso"), "description": _l("Descripción"),
        "active": _l("Proceso vigente"),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short stable code used in document and NC codes, e.g. "PAG" or "SGC".
    code: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    category: Mapped[ProcessCategory] = mapped_column(
        enum_column(ProcessCategory, "process_category"), nullable=False
    )
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: Retired processes stay for their records; they are never deleted.
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=now_utc, onupdate=now_utc
    )

    owner: Mapped[User] = relationship()

    __table_args__ = (CheckConstraint("length(code) >= 2", name="code_length"),)

    def __repr__(self) -> str:
        return f"<Process {self.code} {self.name!r}>"
