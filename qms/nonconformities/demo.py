"""Demo nonconformities of the bond programme, in every state of the workflow.

Each step runs on a frozen clock in the past, so the timelines read like a real case
(reported, contained, analysed, acted on, verified… over weeks).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from qms.auth.demo import demo_password
from qms.auth.models import User
from qms.core import audit
from qms.core.cli import seed_step
from qms.core.db import frozen_clock
from qms.core.time import local_zone, today_local
from qms.extensions import db
from qms.nonconformities import services as nc
from qms.nonconformities.enums import ActionStatus, NCSeverity, NCSource
from qms.processes.models import Process


class Story:
    """Replays one NC's life: ``at(day)`` moves the clock, each call acts as a user."""

    def __init__(self, users: dict[str, User], start_days_ago: int) -> None:
        self.users = users
        self.start = today_local() - timedelta(days=start_days_ago)
        self.nc = None

    @contextlib.contextmanager
    def at(self, day: int, username: str, hour: int = 10):
        moment = datetime.combine(self.start + timedelta(days=day), time(hour, 15),
                                  tzinfo=local_zone()).astimezone(UTC)
        with frozen_clock(moment), audit.acting_as(self.users[username]):
            yield
            db.session.flush()

    def day(self, day: int):
        return self.start + timedelta(days=day)

    def report(self, username: str, **fields):
        with self.at(0, username):
            self.nc = nc.report_nonconformity(detected_on=self.start, **fields)
        return self.nc

    def contain(self, day: int, username: str, text: str):
        with self.at(day, username):
            nc.record_correction(self.nc, expected_version=self.nc.version, correction=text,
                                 correction_on=self.day(day))
            nc.start_analysis(self.nc, expected_version=self.nc.version)

    def analyse(self, day: int, username: str, whys, root_cause, ishikawa=None, submit=True):
        with self.at(day, username):
            nc.save_analysis(self.nc, expected_version=self.nc.version, whys=whys,
                             ishikawa=ishikawa or {}, root_cause=root_cause)
            if submit:
                nc.submit_analysis(self.nc, expected_version=self.nc.version)

    def act(self, day: int, username: str, actions, implement=True):
        with self.at(day, username):
            for description, owner, due in actions:
                nc.add_action(self.nc, expected_version=self.nc.version, description=description,
                              owner=self.users[owner], due_on=self.day(due))
            if implement:
                nc.start_implementation(self.nc, expected_version=self.nc.version)

    def complete(self, day: int, action_index: int, evidence: str, finish=True):
        action = self.nc.actions[action_index]
        with self.at(day, action.owner.username):
            nc.update_action(action, expected_version=action.version,
                             status=ActionStatus.IN_PROGRESS, actor=action.owner)
            if finish:
                nc.update_action(action, expected_version=action.version,
                                 status=ActionStatus.DONE, evidence=evidence, actor=action.owner)

    def to_verification(self, day: int, username: str, planned: int, verifier: str):
        with self.at(day, username):
            nc.send_to_verification(self.nc, expected_version=self.nc.version,
                                    planned_on=self.day(planned), verifier=self.users[verifier])

    def verify(self, day: int, username: str, result: str, evidence: str):
        with self.at(day, username):
            nc.record_verification(self.nc, expected_version=self.nc.version, result=result,
                                   evidence=evidence, actor=self.users[username])

    def close(self, day: int, username: str):
        with self.at(day, username, hour=16):
            nc.close_nonconformity(self.nc, expected_version=self.nc.version,
                                   actor=self.users[username], password=demo_password())


