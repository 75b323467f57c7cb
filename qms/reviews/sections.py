"""The inputs of a management review [ISO 9001:2015 9.3.2] and the labels of the figures
compiled for them.

The snapshot frozen when a review is held stores figures by key (``nc_opened``) and
record content as text; the labels here name the keys in the reader's language, so the
frozen minutes read the same in Spanish and English and never change with the records.
The section list mirrors ``qms/data/iso9001_management_review.yaml`` (a test checks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Section:
    id: str
    #: "9.3.2 c) 4)" as the standard numbers it.
    clause: str
    title: Any
    #: The column of ManagementReview a person writes for this input, if any.
    entered: str | None = None
    #: The entered text is required before the review can be held.
    entered_required: bool = False
    prompt: Any = None


SECTIONS: tuple[Section, ...] = (
    Section("a", "9.3.2 a)", _l("Estado de las acciones de revisiones por la dirección "
                                "anteriores")),
    Section("b", "9.3.2 b)", _l("Cambios en las cuestiones externas e internas pertinentes al "
                                "SGC"), "issues_changes", True,
            _l("Contexto del programa, partes interesadas, normativa, presupuesto; indique "
               "también si el cambio climático es una cuestión pertinente (Amd 1:2024).")),
    Section("c1", "9.3.2 c) 1)", _l("Satisfacción del cliente y retroalimentación de las "
                                    "partes interesadas pertinentes"), "satisfaction_notes",
            False, _l("Comentarios sobre los resultados de las encuestas y las quejas.")),
    Section("c2", "9.3.2 c) 2)", _l("Grado de logro de los objetivos de la calidad")),
    Section("c3", "9.3.2 c) 3)", _l("Desempeño de los procesos y conformidad de los productos "
                                    "y servicios")),
    Section("c4", "9.3.2 c) 4)", _l("No conformidades y acciones correctivas")),
    Section("c5", "9.3.2 c) 5)", _l("Resultados de seguimiento y medición")),
    Section("c6", "9.3.2 c) 6)", _l("Resultados de las auditorías")),
    Section("c7", "9.3.2 c) 7)", _l("Desempeño de los proveedores externos"), "providers_notes",
            False, _l("Bancos y billeteras pagadoras, Secretarías de Educación y Salud, "
                      "proveedores de sistemas: cumplimiento, incidentes, evaluación.")),
    Section("d", "9.3.2 d)", _l("Adecuación de los recursos"), "resources_adequacy", True,
            _l("Personal, presupuesto, infraestructura, sistemas de información.")),
    Section("e", "9.3.2 e)", _l("Eficacia de las acciones tomadas para abordar los riesgos y "
                                "las oportunidades"), "risks_actions", True,
            _l("Resultado de las acciones de la matriz de riesgos y oportunidades (6.1).")),
    Section("f", "9.3.2 f)", _l("Oportunidades de mejora"), "improvement_notes", False,
            _l("Sugerencias del personal y de la ciudadanía, ideas de mejora.")),
)
SECTION_BY_ID = {s.id: s for s in SECTIONS}
#: Heading of the c) group.
C_HEADING = _l("Información sobre el desempeño y la eficacia del SGC, incluidas las "
               "tendencias de:")

#: Figure and column keys of the snapshot → label.
LABELS: dict[str, Any] = {
    # a) previous actions
    "actions_total": _l("Acciones de revisiones anteriores"),
    "actions_done": _l("Realizadas"),
    "actions_open": _l("Pendientes"),
    "actions_overdue": _l("Vencidas"),
    "review": _l("Revisión"),
    "decision": _l("Decisión"),
    "owner": _l("Responsable"),
    "due": _l("Fecha límite"),
    "status": _l("Estado"),
    # c1) satisfaction and complaints
    "waves": _l("Rondas de encuesta en el periodo"),
    "wave": _l("Ronda"),
    "responses": _l("Respuestas"),
    "index": _l("Índice de satisfacción (0–100)"),
    "moe": _l("Margen de error (95 %)"),
    "lowest_departments": _l("Departamentos con menor índice"),
    "department": _l("Departamento"),
    "complaints_received": _l("Quejas recibidas"),
    "complaints_answered": _l("Quejas respondidas"),
    "complaints_open": _l("Quejas sin respuesta al compilar"),
    "complaints_days": _l("Días medios hasta la respuesta"),
    "complaints_nc": _l("Quejas que originaron una no conformidad"),
    "category": _l("Categoría"),
    "complaints": _l("Quejas"),
    # c2) objectives
    "objectives_total": _l("Objetivos de la calidad"),
    "objectives_met": _l("Cumplidos"),
    "objectives_not_met": _l("No cumplidos"),
    "objectives_no_data": _l("Sin medición en el periodo"),
    "objective": _l("Objetivo"),
    "process": _l("Proceso"),
    "target": _l("Meta"),
    "latest": _l("Último valor"),
    "period": _l("Periodo"),
    "met": _l("¿Cumplido?"),
    "objectives_unavailable": _l("El registro de objetivos de la calidad aún no está "
                                 "disponible."),
    # c3) processes
    "processes": _l("Procesos vigentes"),
    "ncs_opened": _l("No conformidades del periodo"),
    "ncs_major": _l("Mayores"),
    "ncs_open_now": _l("Abiertas al compilar"),
    "ncs_from_complaints": _l("Por quejas"),
    "objectives_ratio": _l("Objetivos cumplidos"),
    "payment_rate": _l("Ejecución del pago del bono (hogares pagados / programados)"),
    # c4) NCs and corrective actions
    "nc_opened": _l("No conformidades detectadas en el periodo"),
    "nc_major": _l("De ellas, mayores"),
    "nc_closed": _l("Cerradas en el periodo"),
    "nc_cancelled": _l("Anuladas"),
    "nc_open_at_end": _l("Abiertas al final del periodo"),
    "nc_median_days": _l("Mediana de días hasta el cierre"),
    "ca_due": _l("Acciones correctivas con vencimiento en el periodo"),
    "ca_done": _l("De ellas, realizadas"),
    "ca_overdue": _l("Acciones correctivas vencidas al compilar"),
    "ver_effective": _l("Verificaciones de eficacia: eficaces"),
    "ver_not_effective": _l("Verificaciones de eficacia: no eficaces"),
    "source": _l("Fuente"),
    "count": _l("Cantidad"),
    # c5) monitoring and measurement
    "kpi_values": _l("Mediciones de indicadores en el periodo"),
    "kpi_measured": _l("Objetivos con medición en el periodo"),
    "survey_responses": _l("Respuestas de encuestas de satisfacción"),
    "payment_periods": _l("Periodos de pago informados"),
    "documents_review_due": _l("Documentos con revisión periódica vencida al final del "
                               "periodo"),
    # c6) audits
    "audits_total": _l("Auditorías del periodo"),
    "audits_internal": _l("Internas"),
    "audits_external": _l("Externas"),
    "audits_reported": _l("Con informe"),
    "findings_major": _l("Hallazgos: no conformidades mayores"),
    "findings_minor": _l("Hallazgos: no conformidades menores"),
    "findings_obs": _l("Hallazgos: observaciones"),
    "findings_ofi": _l("Hallazgos: oportunidades de mejora"),
    "audit": _l("Auditoría"),
    "type": _l("Tipo"),
    "findings": _l("Hallazgos (mayor / menor / obs. / mejora)"),
    # c7) providers
    "channels": _l("Bancos y billeteras pagadoras"),
    "channel": _l("Canal de pago"),
    "periods": _l("Periodos"),
    "scheduled": _l("Hogares programados"),
    "paid": _l("Hogares pagados"),
    "rate": _l("Ejecución (%)"),
    "amount": _l("Monto pagado (L)"),
    # f) improvement
    "ofis": _l("Oportunidades de mejora y observaciones de auditorías"),
    "finding": _l("Hallazgo"),
    "description": _l("Descripción"),
    "suggestions": _l("Quejas «Otro asunto» (sugerencias y otros)"),
}


def label(key: str) -> str:
    """The label of a snapshot key; an unknown key (a later format) shows as itself."""
    found = LABELS.get(key)
    return str(found) if found is not None else key
