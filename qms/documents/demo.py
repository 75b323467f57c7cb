"""Demo documents: the synced procedures brought into force, forms and an external document.

The history is replayed with a frozen clock so that effective dates, signatures and the
audit trail tell a consistent story: procedures in force for a few months, one procedure
already in its second revision, an external document overdue for its periodic review,
a form revision waiting for approval and some reading confirmations.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from qms.auth.demo import demo_password
from qms.auth.models import Role, User
from qms.core import audit
from qms.core.cli import seed_step
from qms.core.db import frozen_clock
from qms.core.storage import store
from qms.core.time import local_zone, today_local
from qms.documents import lifecycle, reading, services
from qms.documents.models import Confidentiality, Document, DocumentType, RevisionStatus
from qms.documents.sync import sync_procedures
from qms.extensions import db
from qms.processes.models import Process

#: code → (days ago it took effect, submitter, approver)
PROCEDURE_HISTORY = {
    "POL-DIR-01": (170, "calidad", "direccion"),
    "PR-SGC-01": (160, "calidad", "direccion"),
    "PR-SGC-02": (450, "calidad", "direccion"),
    "PR-SGC-03": (150, "calidad", "direccion"),
    "PR-SGC-04": (140, "calidad", "direccion"),
    "PR-DIR-01": (130, "calidad", "direccion"),
    "PR-QUE-01": (120, "duenia2", "calidad"),
    "PR-PAG-01": (110, "duenio", "calidad"),
}

NC_FORM = """# Reporte de no conformidad

| Campo | Contenido |
|---|---|
| Código de la no conformidad | (lo asigna el sistema) |
| Fuente | Auditoría interna / externa / queja / encuesta / seguimiento / revisión por la dirección |
| Proceso | |
| Descripción (requisito incumplido y evidencia) | |
| Severidad | Mayor / Menor |
| Corrección inmediata | |
| Reportado por y fecha | |

Instrucciones: registre el reporte en la aplicación del SGC el mismo día; este formato sirve
para levantar la información en campo cuando no hay conexión (PR-SGC-02).
"""

PAYMENT_FORM = """# Acta de evento de pago

| Campo | Contenido |
|---|---|
| Ciclo de pago | |
| Departamento y municipio | |
| Lugar del evento | |
| Institución financiera | |
| Hogares convocados | |
| Hogares pagados | |
| Incidencias y quejas recibidas | |
| Firma del representante del programa | |
| Firma del representante de la institución financiera | |
"""

EXTERNAL_NOTE = """Documento de origen externo: **Manual Operativo del Programa Bono Vida Mejor**,
emitido por la Secretaría de Desarrollo e Inclusión Social (SEDIS).

- Fuente: SEDIS, Dirección del Programa.
- Uso: criterios de elegibilidad, montos, corresponsabilidades y ciclos de pago que aplican
  PR-PAG-01 y el proceso de registro y focalización.
- Control: el responsable de calidad verifica una vez al año con la Dirección del Programa que la
  edición registrada sea la vigente.