def _closed_wrong_beneficiary(users, procs) -> None:
    s = Story(users, 75)
    s.report("calidad", title="Pago del bono acreditado a un beneficiario distinto del titular",
             description="En la conciliación del pago de marzo se detectó que el bono de un hogar "
             "de Choluteca se acreditó en la billetera móvil de otra persona con el mismo "
             "nombre. El titular presentó reclamo en la oficina departamental.",
             source=NCSource.PROCESS_MONITORING, process=procs["PAG"],
             severity=NCSeverity.MAJOR, detected_by=users["duenio"], department_code="06",
             municipality_code="0601")
    s.contain(1, "duenio", "Se bloqueó la billetera receptora, se solicitó la reversión al "
              "banco pagador y se programó el pago al titular en la planilla complementaria.")
    s.analyse(4, "calidad", [
        "El pago se dirigió a la billetera de otra persona.",
        "La planilla asoció la billetera por nombre y no por número de identidad.",
        "El cruce con el registro de billeteras usa el nombre como llave.",
        "El procedimiento de elaboración de planilla no exige validar la identidad.",
        "No se revisó el procedimiento cuando se incorporaron las billeteras móviles."],
        "El cruce de la planilla con el registro de billeteras móviles usa el nombre como llave "
        "en lugar del número de identidad.",
        {"method": ["Cruce por nombre", "Sin doble validación"],
         "machine": ["El sistema permite nombres duplicados"]})
    s.act(6, "calidad", [
        ("Modificar el cruce de planilla para usar el número de identidad como llave única.",
         "duenio", 30),
        ("Actualizar el procedimiento de elaboración de planilla y capacitar al personal.",
         "duenio", 40)])
    s.complete(25, 0, "Cambio desplegado en el sistema de planillas (ticket TIC-231), "
               "probado con la planilla de abril.")
    s.complete(38, 1, "Procedimiento PR-PAG-02 rev. 4 aprobado; 14 personas capacitadas "
               "(lista de asistencia adjunta en el expediente).")
    s.to_verification(39, "calidad", 60, "auditor")
    s.verify(60, "auditor", "effective", "Conciliación de las planillas de abril y mayo: "
             "0 pagos a billeteras de terceros en 48,210 transferencias.")
    s.close(61, "calidad")


def _reopened_late_payment_list(users, procs) -> None:
    s = Story(users, 90)
    s.report("auditor", title="Planilla de pago enviada al banco con 9 días de retraso",
             description="La planilla del segundo pago del año se remitió al banco pagador "
             "fuera del calendario aprobado; los hogares de Lempira recibieron el bono tarde.",
             source=NCSource.INTERNAL_AUDIT, process=procs["PAG"], severity=NCSeverity.MAJOR,
             detected_by=users["auditor"], department_code="13",
             # the 2026-01 audit predates the system: its label, no id pointing nowhere
             origin_type="audit_finding", origin_label="Auditoría interna 2026-01, hallazgo 2")
    s.contain(2, "duenio", "Se gestionó con el banco un pago extraordinario y se informó a las "
              "mancomunidades de Lempira la nueva fecha.")
    s.analyse(5, "duenio", [
        "La planilla se envió tarde.",
        "La validación de corresponsabilidades llegó tarde.",
        "La Secretaría de Educación entregó la asistencia escolar fuera de plazo."],
        "Entrega tardía de los datos de asistencia escolar por la Secretaría de Educación.")
    s.act(7, "duenio", [("Acordar con Educación una fecha fija de entrega de datos de "
                         "asistencia.", "duenio", 20)])
    s.complete(18, 0, "Acta de reunión con la Secretaría de Educación del 12 del mes.")
    s.to_verification(19, "calidad", 50, "auditor")
    s.verify(50, "auditor", "not_effective", "El siguiente pago también salió con 6 días de "
             "retraso: la fecha acordada se cumplió, pero la consolidación interna tomó 8 días.")
    s.analyse(55, "calidad", [
        "La planilla volvió a enviarse tarde.",
        "La consolidación interna de los datos tomó 8 días.",
        "Se consolida manualmente en hojas de cálculo.",
        "No hay una herramienta ni un plazo interno definido para la consolidación."],
        "", {"method": ["Sin plazo interno de consolidación"],
             "machine": ["Consolidación manual en hojas de cálculo"]}, submit=False)


def _complaint_not_answered(users, procs) -> None:
    s = Story(users, 40)
    s.report("calidad", title="Queja ciudadana respondida fuera del plazo de 10 días hábiles",
             description="La queja QR-2026-0412 sobre la suspensión del bono a un hogar de "
             "Intibucá se respondió a los 23 días hábiles.",
             source=NCSource.CITIZEN_COMPLAINT, process=procs["QUE"], severity=NCSeverity.MINOR,
             detected_by=users["calidad"], department_code="10", municipality_code="1001",
             # a complaint received by telephone, before the public portal: its label only
             origin_type="complaint", origin_label="Queja QR-2026-0412")
    s.contain(1, "duenia2", "Se respondió la queja y se revisaron las 37 quejas abiertas.")
    s.analyse(3, "duenia2", [
        "La respuesta salió a los 23 días.",
        "La queja quedó sin asignar en la bandeja departamental.",
        "No hay alerta de quejas sin asignar."], "Falta de asignación y de alertas de plazo "
        "en la bandeja de quejas departamental.")
    s.act(5, "duenia2", [
        ("Configurar alerta diaria de quejas sin asignar a las 48 horas.", "duenio", 20),
        ("Asignar un responsable suplente por departamento.", "duenia2", 60)])
    s.complete(12, 1, "", finish=False)


