"""Demo processes: the programme's own, as a quality officer would register them."""

from __future__ import annotations

from sqlalchemy import select

from qms.auth.models import User
from qms.core.cli import seed_step
from qms.extensions import db
from qms.processes.models import ProcessCategory
from qms.processes.services import create_process

DEMO_PROCESSES = [
    ("DIR", "Direccionamiento estratégico", ProcessCategory.STRATEGIC, "direccion",
     "Define la política de calidad, los objetivos y la planificación anual del programa; "
     "conduce la revisión por la dirección."),
    ("SGC", "Gestión del sistema de calidad", ProcessCategory.STRATEGIC, "calidad",
     "Control de la información documentada, no conformidades y acciones correctivas, "
     "auditorías internas y medición de la satisfacción de los participantes."),
    ("REG", "Registro y focalización de hogares participantes", ProcessCategory.OPERATIONAL,
     "duenio", "Entradas: solicitudes y fichas socioeconómicas. Salidas: padrón de hogares "
     "elegibles validado."),
    ("COR", "Verificación de corresponsabilidades", ProcessCategory.OPERATIONAL, "duenia2",
     "Verifica la asistencia escolar y los controles de salud de los hogares con las "
     "Secretarías de Educación y de Salud."),
    ("PAG", "Entrega del bono (pago a participantes)", ProcessCategory.OPERATIONAL, "duenio",
     "Elaboración y aprobación de la planilla, transferencia a bancos y billeteras móviles, "
     "conciliación de pagos."),
    ("QUE", "Atención de quejas, reclamos y sugerencias", ProcessCategory.OPERATIONAL, "duenia2",
     "Recepción, registro, análisis y respuesta a las quejas de la ciudadanía."),
    ("TIC", "Gestión de tecnologías de la información", ProcessCategory.SUPPORT, "duenio",
     "Sistemas de información del programa, respaldos y seguridad de los datos personales."),
    ("RH", "Gestión del talento humano", ProcessCategory.SUPPORT, "direccion",
     "Competencia, formación y toma de conciencia del personal [7.2, 7.3]."),
]


@seed_step(20, "processes")
def seed_processes() -> str:
    users = {u.username: u for u in db.session.scalars(select(User))}
    for code, name, category, owner, description in DEMO_PROCESSES:
        create_process(code=code, name=name, category=category, owner=users[owner],
                       description=description)
    return f"{len(DEMO_PROCESSES)} demo processes."
