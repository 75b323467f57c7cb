"""Beneficiary-satisfaction surveys [ISO 9001:2015 9.1.2].

Definitions (survey → versions → questions), waves with their target sample, the
mapping of export columns, import batches, responses and the aggregates the results
pages read. Definitions, waves and mappings are quality records (audited, versioned);
responses are data, so an import leaves one audit event per batch instead of one per row.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.auth.models import User
from qms.core import geo
from qms.core.audit import Audited, Recorded
from qms.core.db import Model, UTCDateTime, VersionedMixin, now_utc
from qms.core.enums import LabelledEnum, enum_column
from qms.core.links import RecordUrl

ISO_CLAUSE = ("ISO 9001:2015", "9.1.2")
#: Pseudo-question codes kept in the aggregates beside the real questions.
RESPONSES_CODE = "_respuestas"
INDEX_CODE = "_indice"


#: Characters of a question's text shown where space is short (charts, headers, titles).
QUESTION_LABEL_WIDTH = 48


class QuestionType(LabelledEnum):
    LIKERT = "likert5", _l("Escala Likert 1–5")
    YES_NO = "yes_no", _l("Sí / No")
    SINGLE = "single", _l("Opción única")
    MULTIPLE = "multiple", _l("Opción múltiple")
    NUMBER = "number", _l("Número")
    TEXT = "text", _l("Texto libre")


class VersionStatus(LabelledEnum):
    DRAFT = "draft", _l("Borrador")
    PUBLISHED = "published", _l("Publicada")
    SUPERSEDED = "superseded", _l("Reemplazada")


class WaveStatus(LabelledEnum):
    DRAFT = "draft", _l("En preparación")
    OPEN = "open", _l("Abierta")
    CLOSED = "closed", _l("Cerrada")


class Channel(LabelledEnum):
    IN_PERSON = "in_person", _l("Presencial")
    PHONE = "phone", _l("Teléfono")
    WEB = "web", _l("Web")
    KOBO = "kobo", _l("KoboToolbox / ODK")


class BatchStatus(LabelledEnum):
    #: Checked and being published in short transactions; its rows are not visible yet.
    IMPORTING = "importing", _l("Importando")
    IMPORTED = "imported", _l("Importado")
    REJECTED = "rejected", _l("Rechazado (nada importado)")


def _department_name(code: str) -> str:
    department = geo.department(code)
    return department.name if department is not None else code


class Survey(Audited, VersionedMixin, Model):
    __tablename__ = "survey"
    __record_url__ = RecordUrl("surveys.detail", survey_id="id")
    __audit_redact__ = frozenset({"webhook_secret_hash"})
    __audit_label__ = _l("Encuesta")
    __audit_fields__ = {
        "code": _l("Código"), "title": _l("Título"), "description": _l("Descripción"),
        "webhook_secret_hash": _l("Secreto del webhook"),
    }
    __audit_actions__ = {"rotate_webhook_secret": _l("Nuevo secreto del webhook")}

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable code used in the webhook URL, e.g. "SAT-BVM".
    code: Mapped[str] = mapped_column(String(30), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: SHA-256 of the KoboToolbox REST-service secret; the secret is shown once.
    webhook_secret_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    versions: Mapped[list[SurveyVersion]] = relationship(
        back_populates="survey", order_by="SurveyVersion.number")
    waves: Mapped[list[Wave]] = relationship(back_populates="survey", order_by="Wave.starts_on")

    __table_args__ = (CheckConstraint("length(code) >= 2", name="code_length"),)

    def __repr__(self) -> str:
        return f"<Survey {self.code}>"


class SurveyVersion(Audited, VersionedMixin, Model):
    """One version of the questionnaire; a published version is never edited in place."""

    __tablename__ = "survey_version"
    __record_url__ = RecordUrl("surveys.detail", survey_id="survey_id")
    __audit_label__ = _l("Versión del cuestionario")
    __audit_title__ = "number"
    __audit_fields__ = {
        "survey_id": _l("Encuesta"), "number": _l("Versión"), "status": _l("Estado"),
        "published_at": _l("Publicada el"), "published_by_id": _l("Publicada por"),
    }
    __audit_actions__ = {"publish": _l("Cuestionario publicado")}

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="RESTRICT"))
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[VersionStatus] = mapped_column(
        enum_column(VersionStatus, "survey_version_status"), nullable=False,
        default=VersionStatus.DRAFT)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))

    survey: Mapped[Survey] = relationship(back_populates="versions")
    published_by: Mapped[User | None] = relationship()
    questions: Mapped[list[Question]] = relationship(
        back_populates="version", order_by="Question.position")

    __table_args__ = (UniqueConstraint("survey_id", "number", name="uq_survey_version_number"),)

    def __repr__(self) -> str:
        return f"<SurveyVersion {self.survey_id} v{self.number} {self.status.value}>"


class Question(Audited, Model):
    __tablename__ = "survey_question"
    __audit_label__ = _l("Pregunta")
    __audit_fields__ = {
        "version_id": _l("Versión del cuestionario"), "position": _l("Posición"),
        "code": _l("Código"), "text": _l("Texto de la pregunta"), "type": _l("Tipo"),
        "required": _l("Respuesta obligatoria"),
        "in_index": _l("Forma parte del índice de satisfacción"),
        "is_complaint": _l("«Sí» significa que presentó una queja"), "choices": _l("Opciones"),
        "min_value": _l("Mínimo"), "max_value": _l("Máximo"),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_version.id", ondelete="RESTRICT"),
                                            index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    #: Stable code shared by every version ("p1_trato"): results compare across waves by it.
    code: Mapped[str] = mapped_column(String(60), nullable=False)
    text: Mapped[str] = mapped_column(String(500), nullable=False)
    type: Mapped[QuestionType] = mapped_column(enum_column(QuestionType, "question_type"),
                                               nullable=False)
    required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: Part of the satisfaction index (Likert questions only).
    in_index: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: A yes/no question whose "yes" reports a complaint (drives the complaint share).
    is_complaint: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: {choice code: Spanish label} for single/multiple choice.
    choices: Mapped[dict[str, str] | None] = mapped_column(JSON)
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)

    version: Mapped[SurveyVersion] = relationship(back_populates="questions")

    __table_args__ = (UniqueConstraint("version_id", "code", name="uq_survey_question_code"),)

    @property
    def label(self) -> str:
        """How pages, charts and findings name the question: its text, shortened (the
        full text goes in a tooltip); never its code."""
        from qms.core.formats import shorten

        return shorten(self.text, QUESTION_LABEL_WIDTH)

    def __repr__(self) -> str:
        return f"<Question {self.code} ({self.type.value})>"


class Wave(Audited, VersionedMixin, Model):
    """A fieldwork round: a period, a target sample per department, a status."""

    __tablename__ = "survey_wave"
    __record_url__ = RecordUrl("surveys.wave", wave_id="id")
    __audit_label__ = _l("Ronda de encuesta")
    __audit_fields__ = {
        "survey_id": _l("Encuesta"), "questionnaire_id": _l("Versión del cuestionario"),
        "code": _l("Código"), "name": _l("Nombre"), "starts_on": _l("Inicio del periodo"),
        "ends_on": _l("Fin del periodo"), "status": _l("Estado"),
        "population": _l("Hogares en el marco muestral"),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="RESTRICT"), index=True)
    #: The published questionnaire the wave collects.
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("survey_version.id", ondelete="RESTRICT"))
    code: Mapped[str] = mapped_column(String(30), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[WaveStatus] = mapped_column(enum_column(WaveStatus, "wave_status"),
                                               nullable=False, default=WaveStatus.DRAFT)
    #: Households in the sampling frame (N), for the finite-population correction.
    population: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    survey: Mapped[Survey] = relationship(back_populates="waves")
    questionnaire: Mapped[SurveyVersion] = relationship()
    targets: Mapped[list[WaveTarget]] = relationship(
        back_populates="wave", order_by="WaveTarget.department_code")

    __table_args__ = (
        UniqueConstraint("survey_id", "code", name="uq_survey_wave_code"),
        CheckConstraint("ends_on >= starts_on", name="period"),
    )

    def __repr__(self) -> str:
        return f"<Wave {self.code} {self.status.value}>"


class WaveTarget(Audited, Model):
    __tablename__ = "survey_wave_target"
    __record_url__ = RecordUrl("surveys.wave", wave_id="wave_id")
    __audit_label__ = _l("Meta de muestra por departamento")
    __audit_fields__ = {
        "wave_id": _l("Ronda de encuesta"), "department_code": _l("Departamento"),
        "target_sample": _l("Entrevistas planificadas"),
        "population": _l("Hogares en el marco muestral"),
    }
    __audit_formats__ = {"department_code": lambda code: _department_name(code)}

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_wave.id", ondelete="CASCADE"))
    department_code: Mapped[str] = mapped_column(String(2), nullable=False)
    #: Interviews planned in the department.
    target_sample: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: Households of the department in the frame (N_h), for the FPC; NULL if unknown.
    population: Mapped[int | None] = mapped_column(Integer)

    wave: Mapped[Wave] = relationship(back_populates="targets")

    __table_args__ = (
        UniqueConstraint("wave_id", "department_code", name="uq_survey_wave_target_dept"),
        CheckConstraint("target_sample >= 0", name="target_positive"),
    )


class ColumnMapping(Audited, VersionedMixin, Model):
    """Export column → question code (or a response field), saved per survey and reused."""

    __tablename__ = "survey_mapping"
    __record_url__ = RecordUrl("surveys.detail", survey_id="survey_id")
    __audit_label__ = _l("Correspondencia de columnas")
    __audit_fields__ = {"survey_id": _l("Encuesta"), "columns": _l("Columnas")}

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="RESTRICT"),
                                           unique=True)
    #: {normalised column header: target}; target "" means "ignore this column".
    columns: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc,
                                                 onupdate=now_utc)


class ImportBatch(Recorded, Model):
    """One import of one file. Written once, when the import ends, with one audit event."""

    __tablename__ = "survey_import_batch"
    __record_url__ = RecordUrl("surveys.wave", wave_id="wave_id")
    __audit_label__ = _l("Importación de respuestas")
    __audit_title__ = "file_name"
    __audit_actions__ = {
        "import": _l("Respuestas importadas"),
        "import_rejected": _l("Importación rechazada"),
    }
    #: The keys of the import summary written as the event's note.
    __audit_note_fields__ = {
        "file": _l("Archivo"), "sha256": _l("Huella SHA-256"), "format": _l("Formato"),
        "rows_read": _l("Filas leídas"), "imported": _l("Importadas"),
        "duplicates": _l("Duplicadas"), "invalid": _l("No válidas"),
        "rejected_in_source": _l("Rechazadas en el origen"),
        "skip_invalid": _l("Omitir las filas no válidas"), "problems": _l("Problemas"),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_wave.id", ondelete="RESTRICT"),
                                         index=True)
    status: Mapped[BatchStatus] = mapped_column(enum_column(BatchStatus, "import_batch_status"),
                                                nullable=False)
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    file_sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    file_size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    #: csv / xlsx and what was detected ("csv utf-8-sig ;").
    file_format: Mapped[str] = mapped_column(String(60), nullable=False)
    skip_invalid: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    rows_read: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rows_imported: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rows_duplicate: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rows_invalid: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: Submissions marked "not approved"/"rejected" in Kobo or ODK: left out on purpose.
    rows_rejected: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: The first problems found ([{row, column, reason}]), capped; counts are exact.
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    #: When it ended; while importing, the last published chunk (a heartbeat: a batch
    #: whose heartbeat stopped was interrupted and is undone).
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))

    wave: Mapped[Wave] = relationship()
    actor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ImportBatch #{self.id} {self.status.value} {self.rows_imported} rows>"


class Response(Model):
    """One submission. No names, no raw beneficiary ID: only a keyed hash of it."""

    __tablename__ = "survey_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_wave.id", ondelete="RESTRICT"),
                                         index=True)
    #: Not indexed on purpose: every index costs import time at 200,000 rows per file.
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_import_batch.id", ondelete="RESTRICT"))
    #: Kobo ``_uuid`` / ODK ``KEY`` without "uuid:": re-imports and webhook retries dedupe on it.
    submission_uuid: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    #: HMAC-SHA256(QMS_PSEUDONYM_KEY, beneficiary ID), hex; NULL when the export has no ID.
    #: (Add an index when a feature follows households across waves.)
    beneficiary_key: Mapped[str | None] = mapped_column(String(64))
    department_code: Mapped[str] = mapped_column(String(2), nullable=False)
    municipality_code: Mapped[str | None] = mapped_column(String(4))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "response_channel"),
                                             nullable=False)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    #: {question code: value}: int for Likert/yes-no (1/0), str, list of str, float, "ns".
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)


class Aggregate(Model):
    """Running sums per wave × question × department × municipality, kept at import time."""

    __tablename__ = "survey_aggregate"

    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_wave.id", ondelete="RESTRICT"),
                                         primary_key=True)
    question_code: Mapped[str] = mapped_column(String(60), primary_key=True)
    department_code: Mapped[str] = mapped_column(String(2), primary_key=True)
    #: "" when the response had no municipality.
    municipality_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total: Mapped[float] = mapped_column(Float, nullable=False, default=0)
    total_sq: Mapped[float] = mapped_column(Float, nullable=False, default=0)
    #: Answers of 4 or 5 (Likert), the "satisfied" count.
    top2: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    bottom2: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class AnswerCount(Model):
    """How many answered each value (Likert 1–5, "ns", a choice code, 1/0 for yes/no)."""

    __tablename__ = "survey_answer_count"

    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_wave.id", ondelete="RESTRICT"),
                                         primary_key=True)
    question_code: Mapped[str] = mapped_column(String(60), primary_key=True)
    department_code: Mapped[str] = mapped_column(String(2), primary_key=True)
    municipality_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    value: Mapped[str] = mapped_column(String(60), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

