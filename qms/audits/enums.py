"""The states and kinds of audits, members, checklist answers and findings, each with its
label [ISO 9001:2015 9.2; ISO 19011]."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from qms.core.enums import LabelledEnum


class AuditType(LabelledEnum):
    INTERNAL_PROCESS = "internal_process", _l("Interna de proceso")
    INTERNAL_CLAUSE = "internal_clause", _l("Interna por cláusulas")
    FOLLOW_UP = "follow_up", _l("De seguimiento")
    EXTERNAL_STAGE1 = "external_stage1", _l("Externa: certificación etapa 1")
    EXTERNAL_STAGE2 = "external_stage2", _l("Externa: certificación etapa 2")
    EXTERNAL_SURVEILLANCE = "external_surveillance", _l("Externa: seguimiento (vigilancia)")
    EXTERNAL_RECERTIFICATION = "external_recertification", _l("Externa: recertificación")

    @property
    def is_external(self) -> bool:
        return self.value.startswith("external")


class AuditStatus(LabelledEnum):
    PLANNED = "planned", _l("Planificada")
    IN_PROGRESS = "in_progress", _l("En ejecución")
    REPORTED = "reported", _l("Informada")
    CLOSED = "closed", _l("Cerrada")
    CANCELLED = "cancelled", _l("Anulada")


#: States in which the audit's plan, team, checklist and findings may still change.
EDITABLE_STATUSES = frozenset({AuditStatus.PLANNED, AuditStatus.IN_PROGRESS})


class MemberRole(LabelledEnum):
    LEAD = "lead", _l("Auditor líder")
    AUDITOR = "auditor", _l("Auditor")
    EXPERT = "expert", _l("Experto técnico")
    OBSERVER = "observer", _l("Observador")
    AUDITEE = "auditee", _l("Auditado")

    @property
    def audits(self) -> bool:
        """Whether this member audits (and so must be independent of the processes)."""
        return self in (MemberRole.LEAD, MemberRole.AUDITOR)


class ItemResult(LabelledEnum):
    CONFORM = "conform", _l("Conforme")
    NONCONFORM = "nonconform", _l("No conforme")
    OBSERVATION = "observation", _l("Observación")
    NOT_APPLICABLE = "not_applicable", _l("No aplica")


class FindingType(LabelledEnum):
    MAJOR_NC = "major_nc", _l("No conformidad mayor")
    MINOR_NC = "minor_nc", _l("No conformidad menor")
    OBSERVATION = "observation", _l("Observación")
    OPPORTUNITY = "opportunity", _l("Oportunidad de mejora")

    @property
    def is_nc(self) -> bool:
        return self in (FindingType.MAJOR_NC, FindingType.MINOR_NC)


class AnswerSource(LabelledEnum):
    WEB = "web", _l("En línea")
    OFFLINE = "offline", _l("Formulario sin conexión (KoboCollect / ODK)")
