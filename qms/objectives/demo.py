"""Demo objectives: the programme's quality objectives with a year of KPI values, some
entered by their process owners, others computed from the SGC's own records."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from qms.auth.models import User
from qms.core.cli import seed_step
from qms.core.time import today_local
from qms.extensions import db
from qms.objectives import services
from qms.objectives.enums import Frequency
from qms.objectives.periods import latest_complete_period, periods_between
from qms.processes.models import Process

PLAN = {
    "plan_resources": "Personal del proceso; sistema de información del programa.",
    "plan_evaluation": "Revisión del indicador en el comité de calidad y en la revisión por la "
                       "dirección.",
}
#: (code, name, process, owner, unit, direction, target, frequency, computation, params,
#:  what, who) — computation None: values entered by hand (mean, spread for the demo).
OBJECTIVES = [
    ("OBJ-PAG-01", "Planillas de pago aprobadas en fecha", "PAG", "duenio", "%", ">=", 95,
     "monthly", None, (96.0, 2.5), "Cerrar la planilla cinco días hábiles antes del pago.",
     "Jefatura de pagos"),
    ("OBJ-PAG-02", "Ejecución de pagos del bono", "PAG", "duenio", "%", ">=", 97, "monthly",
     "payment_execution_rate", {}, "Conciliar a diario con bancos y billeteras; reprogramar "
     "los pagos no cobrados.", "Jefatura de pagos"),
    ("OBJ-TIC-01", "Disponibilidad del sistema de pagos", "TIC", "duenio", "%", ">=", 99.5,
     "monthly", None, (99.6, 0.3), "Servidor de respaldo y monitoreo de la plataforma.",
     "Coordinación de TIC"),
    ("OBJ-SGC-01", "No conformidades cerradas en 60 días", "SGC", "calidad", "%", ">=", 80,
     "quarterly", "nc_closed_on_time", {"target_days": 60}, "Seguimiento quincenal de las NC "
     "abiertas en el comité de calidad.", "Responsable de calidad"),
    ("OBJ-SGC-02", "Días para cerrar una no conformidad (mediana)", "SGC", "calidad", "días",
     "<=", 45, "quarterly", "nc_median_days_to_close", {}, "Analizar la causa raíz en la "
     "primera semana.", "Responsable de calidad"),
    ("OBJ-SGC-03", "Acciones correctivas vencidas", "SGC", "calidad", "%", "<=", 10, "monthly",
     "actions_overdue", {}, "Recordatorios automáticos a los responsables.",
     "Responsable de calidad"),
    ("OBJ-SGC-04", "Documentos con la revisión al día", "SGC", "calidad", "%", ">=", 90,
     "quarterly", "documents_reviewed_on_time", {}, "Plan anual de revisión documental.",
     "Responsable de calidad"),
    ("OBJ-DIR-01", "Satisfacción de los participantes (índice nacional)", "DIR", "direccion",
     "puntos", ">=", 75, "semiannual", "satisfaction_index", {}, "Mejorar la atención en las "
     "jornadas de pago.", "Alta dirección"),
    ("OBJ-QUE-01", "Quejas respondidas en 10 días", "QUE", "duenia2", "%", ">=", 90, "monthly",
     "complaints_answered_in_time", {"target_days": 10}, "Respuesta pública en el portal "
     "dentro del plazo.", "Coordinación de atención ciudadana"),
    ("OBJ-RH-01", "Personal formado en el SGC", "RH", "direccion", "%", ">=", 85, "quarterly",
     None, (84.0, 6.0), "Curso virtual de ISO 9001 para el personal nuevo.",
     "Gestión del talento humano"),
]


@seed_step(70, "objectives")
def seed_objectives() -> str:
    users = {u.username: u for u in db.session.scalars(select(User))}
    processes = {p.code: p for p in db.session.scalars(select(Process))}
    rng = random.Random(62)  # noqa: S311 - demo data, not security
    today = today_local()
    entered = computed = 0
    for (code, name, process, owner, unit, direction, target, frequency, computation, extra,
         what, who) in OBJECTIVES:
        objective = services.create_objective(
            code=code, frequency=frequency, name=name, process=processes.get(process),
            owner=users[owner], unit=unit, direction=direction, target=target,
            method="computed" if computation else "manual", computation=computation,
            computation_params=extra if computation else {}, plan_what=what, plan_who=who,
            plan_due_on=date(today.year, 12, 31), **PLAN)
        if computation:
            computed += len(services.compute_missing(
                objective, since=today - timedelta(days=365), today=today, actor=None))
            continue
        mean, spread = extra
        last = latest_complete_period(today, Frequency(frequency))
        for period in periods_between(today - timedelta(days=365), last.end, Frequency(frequency)):
            value = round(min(100.0, rng.gauss(mean, spread)), 1)
            services.record_value(objective, period=period.label, value=value,
                                  actor=users[owner], note="")
            entered += 1
    return f"{len(OBJECTIVES)} demo objectives ({entered} values entered, {computed} computed)."
