"""The yearly programme, the gapless year counter and the versioned checklist templates."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.core.audit import Audited
from qms.core.db import Model, UTCDateTime, VersionedMixin, now_utc
from qms.core.links import RecordUrl

if TYPE_CHECKING:
    from qms.audits.models.audit import Audit


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
