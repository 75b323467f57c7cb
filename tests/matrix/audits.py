"""Audit routes × roles. Auditors act on their own audits (the lead is the seeded
auditor), process owners answer findings on their processes, certifiers read."""

import io

from qms.audits import calendar
from qms.audits.enums import (
    AuditStatus,
    AuditType,
    FindingType,
    MemberRole,
)
from qms.audits.models import (
    Audit,
    AuditChecklistItem,
    AuditEvidence,
    AuditMember,
    AuditProcess,
    AuditProgramme,
    Finding,
)
from qms.core.db import now_utc
from qms.core.storage import store
from qms.core.time import today_local
from qms.extensions import db
from qms.processes.models import Process
from tests.matrix import ANY_USER, EDITORS, PUBLIC, Row

ORDER = 60

PLANNERS = EDITORS | {"auditor"}
TEAM = frozenset({"auditor"})
OWNER_TOO = EDITORS | {"process_owner"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

P = "/auditorias"
A = "/api/v1/audits"
RUN = f"{P}/{{run_audit}}"

ROUTES = [
    Row("GET", f"{P}/", ANY_USER),
    Row("GET", f"{P}/programa/<int:year>", ANY_USER, f"{P}/programa/{{year}}"),
    Row("POST", f"{P}/programa/<int:year>", EDITORS, f"{P}/programa/{{year}}",
        {"objectives": "Cubrir todos los procesos."}),
    Row("POST", f"{P}/programa/<int:year>/quejas", EDITORS, f"{P}/programa/{{year}}/quejas",
        {"c-payment": "PAG"}),
    Row("GET", f"{P}/nueva", PLANNERS),
    Row("POST", f"{P}/nueva", PLANNERS),
    Row("GET", f"{P}/<int:audit_id>", ANY_USER, RUN),
    Row("GET", f"{P}/<int:audit_id>/editar", PLANNERS, f"{RUN}/editar", note="auditor is lead"),
    Row("POST", f"{P}/<int:audit_id>/editar", PLANNERS, f"{RUN}/editar"),
    Row("POST", f"{P}/<int:audit_id>/equipo", PLANNERS, f"{RUN}/equipo"),
    Row("POST", f"{P}/<int:audit_id>/equipo/<int:member_id>/quitar", PLANNERS,
        f"{RUN}/equipo/{{auditee}}/quitar"),
    Row("POST", f"{P}/<int:audit_id>/lider", PLANNERS, f"{RUN}/lider"),
    Row("POST", f"{P}/<int:audit_id>/plantilla", PLANNERS, f"{RUN}/plantilla"),
    Row("POST", f"{P}/<int:audit_id>/iniciar", PLANNERS, f"{RUN}/iniciar"),
    Row("POST", f"{P}/<int:audit_id>/anular", PLANNERS, f"{RUN}/anular"),
    Row("POST", f"{P}/<int:audit_id>/cerrar", PLANNERS, f"{RUN}/cerrar"),
    Row("POST", f"{P}/<int:audit_id>/correccion", PLANNERS, f"{P}/{{reported_audit}}/correccion",
        note="reported audit led by the auditor"),
    Row("POST", f"{P}/<int:audit_id>/lista/<int:item_id>", TEAM, f"{RUN}/lista/{{item}}"),
    Row("POST", f"{P}/<int:audit_id>/evidencia", TEAM, f"{RUN}/evidencia"),
    Row("GET", f"{P}/<int:audit_id>/evidencia/<int:evidence_id>", ANY_USER,
        f"{RUN}/evidencia/{{evidence}}"),
    Row("GET", f"{P}/<int:audit_id>/formulario.xlsx", ANY_USER, f"{RUN}/formulario.xlsx"),
    Row("POST", f"{P}/<int:audit_id>/envio", TEAM, f"{RUN}/envio"),
    Row("POST", f"{P}/<int:audit_id>/hallazgos", TEAM, f"{RUN}/hallazgos"),
    Row("POST", f"{P}/<int:audit_id>/hallazgos/<int:finding_id>/respuesta", OWNER_TOO,
        f"{RUN}/hallazgos/{{own_finding}}/respuesta", note="finding on the owner's process"),
    Row("POST", f"{P}/<int:audit_id>/hallazgos/<int:finding_id>/respuesta", EDITORS,
        f"{RUN}/hallazgos/{{other_finding}}/respuesta", note="finding on another process"),
    Row("POST", f"{P}/<int:audit_id>/firmar", TEAM, f"{RUN}/firmar", note="only the lead"),
    Row("GET", f"{P}/<int:audit_id>/informe", ANY_USER, f"{RUN}/informe"),
    Row("GET", f"{P}/<int:audit_id>/informe.pdf", ANY_USER, f"{RUN}/informe.pdf"),
    Row("GET", f"{P}/hallazgos/<int:finding_id>", ANY_USER, f"{P}/hallazgos/{{own_finding}}"),
    Row("GET", f"{P}/calendario", ANY_USER),
    Row("GET", f"{P}/calendario/<int:year>/<int:month>", ANY_USER, f"{P}/calendario/{{year}}/1"),
    Row("POST", f"{P}/calendario/enlace", ANY_USER),
    Row("GET", f"{P}/calendario/<token>.ics", PUBLIC, f"{P}/calendario/{{calendar_token}}.ics",
        note="the secret address is the key: calendar apps send no cookie"),
    # API
    Row("GET", f"{A}/programme/<int:year>", ANY_USER, f"{A}/programme/{{year}}"),
    Row("GET", f"{A}/", ANY_USER),
    Row("GET", f"{A}/<int:audit_id>", ANY_USER, f"{A}/{{run_audit}}"),
    Row("GET", f"{A}/<int:audit_id>/checklist", ANY_USER, f"{A}/{{run_audit}}/checklist"),
    Row("PATCH", f"{A}/<int:audit_id>/checklist/<int:item_id>", TEAM,
        f"{A}/{{run_audit}}/checklist/{{item}}", data={}),
    Row("GET", f"{A}/<int:audit_id>/findings", ANY_USER, f"{A}/{{run_audit}}/findings"),
    Row("POST", f"{A}/<int:audit_id>/findings", TEAM, f"{A}/{{run_audit}}/findings", data={}),
]


def _audit(prog, number, status, lead, processes, **fields):
    """Rows built directly (one flush for all); the rules are tested in tests/audits."""
    year = prog.year
    audit = Audit(
        programme=prog, code=f"AI-{year}-{90 + number}", year=year, number=90 + number,
        audit_type=AuditType.INTERNAL_PROCESS, title=f"Auditoría {number}", scope="Alcance",
        planned_start=today_local(), planned_end=today_local(), status=status,
        actual_start=today_local() if status != AuditStatus.PLANNED else None, **fields)
    audit.members.append(AuditMember(user=lead, role=MemberRole.LEAD))
    for process in processes:
        audit.scope_links.append(AuditProcess(process=process))
    return audit


def objects(users: dict) -> dict:
    own = db.session.get(Process, users["own_process"])
    other = db.session.get(Process, users["other_process"])
    prog = AuditProgramme(year=today_local().year, objectives="Programa")
    run = _audit(prog, 1, AuditStatus.IN_PROGRESS, users["auditor"], [own, other])
    auditee = AuditMember(user=users["duenio"], role=MemberRole.AUDITEE)
    run.members.append(auditee)
    item = AuditChecklistItem(position=1, clause="8.1", question="¿Se planifica?", notes="")
    run.items.append(item)
    reported = _audit(prog, 2, AuditStatus.REPORTED, users["auditor"], [other],
                      reported_at=now_utc(), reported_by=users["auditor"])
    db.session.add_all([prog, run, reported])
    db.session.flush()
    findings = [Finding(audit=run, number=n, finding_type=FindingType.OBSERVATION, clause="8.1",
                        process=process, description="Observación", evidence="",
                        created_by_id=users["auditor"].id)
                for n, process in ((1, own), (2, other))]
    db.session.add_all(findings)
    stored = store(io.BytesIO(PNG), "foto.png")
    evidence = AuditEvidence(item=item, stored=stored, represents_on=today_local(),
                             uploaded_by_id=users["auditor"].id)
    db.session.add(evidence)
    calendar_token = calendar.issue_feed_token(users["auditor"])
    db.session.flush()
    return {"year": prog.year, "run_audit": run.id, "reported_audit": reported.id,
            "calendar_token": calendar_token, "auditee": auditee.id, "item": item.id, "evidence": evidence.id,
            "own_finding": findings[0].id, "other_finding": findings[1].id}