def _audit_finding_registration(users, procs) -> None:
    s = Story(users, 12)
    s.report("auditor", title="Fichas socioeconómicas aprobadas sin copia de identidad",
             description="En la muestra de 40 fichas de Olancho, 6 se aprobaron sin copia del "
             "documento de identidad del titular, contrario al procedimiento PR-REG-01.",
             source=NCSource.INTERNAL_AUDIT, process=procs["REG"], severity=NCSeverity.MINOR,
             detected_by=users["auditor"], department_code="15",
             origin_type="audit_finding", origin_label="Auditoría interna 2026-02, hallazgo 5")
    s.contain(1, "duenio", "Se solicitaron las copias faltantes a los 6 hogares.")
    s.analyse(4, "duenio", [
        "Las fichas se aprobaron sin documento.",
        "La lista de verificación no incluye la copia de identidad.",
        "La lista no se actualizó con la última revisión del procedimiento."],
        "La lista de verificación de fichas no se actualizó con el procedimiento vigente.")


def _external_audit_documents(users, procs) -> None:
    s = Story(users, 50)
    s.report("calidad", title="Documentos obsoletos disponibles en oficinas departamentales",
             description="El organismo de certificación encontró la revisión 2 del instructivo "
             "de pago en uso en la oficina de Yoro (vigente: revisión 3).",
             source=NCSource.EXTERNAL_AUDIT, process=procs["SGC"], severity=NCSeverity.MINOR,
             detected_by=users["calidad"], department_code="18", municipality_code="1801")
    s.contain(0, "calidad", "Se retiraron las copias impresas obsoletas de la oficina de Yoro.")
    s.analyse(2, "calidad", [
        "Había una copia obsoleta en uso.",
        "Las copias impresas no se controlan.",
        "La distribución de copias no queda registrada."],
        "Las copias impresas no están incluidas en el control de distribución.")
    s.act(3, "calidad", [("Incluir las copias impresas en la lista de distribución y "
                          "retirarlas al aprobar una nueva revisión.", "calidad", 25)])
    s.complete(20, 0, "Lista de distribución actualizada; verificación en 18 oficinas.")
    s.to_verification(21, "calidad", 55, "auditor")


def _cancelled_duplicate(users, procs) -> None:
    s = Story(users, 20)
    s.report("duenio", title="Respaldo nocturno de la base de beneficiarios no ejecutado",
             description="El respaldo del 3 de junio no se ejecutó.",
             source=NCSource.PROCESS_MONITORING, process=procs["TIC"],
             severity=NCSeverity.MINOR, detected_by=users["duenio"])
    with s.at(1, "calidad"):
        nc.cancel_nonconformity(s.nc, expected_version=s.nc.version,
                                reason="Duplicada: el mismo hecho se registró en otra no "
                                       "conformidad del proceso TIC.")


def _backup_in_analysis(users, procs) -> None:
    s = Story(users, 19)
    s.report("duenio", title="Respaldos de la base de beneficiarios sin prueba de restauración",
             description="Desde enero no se prueba la restauración de los respaldos de la base "
             "de datos de beneficiarios (requisito del procedimiento PR-TIC-03).",
             source=NCSource.PROCESS_MONITORING, process=procs["TIC"],
             severity=NCSeverity.MINOR, detected_by=users["duenio"])
    s.contain(2, "duenio", "Se ejecutó una restauración de prueba en el servidor de contingencia.")


@seed_step(40, "nonconformities")
def seed_nonconformities() -> str:
    users = {u.username: u for u in db.session.scalars(select(User))}
    procs = {p.code: p for p in db.session.scalars(select(Process))}
    for story in (_reopened_late_payment_list, _closed_wrong_beneficiary,
                  _external_audit_documents, _complaint_not_answered, _cancelled_duplicate,
                  _backup_in_analysis, _audit_finding_registration):
        # The NC from a low survey score is raised by the survey seed, from a real finding
        # of a real wave (it used to name a wave "2026-S1" that does not exist).
        story(users, procs)
    return f"{nc.count_open()} open demo nonconformities (and one closed, one cancelled)."
