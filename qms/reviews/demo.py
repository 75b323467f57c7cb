"""Demo management reviews: last year's, held with approved minutes and actions, and
this year's, planned and ready to compile."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from qms.auth.demo import demo_password
from qms.auth.models import User
from qms.core import audit as trail
from qms.core.cli import seed_step
from qms.core.time import today_local
from qms.extensions import db
from qms.reviews import minutes, services
from qms.reviews.enums import DecisionKind, ReviewActionStatus


@seed_step(80, "management reviews")
def seed_reviews() -> str:
    users = {u.username: u for u in db.session.scalars(select(User))}
    calidad, direccion = users["calidad"], users["direccion"]
    today = today_local()
    last_start = today.replace(month=1, day=1) - timedelta(days=365)
    last_start = last_start.replace(month=1, day=1)
    last_end = last_start.replace(month=12, day=31)
    held_on = min(last_end + timedelta(days=20), today - timedelta(days=60))
    attendees = [users[n] for n in ("direccion", "calidad", "duenio", "duenia2") if n in users]
    with trail.acting_as(calidad):
        held = services.create_review(
            title=f"Revisión anual del SGC {last_start.year}", planned_on=held_on,
            period_start=last_start, period_end=last_end, location="Sala de juntas, SEDIS",
            attendees=attendees, actor=calidad,
            external_attendees="Lic. Marta Zelaya — enlace, Secretaría de Finanzas")
        held.attendees[0].role_text = "Director del programa"
        services.update_review(
            held, expected_version=held.version, title=held.title, planned_on=held_on,
            period_start=last_start, period_end=last_end, location=held.location,
            attendees=attendees, external_attendees=held.external_attendees, entered={
                "issues_changes": "Reforma del reglamento del bono (Acuerdo Ejecutivo); recorte "
                                  "presupuestario del 8 %; temporada de lluvias que aisló "
                                  "comunidades de Gracias a Dios: el cambio climático es una "
                                  "cuestión pertinente para la entrega del bono.",
                "satisfaction_notes": "La satisfacción bajó en los departamentos con pago por "
                                      "billetera móvil; se relaciona con la cobertura de red.",
                "providers_notes": "El banco pagador cumplió los plazos; la billetera móvil "
                                   "tuvo dos incidentes de conciliación.",
                "resources_adequacy": "Faltan dos técnicos de campo en la región occidental; "
                                      "el presupuesto de formación se ejecutó al 60 %.",
                "risks_actions": "De 12 acciones de la matriz de riesgos, 9 eficaces; el riesgo "
                                 "de suplantación en el pago sigue alto.",
                "improvement_notes": "Digitalizar la ficha de verificación de "
                                     "corresponsabilidades.",
            })
        services.hold_review(held, expected_version=held.version, held_on=held_on,
                             actor=calidad)
        services.update_conclusions(
            held, expected_version=held.version,
            conclusions="El SGC es conveniente y adecuado; su eficacia debe mejorar en la "
                        "atención de quejas y en el pago por billetera móvil.")
        owner = users.get("duenio", calidad)
        done = services.add_decision(
            held, kind=DecisionKind.IMPROVEMENT, actor=calidad,
            text="Digitalizar la ficha de verificación de corresponsabilidades.",
            action_description="Piloto en dos municipios de Lempira.", owner=owner,
            due_on=held_on + timedelta(days=45))
        services.add_decision(
            held, kind=DecisionKind.RESOURCES, actor=calidad,
            text="Contratar dos técnicos de campo para la región occidental.",
            action_description="Solicitud a Talento Humano y Finanzas.", owner=direccion,
            due_on=held_on + timedelta(days=30))
        services.add_decision(
            held, kind=DecisionKind.SGC_CHANGE, actor=calidad,
            text="Incluir el pago por billetera móvil en el alcance de la auditoría interna.")
    with trail.acting_as(direccion):
        minutes.approve_minutes(held, expected_version=held.version, actor=direccion,
                                password=demo_password())
    with trail.acting_as(owner):
        services.update_action(done, expected_version=done.version,
                               status=ReviewActionStatus.DONE, actor=owner,
                               evidence="Piloto realizado; informe PR-COR-03 anexo.")
    with trail.acting_as(calidad):
        services.create_review(
            title=f"Revisión anual del SGC {today.year}", planned_on=today + timedelta(days=14),
            period_start=last_end + timedelta(days=1), period_end=today,
            location="Sala de juntas, SEDIS", attendees=attendees, actor=calidad)
    return "2 demo management reviews (one with approved minutes)."
