"""Demo audit programme of the current year: audits in every state, findings (one minor
NC raised into the NC register), a checklist completed offline, signed reports."""

from __future__ import annotations

import csv
import tempfile
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from qms.audits import checklists, offline, report, services
from qms.audits.enums import (
    AuditType,
    FindingType,
    ItemResult,
    MemberRole,
)
from qms.auth.demo import demo_password
from qms.auth.models import User
from qms.core import audit as trail
from qms.core.cli import seed_step
from qms.core.time import today_local
from qms.extensions import db
from qms.processes.models import Process


def _day(year: int, offset: int) -> date:
    """Today + offset days, kept inside ``year`` (the programme's)."""
    day = today_local() + timedelta(days=offset)
    return min(max(day, date(year, 1, 1)), date(year, 12, 31))


def _answer_all(audit, actor, nonconform: dict[int, str] | None = None) -> None:
    for item in audit.items:
        note = (nonconform or {}).get(item.position)
        services.answer_item(item, expected_version=item.version,
                             result=ItemResult.NONCONFORM if note else ItemResult.CONFORM,
                             notes=note or "Registros revisados: conforme.", actor=actor)


def _offline_export(audit, path: Path) -> None:
    """A Kobo export of the audit's XLSForm as a field auditor would send it."""
    header = ["start", "end", "auditoria"]
    row = ["", "", audit.code]
    for item in audit.items:
        header += [f"c_{item.clause.replace('.', '_')}/{item.field_name}",
                   f"c_{item.clause.replace('.', '_')}/{item.field_name}_notas"]
        row += ["conforme", f"Verificado en la oficina departamental (pregunta {item.position})."]
    header += ["_uuid", "_submission_time"]
    row += ["demo-3f2a9c1e-offline", f"{today_local().isoformat()}T15:00:00"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(header)
        writer.writerow(row)


@seed_step(60, "audits")
def seed_audits() -> str:
    checklists.sync_checklists()
    users = {u.username: u for u in db.session.scalars(select(User))}
    procs = {p.code: p for p in db.session.scalars(select(Process))}
    lead, officer, owner = users["auditor"], users["calidad"], users["duenio"]
    year = today_local().year
    prog = services.programme_for(year, create=True)
    prog.objectives = ("Auditar cada proceso del SGC al menos una vez en el año, con prioridad "
                       "a los procesos con no conformidades abiertas y quejas ciudadanas.")
    template = {t.code: t for t in checklists.templates()}

    def plan(kind, title, codes, tpl, start, days=1, **extra):
        return services.plan_audit(
            prog, audit_type=kind, title=title, processes=[procs[c] for c in codes],
            scope=f"Procesos {', '.join(codes)}; oficinas central y departamentales; "
                  f"registros del año {year}.",
            objectives="Verificar la conformidad con ISO 9001:2015 y los procedimientos.",
            planned_start=_day(year, start), planned_end=_day(year, start + days),
            lead=extra.pop("lead", lead), template=template.get(tpl) if tpl else None, **extra)

    with trail.acting_as(lead):
        closed = plan(AuditType.INTERNAL_PROCESS, "Auditoría del proceso de entrega del bono",
                      ["PAG"], "LV-PAG-01", -120, 2, location="Oficina central, Tegucigalpa")
        services.add_member(closed, user=owner, role=MemberRole.AUDITEE)
        services.start_audit(closed, expected_version=closed.version,
                             actual_start=closed.planned_start)
        _answer_all(closed, lead, {6: "Dos planillas de marzo sin registro de aprobación."})
        minor = services.record_finding(
            closed, finding_type=FindingType.MINOR_NC, clause="8.6", process=procs["PAG"],
            description="La planilla de pago no siempre se aprueba antes del desembolso.",
            evidence="Planillas PAG-2026-03 y PAG-2026-04 sin firma de aprobación.",
            actor=lead, item=closed.items[5])
        services.record_finding(
            closed, finding_type=FindingType.OPPORTUNITY, clause="8.4", process=procs["PAG"],
            description="Publicar la evaluación trimestral de bancos pagadores.", evidence="",
            actor=lead)
        report.sign_report(closed, expected_version=closed.version, actor=lead,
                           password=demo_password(), actual_end=closed.planned_end,
                           conclusion="El proceso es conforme salvo la aprobación de planillas.")
    with trail.acting_as(owner):
        services.respond_finding(minor, expected_version=minor.version, actor=owner,
                                 response="Se agregó un control de firma en el sistema de pagos.")
    with trail.acting_as(lead):
        services.close_audit(closed, expected_version=closed.version)

        offline_audit = plan(AuditType.INTERNAL_PROCESS, "Auditoría del proceso de quejas",
                             ["QUE"], "LV-QUE-01", -40, 1, location="Oficina de Choluteca")
        services.start_audit(offline_audit, expected_version=offline_audit.version,
                             actual_start=offline_audit.planned_start)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "kobo.csv"
            _offline_export(offline_audit, path)
            offline.import_submission(offline_audit, path, actor=lead)
        services.record_finding(
            offline_audit, finding_type=FindingType.OBSERVATION, clause="9.1.3",
            process=procs["QUE"], description="El informe mensual de quejas no separa por "
            "departamento.", evidence="Informe de octubre.", actor=lead)
        report.sign_report(offline_audit, expected_version=offline_audit.version, actor=lead,
                           password=demo_password(), actual_end=offline_audit.planned_end,
                           conclusion="Proceso conforme; una observación sobre el análisis.")

        running = plan(AuditType.INTERNAL_CLAUSE, "Auditoría del SGC (cláusulas 4 a 10)",
                       ["DIR", "REG"], "LV-SGC-01", -2, 3,
                       clauses=["4.1", "5.2", "6.2", "7.5", "9.2", "10.2"])
        services.start_audit(running, expected_version=running.version,
                             actual_start=running.planned_start)
        for item in running.items[:5]:
            services.answer_item(item, expected_version=item.version, result=ItemResult.CONFORM,
                                 notes="Evidencia revisada en sitio.", actor=lead)

        plan(AuditType.INTERNAL_PROCESS, "Auditoría de verificación de corresponsabilidades",
             ["COR"], "LV-SGC-01", 20, 1)
        cancelled = plan(AuditType.INTERNAL_PROCESS, "Auditoría de TIC", ["TIC"], None, 10)
        services.cancel_audit(cancelled, expected_version=cancelled.version,
                              reason="Se reprograma por el cambio de plataforma de pagos.")
    with trail.acting_as(officer):
        plan(AuditType.EXTERNAL_SURVEILLANCE, "Auditoría de seguimiento del certificado",
             ["PAG", "QUE", "SGC"], None, 25, 2, lead=None,
             certification_body="Organismo de certificación acreditado (demo)")
    db.session.flush()
    return f"{len(prog.audits)} demo audits in the {year} programme."
