"""KPIs computed from the SGC's own records: a registry of named functions.

Each computation reads other domains' ``facts`` modules only, takes the period it covers
and its parameters, and returns the value (or None when the period has no data, e.g. no
NC was closed). The key and parameters are stored with every computed value, so the
value can be recomputed later and the two compared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from qms.objectives.periods import Period


@dataclass(frozen=True)
class Parameter:
    name: str
    label: Any
    kind: type  # int or str
    default: Any
    #: Text shown under the field: what the parameter means.
    help: Any = ""


@dataclass(frozen=True)
class Computation:
    key: str
    label: Any
    unit: str
    #: What the figure counts, in one sentence for the KPI page ("how it is computed").
    description: Any
    func: Callable[[Period, dict], float | None]
    parameters: tuple[Parameter, ...] = field(default_factory=tuple)

    def clean_params(self, given: dict | None) -> dict:
        """The parameters with defaults filled in; ValueError naming a bad one."""
        given = dict(given or {})
        unknown = set(given) - {p.name for p in self.parameters}
        if unknown:
            raise ValueError(", ".join(sorted(unknown)))
        cleaned = {}
        for p in self.parameters:
            raw = given.get(p.name, p.default)
            if p.kind is int:
                try:
                    value = int(raw)
                except (TypeError, ValueError):
                    raise ValueError(p.name) from None
                if not 0 < value <= 3650:
                    raise ValueError(p.name)
            else:
                value = str(raw or "").strip()
            cleaned[p.name] = value
        return cleaned


REGISTRY: dict[str, Computation] = {}


def register(key: str, label, unit: str, description, *parameters: Parameter):
    def decorator(func):
        REGISTRY[key] = Computation(key, label, unit, description, func, parameters)
        return func
    return decorator


def get(key: str | None) -> Computation | None:
    return REGISTRY.get(key or "")


def choices() -> list[tuple[str, str]]:
    return [(c.key, str(c.label)) for c in REGISTRY.values()]


def _share(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


_TARGET_DAYS = Parameter("target_days", _l("Plazo objetivo (días)"), int, 60,
                         _l("Días desde la detección dentro de los cuales debe cerrarse."))
_PROCESS = Parameter("process_code", _l("Código de proceso (vacío: todos)"), str, "")
_DEPARTMENT = Parameter("department_code", _l("Código de departamento (vacío: nacional)"), str,
                        "", _l("Dos cifras, p. ej. 08 (Francisco Morazán)."))


@register("nc_closed_on_time", _l("% de no conformidades cerradas a tiempo"), "%",
          _l("De las no conformidades cerradas en el periodo, porcentaje cerradas dentro del "
             "plazo objetivo contado desde su detección."), _TARGET_DAYS, _PROCESS)
def nc_closed_on_time(period: Period, params: dict) -> float | None:
    from qms.nonconformities import facts

    figures = facts.nc_closure_figures(period.start, period.end, params["target_days"],
                                       [params["process_code"]] if params["process_code"]
                                       else None)
    return _share(figures.closed_on_time, figures.closed)


@register("nc_median_days_to_close", _l("Mediana de días para cerrar una no conformidad"),
          "días", _l("Mediana de los días entre la detección y el cierre de las no "
                     "conformidades cerradas en el periodo."), _PROCESS)
def nc_median_days_to_close(period: Period, params: dict) -> float | None:
    from qms.nonconformities import facts

    return facts.nc_closure_figures(period.start, period.end, 1, [params["process_code"]]
                                    if params["process_code"] else None).median_days


@register("actions_overdue", _l("% de acciones correctivas vencidas"), "%",
          _l("Al cierre del periodo, porcentaje de las acciones correctivas pendientes cuya "
             "fecha límite ya había pasado."))
def actions_overdue(period: Period, params: dict) -> float | None:
    from qms.nonconformities import facts

    figures = facts.corrective_actions_overdue_on(period.end)
    return _share(figures.overdue, figures.pending)


@register("satisfaction_index", _l("Índice de satisfacción de la última ronda"), "puntos",
          _l("Índice de satisfacción (0–100) de la última ronda de encuesta terminada en el "
             "periodo o antes, nacional o de un departamento."), _DEPARTMENT)
def satisfaction_index(period: Period, params: dict) -> float | None:
    from qms.surveys import facts

    for fact in facts.latest_wave_satisfaction(period.end):
        if fact.department_code == params["department_code"] and fact.index is not None:
            return round(fact.index, 1)
    return None


@register("documents_reviewed_on_time", _l("% de documentos con la revisión al día"), "%",
          _l("Al cierre del periodo, porcentaje de los documentos vigentes cuya revisión "
             "periódica no estaba vencida."))
def documents_reviewed_on_time(period: Period, params: dict) -> float | None:
    from qms.documents import facts

    figures = facts.document_review_timeliness(period.end)
    return _share(figures.in_force - figures.overdue, figures.in_force)


@register("audit_programme_completion", _l("% de cumplimiento del programa de auditorías"), "%",
          _l("De las auditorías planificadas para terminar en el periodo (sin las anuladas), "
             "porcentaje ya informadas o cerradas."))
def audit_programme_completion(period: Period, params: dict) -> float | None:
    from qms.audits import facts

    figures = facts.audit_programme_completion(period.start, period.end)
    return _share(figures.completed, figures.planned)


@register("complaints_answered_in_time", _l("% de quejas respondidas en plazo"), "%",
          _l("De las quejas recibidas en el periodo, porcentaje con respuesta pública dentro "
             "del plazo objetivo."),
          Parameter("target_days", _l("Plazo objetivo (días)"), int, 10,
                    _l("Días desde la recepción dentro de los cuales debe responderse.")))
def complaints_answered_in_time(period: Period, params: dict) -> float | None:
    from qms.complaints import facts

    figures = facts.complaints_answered_within(period.start, period.end, params["target_days"])
    return _share(figures.answered_in_time, figures.received)


@register("payment_execution_rate", _l("% de ejecución de pagos del bono"), "%",
          _l("Hogares pagados sobre hogares programados en los periodos de pago del periodo."))
def payment_execution_rate(period: Period, params: dict) -> float | None:
    from qms.payments import facts

    figures = facts.payment_execution(period.start.strftime("%Y-%m"),
                                      period.end.strftime("%Y-%m"))
    return _share(figures.paid, figures.scheduled)
