"""The states and kinds of nonconformities and corrective actions, with their labels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from qms.core.enums import LabelledEnum


class NCSource(LabelledEnum):
    INTERNAL_AUDIT = "internal_audit", _l("Auditoría interna")
    EXTERNAL_AUDIT = "external_audit", _l("Auditoría externa")
    CITIZEN_COMPLAINT = "citizen_complaint", _l("Queja ciudadana")
    SATISFACTION_SURVEY = "satisfaction_survey", _l("Encuesta de satisfacción")
    PROCESS_MONITORING = "process_monitoring", _l("Seguimiento del proceso")
    MANAGEMENT_REVIEW = "management_review", _l("Revisión por la dirección")
    OTHER = "other", _l("Otra")


class NCSeverity(LabelledEnum):
    MAJOR = "major", _l("Mayor")
    MINOR = "minor", _l("Menor")


class NCStatus(LabelledEnum):
    REPORTED = "reported", _l("Reportada")
    ANALYSIS = "analysis", _l("Análisis de causas")
    ACTION_PLAN = "action_plan", _l("Plan de acción")
    IMPLEMENTATION = "implementation", _l("Implementación")
    VERIFICATION = "verification", _l("Verificación de eficacia")
    CLOSED = "closed", _l("Cerrada")
    CANCELLED = "cancelled", _l("Anulada")


OPEN_STATUSES = frozenset(NCStatus) - {NCStatus.CLOSED, NCStatus.CANCELLED}


class ActionStatus(LabelledEnum):
    PLANNED = "planned", _l("Planificada")
    IN_PROGRESS = "in_progress", _l("En ejecución")
    DONE = "done", _l("Realizada")


class VerificationResult(LabelledEnum):
    EFFECTIVE = "effective", _l("Eficaz")
    NOT_EFFECTIVE = "not_effective", _l("No eficaz")


class IshikawaCategory(LabelledEnum):
    """The 6M of the cause-and-effect (Ishikawa) diagram."""

    METHOD = "method", _l("Método")
    MANPOWER = "manpower", _l("Mano de obra")
    MACHINE = "machine", _l("Maquinaria y sistemas")
    MATERIAL = "material", _l("Materiales e insumos")
    MEASUREMENT = "measurement", _l("Medición")
    ENVIRONMENT = "environment", _l("Medio ambiente")


class NCOrigin(LabelledEnum):
    """The kind of record an NC is linked to (``origin_type``, a plain string column so
    that domains added later can link theirs)."""

    AUDIT_FINDING = "audit_finding", _l("Hallazgo de auditoría")
    SURVEY_WAVE = "survey_wave", _l("Ronda de encuesta")
    COMPLAINT = "complaint", _l("Queja ciudadana")
    MANAGEMENT_REVIEW = "management_review", _l("Revisión por la dirección")
