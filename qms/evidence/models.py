"""Evidence packs (a job row per generation), their shares with certifiers, and the log of
what a certifier opened."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.auth.models import User
from qms.core.audit import Audited
from qms.core.db import Model, UTCDateTime, VersionedMixin, now_utc
from qms.core.enums import LabelledEnum, enum_column


class PackStatus(LabelledEnum):
    QUEUED = "queued", _l("En cola")
    RUNNING = "running", _l("Generándose")
    READY = "ready", _l("Listo")
    FAILED = "failed", _l("Falló")


#: States in which a generation may still be under way.
UNFINISHED = (PackStatus.QUEUED, PackStatus.RUNNING)


class EvidencePack(Model):
    """One generation of a pack: its scope, its progress, and (when ready) its file.

    A job row, not a quality record: progress is written many times per run. Sharing a
    pack (:class:`PackShare`) is what the audit trail records."""

    __tablename__ = "evidence_pack"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The pack ID printed on the cover and in the manifest (random, never reused).
    pack_uid: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    #: Process codes in scope; empty = every process.
    process_codes: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    #: Top-level clauses (4–10) included; empty = all.
    clauses: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    attach_files: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    as_zip: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    status: Mapped[PackStatus] = mapped_column(enum_column(PackStatus, "evidence_pack_status"),
                                               nullable=False, default=PackStatus.QUEUED)
    progress: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    stage: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    error: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Written with every progress step; a running pack silent for long died with its process.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: host:pid of the process that claimed the generation.
    worker: Mapped[str | None] = mapped_column(String(120))
    #: File name under INSTANCE_DIR/evidence-packs/, set only once the file is in place.
    file_name: Mapped[str | None] = mapped_column(String(120))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    page_count: Mapped[int | None] = mapped_column(Integer)

    requested_by: Mapped[User | None] = relationship()
    shares: Mapped[list[PackShare]] = relationship(back_populates="pack",
                                                   order_by="PackShare.id")

    __table_args__ = (Index("ix_evidence_pack_status", "status"),)

    def __repr__(self) -> str:
        return f"<EvidencePack {self.pack_uid} {self.status.value}>"

    @property
    def is_ready(self) -> bool:
        return self.status == PackStatus.READY and bool(self.file_name)

    @property
    def download_name(self) -> str:
        ext = "zip" if self.as_zip else "pdf"
        return f"paquete-evidencias-{self.period_start}-{self.period_end}-{self.pack_uid[:8]}.{ext}"


class PackShare(Audited, VersionedMixin, Model):
    """A pack shared with a certifier for an audit window, with the processes it may read."""

    __tablename__ = "evidence_pack_share"
    __audit_label__ = _l("Paquete de evidencias compartido")
    __audit_title__ = "id"
    __audit_fields__ = {
        "pack_id": _l("Paquete de evidencias"), "certifier_id": _l("Auditor externo"),
        "starts_on": _l("Inicio de la ventana de auditoría"),
        "ends_on": _l("Fin de la ventana de auditoría"),
        "process_codes": _l("Procesos en el alcance"), "created_by_id": _l("Compartido por"),
        "created_at": _l("Compartido el"), "revoked_at": _l("Revocado el"),
        "revoked_by_id": _l("Revocado por"), "revoke_reason": _l("Motivo de la revocación"),
    }
    __audit_actions__ = {"share": _l("Compartido con el auditor externo"),
                         "widen": _l("Alcance ampliado"), "revoke": _l("Acceso revocado")}

    id: Mapped[int] = mapped_column(primary_key=True)
    pack_id: Mapped[int] = mapped_column(ForeignKey("evidence_pack.id", ondelete="RESTRICT"),
                                         index=True)
    certifier_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"),
                                              index=True)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)
    process_codes: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    revoke_reason: Mapped[str | None] = mapped_column(String(500))

    pack: Mapped[EvidencePack] = relationship(back_populates="shares")
    certifier: Mapped[User] = relationship(foreign_keys=[certifier_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    def __repr__(self) -> str:
        return f"<PackShare #{self.id} pack {self.pack_id} → user {self.certifier_id}>"

    def active_on(self, day: date) -> bool:
        return self.revoked_at is None and self.starts_on <= day <= self.ends_on


class CertifierView(Model):
    """One page or file a certifier opened (or was refused), for the quality officer."""

    __tablename__ = "evidence_certifier_view"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    #: The local (Tegucigalpa) day, for the by-day view.
    day: Mapped[date] = mapped_column(Date, nullable=False)
    method: Mapped[str] = mapped_column(String(10), nullable=False)
    path: Mapped[str] = mapped_column(String(500), nullable=False)
    endpoint: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    #: What the page shows, from the route ("nonconformity 12"); empty for lists.
    record_type: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    record_id: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    status_code: Mapped[int] = mapped_column(Integer, nullable=False)
    #: A file sent (download) rather than a page.
    is_file: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    user: Mapped[User] = relationship()

    __table_args__ = (Index("ix_evidence_certifier_view_user_day", "user_id", "day"),)