"""


def _moment(days_ago: int, hour: int = 10) -> datetime:
    day = today_local() - timedelta(days=days_ago)
    return datetime.combine(day, time(hour), tzinfo=local_zone()).astimezone(UTC)


def _bring_into_force(revision, submitter: User, approver: User, days_ago: int) -> None:
    with frozen_clock(_moment(days_ago + 3)), audit.acting_as(submitter):
        lifecycle.submit_for_review(revision, submitter)
    with frozen_clock(_moment(days_ago + 1, 15)), audit.acting_as(approver):
        lifecycle.approve(revision, approver, demo_password())
    publisher = _users()["calidad"]
    with frozen_clock(_moment(days_ago, 8)), audit.acting_as(publisher):
        lifecycle.make_effective(revision, publisher)


def _users() -> dict[str, User]:
    return {u.username: u for u in db.session.scalars(select(User))}


def _pdf(title: str) -> bytes:
    try:
        from weasyprint import HTML

        html = (f"<h1>{title}</h1><p>Secretaría de Desarrollo e Inclusión Social (SEDIS)</p>"
                "<p>Extracto de demostración del documento externo.</p>")
        return HTML(string=html).write_pdf()
    except Exception:
        return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
                b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
                b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
                b"trailer<</Root 1 0 R>>\n%%EOF\n")


def _process(code: str) -> Process | None:
    return db.session.scalar(select(Process).where(Process.code == code))


def _revise_nc_procedure(users: dict[str, User]) -> None:
    """PR-SGC-02 gets a second revision in the app: a superseded one to compare with."""
    document = db.session.scalar(select(Document).where(Document.code == "PR-SGC-02"))
    if document is None:
        return
    base = document.revisions[-1]
    content = base.content_md.replace(
        "(normalmente 3 meses)", "(normalmente 3 meses; 1 mes si la no conformidad es mayor)")
    with frozen_clock(_moment(95)), audit.acting_as(users["calidad"]):
        revision = lifecycle.new_revision(
            document, author=users["calidad"], content_md=content,
            change_summary="Plazo de verificación de eficacia para no conformidades mayores "
                           "(acuerdo de la revisión por la dirección)")
    _bring_into_force(revision, users["calidad"], users["direccion"], 90)


def _new(code, title, doc_type, process, owner, interval, body, author, file=None):
    with audit.acting_as(author):
        document = services.create_document(
            code=code, title=title, doc_type=doc_type, process=_process(process), owner=owner,
            confidentiality=Confidentiality.INTERNAL, review_interval_months=interval)
        services.set_distribution(document, roles=[Role.PROCESS_OWNER, Role.QUALITY_OFFICER])
        revision = lifecycle.new_revision(document, author=author, content_md=body,
                                         change_summary="Emisión inicial", file=file)
    return document, revision


@seed_step(30, "documents")
def seed_documents() -> str:
    users = _users()
    with audit.acting_as(audit.SYSTEM):  # as `qms init` would have: imported, not authored
        sync_procedures(author=None)
    documents = {d.code: d for d in db.session.scalars(select(Document))}
    for code, (days_ago, submitter, approver) in PROCEDURE_HISTORY.items():
        document = documents.get(code)
        if document is None or not document.revisions:
            continue
        revision = document.revisions[-1]
        if revision.status == RevisionStatus.DRAFT:
            _bring_into_force(revision, users[submitter], users[approver], days_ago)
    _revise_nc_procedure(users)

    with frozen_clock(_moment(430)):
        pdf = store(io.BytesIO(_pdf("Manual Operativo del Programa Bono Vida Mejor")),
                    "manual-operativo-bono-vida-mejor.pdf")
        _, manual = _new("DE-DIR-01", "Manual Operativo del Programa Bono Vida Mejor",
                         DocumentType.EXTERNAL, "DIR", users["calidad"], 12, EXTERNAL_NOTE,
                         users["calidad"], file=pdf)
    _bring_into_force(manual, users["calidad"], users["direccion"], 420)  # review overdue
    with frozen_clock(_moment(100)):
        _, nc_form = _new("FO-SGC-01", "Formato de reporte de no conformidad", DocumentType.FORM,
                          "SGC", users["calidad"], 24, NC_FORM, users["calidad"])
    _bring_into_force(nc_form, users["calidad"], users["direccion"], 95)
    with frozen_clock(_moment(80)):
        payment_doc, payment_form = _new("FO-PAG-01", "Acta de evento de pago", DocumentType.FORM,
                                         "PAG", users["duenio"], 12, PAYMENT_FORM, users["duenio"])
    _bring_into_force(payment_form, users["duenio"], users["calidad"], 75)
    with frozen_clock(_moment(5)), audit.acting_as(users["duenio"]):
        pending = lifecycle.new_revision(
            payment_doc, author=users["duenio"],
            content_md=PAYMENT_FORM + "| Observaciones sobre accesibilidad del lugar | |\n",
            change_summary="Se agrega la fila de observaciones de accesibilidad")
        lifecycle.submit_for_review(pending, users["duenio"])

    acknowledged = 0
    for code in ("POL-DIR-01", "PR-SGC-01", "PR-PAG-01", "FO-SGC-01"):
        document = db.session.scalar(select(Document).where(Document.code == code))
        current = services.current_revision(document) if document else None
        if current is None:
            continue
        for username in ("calidad", "duenio"):
            user = users[username]
            if reading.is_recipient(user, document):
                with frozen_clock(_moment(20)), audit.acting_as(user):
                    reading.acknowledge(current, user)
                acknowledged += 1
    total = len(documents) + 3
    return f"{total} demo documents ({acknowledged} reading confirmations)."
