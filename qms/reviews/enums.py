"""States and kinds of management reviews, decisions and their actions [ISO 9001:2015 9.3]."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from qms.core.enums import LabelledEnum


class ReviewStatus(LabelledEnum):
    PLANNED = "planned", _l("Planificada")
    HELD = "held", _l("Realizada")
    MINUTES_APPROVED = "minutes_approved", _l("Acta aprobada")
    CANCELLED = "cancelled", _l("Anulada")


class DecisionKind(LabelledEnum):
    """The three kinds of output of 9.3.3."""

    IMPROVEMENT = "improvement", _l("Oportunidad de mejora")
    SGC_CHANGE = "sgc_change", _l("Cambio en el SGC")
    RESOURCES = "resources", _l("Necesidad de recursos")


class ReviewActionStatus(LabelledEnum):
    PLANNED = "planned", _l("Planificada")
    IN_PROGRESS = "in_progress", _l("En ejecución")
    DONE = "done", _l("Realizada")
