"""Audits: planning, the team and its impartiality, the workflow, checklist answers,
evidence, findings (NC findings raise a Nonconformity) and corrections of a locked audit.

Services flush, never commit. A finding that raises an NC takes the NC domain's yearly
counter, so the view runs :func:`record_finding` inside :func:`qms.core.uow.write_first`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update

from qms.audits.models import (
    STANDARD,
    AnswerSource,
    Audit,
    AuditChecklistItem,
    AuditEvidence,
    AuditMember,
    AuditProcess,
    AuditProgramme,
    AuditStatus,
    AuditType,
    AuditYearCounter,
    ChecklistTemplate,
    Finding,
    FindingType,
    ItemResult,
    MemberRole,
)
from qms.auth.models import Role, User
from qms.core import audit as trail
from qms.core.checklists import clause_titles
from qms.core.db import now_utc
from qms.core.errors import PermissionDenied, TransitionError, ValidationError, check_version
from qms.core.storage import store
from qms.core.time import today_local
from qms.core.workflow import Workflow
from qms.documents import facts as document_facts
from qms.extensions import db
from qms.nonconformities import facts as nc_facts
from qms.nonconformities.services import report_nonconformity
from qms.processes.models import Process

S = AuditStatus
AUDIT_FLOW = Workflow("status", {
    S.PLANNED: {S.IN_PROGRESS, S.CANCELLED},
    S.IN_PROGRESS: {S.REPORTED, S.CANCELLED},
    S.REPORTED: {S.CLOSED},
    S.CLOSED: set(),
    S.CANCELLED: set(),
})
#: The NC domain's link back to the finding that raised an NC.
ORIGIN_TYPE = "audit_finding"
AUDITOR_ROLES = (Role.AUDITOR, Role.QUALITY_OFFICER, Role.ADMIN, Role.MANAGER, Role.PROCESS_OWNER)


# ------------------------------------------------------------------------ checks


def _text(value: str | None, field: str, message, max_len: int | None = None) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(message, field=field)
    if max_len and len(value) > max_len:
        raise ValidationError(_l("Máximo %(n)s caracteres.", n=max_len), field=field)
    return value


def _enum(enum_cls, value, field: str):
    try:
        return enum_cls(value)
    except ValueError:
        raise ValidationError(_l("Valor no válido."), field=field) from None


def check_clause(clause: str | None, field: str = "clause") -> str:
    clause = (clause or "").strip()
    catalogue = clause_titles(STANDARD)
    if clause not in catalogue or clause.split(".")[0] not in {"4", "5", "6", "7", "8", "9", "10"}:
        raise ValidationError(_l("«%(c)s» no es una cláusula auditable de %(s)s (4 a 10).",
                                 c=clause, s=STANDARD), field=field)
    return clause


def _check_clauses(clauses: Iterable[str] | None) -> list[str]:
    found = []
    for clause in clauses or []:
        clause = check_clause(clause, "criteria_clauses")
        if clause not in found:
            found.append(clause)
    return sorted(found, key=lambda c: [int(p) for p in c.split(".")])


def _check_dates(start: date | None, end: date | None, prefix: str) -> tuple[date, date]:
    if not isinstance(start, date) or not isinstance(end, date):
        raise ValidationError(_l("Indique las fechas de inicio y de fin."), field=f"{prefix}_start")
    if end < start:
        raise ValidationError(_l("La fecha de fin (%(e)s) es anterior a la de inicio (%(s)s).",
                                 e=end.isoformat(), s=start.isoformat()), field=f"{prefix}_end")
    return start, end


def _check_processes(processes: Iterable[Process | None]) -> list[Process]:
    found = [p for p in processes if p is not None]
    if not found:
        raise ValidationError(_l("Elija al menos un proceso."), field="process_ids")
    if any(not p.active for p in found):
        raise ValidationError(_l("Solo se auditan procesos vigentes."), field="process_ids")
    return sorted({p.id: p for p in found}.values(), key=lambda p: p.code)


def _editable(audit: Audit) -> None:
    if not audit.is_editable:
        raise TransitionError(_l(
            "La auditoría %(code)s está «%(s)s»: ya no se modifica. Registre una corrección, "
            "que queda en la pista de auditoría.", code=audit.code, s=audit.status.label))


# ------------------------------------------------------------------------ impartiality


def impartiality_problem(audit: Audit, user: User, role: MemberRole,
                         processes: Iterable[Process] | None = None) -> str | None:
    """Why ``user`` may not have ``role`` in ``audit`` [9.2.2 c)], or None.

    Nobody audits a process they own or in which they are an auditee of this audit, and
    a follow-up audit is not led by the person who verified the NCs it checks.
    """
    if not role.audits:
        if role == MemberRole.AUDITEE and any(
                m.user_id == user.id and m.role.audits for m in audit.members):
            return str(_l("%(name)s ya integra el equipo auditor: no puede ser además auditado.",
                          name=user.full_name))
        return None
    processes = list(processes if processes is not None else audit.processes)
    for process in processes:
        if process.owner_id == user.id:
            return str(_l("%(name)s es dueño(a) del proceso %(code)s, que está en el alcance: "
                          "nadie audita su propio proceso [ISO 9001 9.2.2 c)].",
                          name=user.full_name, code=process.code))
    if any(m.user_id == user.id and m.role == MemberRole.AUDITEE for m in audit.members):
        return str(_l("%(name)s es auditado(a) en esta auditoría: no puede integrar el equipo "
                      "auditor [ISO 9001 9.2.2 c)].", name=user.full_name))
    if audit.audit_type == AuditType.FOLLOW_UP and role == MemberRole.LEAD:
        nc_ids = [f.nc_id for f in open_findings_to_follow(audit, [p.id for p in processes])
                  if f.nc_id]
        if user.id in nc_facts.nc_verifier_ids(nc_ids):
            return str(_l("%(name)s verificó la eficacia de no conformidades que esta auditoría "
                          "de seguimiento revisa: no puede liderarla.", name=user.full_name))
    return None


def _check_impartial(audit: Audit, user: User, role: MemberRole,
                     processes: Iterable[Process] | None = None, field: str = "user_id") -> None:
    problem = impartiality_problem(audit, user, role, processes)
    if problem:
        raise ValidationError(problem, field=field)


def _check_member_user(user: User | None, role: MemberRole, external: bool,
                       field: str = "user_id") -> User:
    if user is None or not user.is_active:
        raise ValidationError(_l("Elija una persona con cuenta activa."), field=field)
    if role.audits and user.role == Role.CERTIFIER and not external:
        raise ValidationError(_l("Un auditor externo solo integra el equipo de auditorías "
                                 "externas."), field=field)
    if role.audits and not external and user.role not in AUDITOR_ROLES:
        raise ValidationError(_l("Elija un auditor interno."), field=field)
    return user


# ------------------------------------------------------------------------ programme


def programme_for(year: int, *, create: bool = False) -> AuditProgramme | None:
    programme = db.session.scalar(select(AuditProgramme).where(AuditProgramme.year == year))
    if programme is None and create:
        if not 2000 <= year <= 2100:
            raise ValidationError(_l("Año no válido."), field="year")
        programme = AuditProgramme(year=year, objectives="")
        db.session.add(programme)
        db.session.flush()
    return programme


def update_programme(programme: AuditProgramme, *, expected_version: int | None,
                     objectives: str) -> AuditProgramme:
    check_version(programme, expected_version)
    programme.objectives = (objectives or "").strip()
    db.session.flush()
    return programme


# ------------------------------------------------------------------------ planning


def format_code(audit_type: AuditType, year: int, number: int) -> str:
    return f"{'AE' if audit_type.is_external else 'AI'}-{year}-{number:02d}"


def _next_number(year: int) -> int:
    """Next audit number of ``year``; the UPDATE takes the write lock (SQLite) or the row
    lock (PostgreSQL) before the value is read, so numbers stay gapless and unique."""
    table = AuditYearCounter.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        db.session.execute(pg_insert(table).values(year=year, last_number=0)
                           .on_conflict_do_nothing(index_elements=["year"]))
    changed = db.session.execute(update(table).where(table.c.year == year)
                                 .values(last_number=table.c.last_number + 1))
    if changed.rowcount == 0:
        db.session.execute(insert(table).values(year=year, last_number=1))
        return 1
    return db.session.execute(select(table.c.last_number).where(table.c.year == year)).scalar_one()


def latest_template(code: str) -> ChecklistTemplate | None:
    return db.session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.code == code)
                             .order_by(ChecklistTemplate.version_no.desc()).limit(1))


def _pin_documents(document_ids: Iterable[int], on: date) -> list[dict]:
    wanted = {int(i) for i in document_ids or []}
    if not wanted:
        return []
    in_force = {d.document_id: d for d in document_facts.procedures_in_force(on)}
    missing = wanted - set(in_force)
    if missing:
        raise ValidationError(_l("Un procedimiento elegido no tiene revisión vigente el "
                                 "%(d)s.", d=on.isoformat()), field="document_ids")
    return [{"code": d.code, "title": d.title, "revision": d.revision,
             "effective_from": d.effective_from} for d in
            sorted((in_force[i] for i in wanted), key=lambda d: d.code)]


def plan_audit(programme: AuditProgramme, *, audit_type: AuditType | str, title: str,
               scope: str, processes: Iterable[Process | None], planned_start: date | None,
               planned_end: date | None, lead: User | None, objectives: str = "",
               clauses: Iterable[str] | None = None, document_ids: Iterable[int] = (),
               template: ChecklistTemplate | None = None, location: str = "",
               certification_body: str | None = None) -> Audit:
    """A new audit in ``planned`` with the next code of the programme's year, its lead
    auditor (impartiality checked) and its own copy of the checklist template."""
    audit_type = _enum(AuditType, audit_type, "audit_type")
    title = _text(title, "title", _l("Indique un título."), 200)
    scope = _text(scope, "scope", _l("Describa el alcance (unidades, procesos, período)."))
    start, end = _check_dates(planned_start, planned_end, "planned")
    if start.year != programme.year:
        raise ValidationError(_l("La auditoría empieza en %(y)s, fuera del programa %(p)s.",
                                 y=start.year, p=programme.year), field="planned_start")
    chosen = _check_processes(processes)
    criteria = _check_clauses(clauses)
    if audit_type == AuditType.INTERNAL_CLAUSE and not criteria:
        raise ValidationError(_l("Una auditoría por cláusulas necesita al menos una cláusula."),
                              field="criteria_clauses")
    external = audit_type.is_external
    if external and not (certification_body or "").strip():
        raise ValidationError(_l("Indique el organismo de certificación."),
                              field="certification_body")
    audit = Audit(
        audit_type=audit_type, title=title, scope=scope,
        objectives=(objectives or "").strip(), criteria_clauses=criteria,
        criteria_documents=_pin_documents(document_ids, start),
        certification_body=(certification_body or "").strip()[:200] or None,
        location=(location or "").strip()[:200], planned_start=start, planned_end=end,
        status=S.PLANNED, template=template, members=[], items=[], findings=[], scope_links=[],
        year=programme.year, number=0, code="")
    if lead is not None or not external:
        lead = _check_member_user(lead, MemberRole.LEAD, external, "lead_id")
        _check_impartial(audit, lead, MemberRole.LEAD, chosen, "lead_id")
    audit.number = _next_number(programme.year)
    audit.code = format_code(audit_type, programme.year, audit.number)
    audit.programme = programme
    db.session.add(audit)
    for process in chosen:
        audit.scope_links.append(AuditProcess(process=process))
    if lead is not None:
        audit.members.append(AuditMember(user=lead, role=MemberRole.LEAD))
    if template is not None:
        for n, item in enumerate(template.items, start=1):
            audit.items.append(AuditChecklistItem(position=n, clause=item["clause"],
                                                  question=item["question"], notes=""))
    db.session.flush()
    db.session.expire(audit, ["processes"])
    return audit


def update_plan(audit: Audit, *, expected_version: int | None, title: str, scope: str,
                objectives: str, processes: Iterable[Process | None], planned_start: date | None,
                planned_end: date | None, clauses: Iterable[str] | None, location: str = "",
                certification_body: str | None = None) -> Audit:
    check_version(audit, expected_version)
    _editable(audit)
    audit.title = _text(title, "title", _l("Indique un título."), 200)
    audit.scope = _text(scope, "scope", _l("Describa el alcance (unidades, procesos, período)."))
    audit.objectives = (objectives or "").strip()
    audit.planned_start, audit.planned_end = _check_dates(planned_start, planned_end, "planned")
    audit.criteria_clauses = _check_clauses(clauses)
    audit.location = (location or "").strip()[:200]
    if audit.audit_type.is_external:
        audit.certification_body = _text(certification_body, "certification_body",
                                         _l("Indique el organismo de certificación."), 200)
    chosen = _check_processes(processes)
    for member in audit.members:
        if member.role.audits:
            _check_impartial(audit, member.user, member.role, chosen, "process_ids")
    wanted = {p.id for p in chosen}
    for link in list(audit.scope_links):
        if link.process_id not in wanted:
            audit.scope_links.remove(link)
            db.session.delete(link)
    have = {link.process_id for link in audit.scope_links}
    for process in chosen:
        if process.id not in have:
            audit.scope_links.append(AuditProcess(process=process))
    audit.updated_at = now_utc()
    db.session.flush()
    db.session.expire(audit, ["processes"])
    return audit


def add_member(audit: Audit, *, user: User | None, role: MemberRole | str) -> AuditMember:
    _editable(audit)
    role = _enum(MemberRole, role, "role")
    if role == MemberRole.LEAD:
        raise ValidationError(_l("El auditor líder se cambia en el plan."), field="role")
    user = _check_member_user(user, role, audit.audit_type.is_external)
    if any(m.user_id == user.id for m in audit.members):
        raise ValidationError(_l("%(name)s ya está en esta auditoría.", name=user.full_name),
                              field="user_id")
    _check_impartial(audit, user, role)
    member = AuditMember(user=user, role=role)
    audit.members.append(member)
    audit.updated_at = now_utc()
    db.session.flush()
    return member


def remove_member(member: AuditMember) -> None:
    audit = member.audit
    _editable(audit)
    if member.role == MemberRole.LEAD:
        raise ValidationError(_l("La auditoría necesita su auditor líder."), field="role")
    audit.members.remove(member)
    db.session.delete(member)
    audit.updated_at = now_utc()
    db.session.flush()


def change_lead(audit: Audit, *, expected_version: int | None, lead: User | None) -> Audit:
    check_version(audit, expected_version)
    _editable(audit)
    lead = _check_member_user(lead, MemberRole.LEAD, audit.audit_type.is_external, "lead_id")
    if any(m.user_id == lead.id and not m.role.audits for m in audit.members):
        raise ValidationError(_l("%(name)s es auditado(a) en esta auditoría: no puede liderarla.",
                                 name=lead.full_name), field="lead_id")
    _check_impartial(audit, lead, MemberRole.LEAD, field="lead_id")
    for member in list(audit.members):
        if member.role == MemberRole.LEAD or member.user_id == lead.id:
            audit.members.remove(member)
            db.session.delete(member)
    db.session.flush()
    audit.members.append(AuditMember(user=lead, role=MemberRole.LEAD))
    audit.updated_at = now_utc()
    db.session.flush()
    return audit


# ------------------------------------------------------------------------ workflow


def start_audit(audit: Audit, *, expected_version: int | None,
                actual_start: date | None = None) -> Audit:
    check_version(audit, expected_version)
    AUDIT_FLOW.check(audit, S.IN_PROGRESS)
    started = actual_start or today_local()
    if started > today_local():
        raise ValidationError(_l("La fecha de inicio real no puede ser futura."),
                              field="actual_start")
    if not audit.items and audit.template is None and not audit.audit_type.is_external:
        raise ValidationError(_l("Elija una lista de verificación antes de empezar."),
                              field="template_id")
    audit.actual_start = started
    AUDIT_FLOW.move(audit, S.IN_PROGRESS)
    return audit


def cancel_audit(audit: Audit, *, expected_version: int | None, reason: str) -> Audit:
    check_version(audit, expected_version)
    AUDIT_FLOW.check(audit, S.CANCELLED)
    audit.cancel_reason = _text(reason, "reason", _l("Indique el motivo de la anulación."), 2000)
    AUDIT_FLOW.move(audit, S.CANCELLED, audit.cancel_reason)
    return audit


def close_audit(audit: Audit, *, expected_version: int | None) -> Audit:
    """reported → closed: every NC finding has its NC and every finding its response."""
    check_version(audit, expected_version)
    AUDIT_FLOW.check(audit, S.CLOSED)
    waiting = [f.label for f in audit.findings if f.finding_type.is_nc and not f.auditee_response]
    if waiting:
        raise TransitionError(_l("Faltan las respuestas del auditado a: %(f)s.",
                                 f=", ".join(waiting)))
    AUDIT_FLOW.move(audit, S.CLOSED)
    return audit


def record_correction(audit: Audit, *, text: str) -> None:
    """A correction of a reported (locked) audit: an audit-trail event, never an edit."""
    if audit.is_editable or audit.status == S.CANCELLED:
        raise TransitionError(_l("Las correcciones se registran en auditorías informadas; "
                                 "esta todavía se puede editar."))
    note = _text(text, "text", _l("Describa la corrección."), 500)
    trail.record(db.session, audit, "audit_correction", note)


def set_template(audit: Audit, *, expected_version: int | None,
                 template: ChecklistTemplate | None) -> Audit:
    """Give a planned audit its checklist: a copy of the template's current version."""
    check_version(audit, expected_version)
    if audit.status != S.PLANNED:
        raise TransitionError(_l("La lista de verificación se elige antes de empezar."))
    if template is None:
        raise ValidationError(_l("Elija una plantilla."), field="template_id")
    if any(i.result is not None for i in audit.items):
        raise ValidationError(_l("La lista ya tiene respuestas."), field="template_id")
    for item in list(audit.items):
        audit.items.remove(item)
        db.session.delete(item)
    db.session.flush()
    audit.template = template
    for n, entry in enumerate(template.items, start=1):
        audit.items.append(AuditChecklistItem(position=n, clause=entry["clause"],
                                              question=entry["question"], notes=""))
    audit.updated_at = now_utc()
    db.session.flush()
    return audit


# ------------------------------------------------------------------------ checklist


def _performing(audit: Audit) -> None:
    if audit.status != S.IN_PROGRESS:
        raise TransitionError(_l("La auditoría %(code)s está «%(s)s»: las respuestas y los "
                                 "hallazgos se registran mientras está en ejecución.",
                                 code=audit.code, s=audit.status.label))


def answer_item(item: AuditChecklistItem, *, expected_version: int | None,
                result: ItemResult | str | None, notes: str, actor: User,
                source: AnswerSource = AnswerSource.WEB) -> AuditChecklistItem:
    """Record one answer; a stale version (another auditor answered first) is refused."""
    _performing(item.audit)
    check_version(item, expected_version)
    _set_answer(item, result, notes, actor, source)
    db.session.flush()
    return item


def _set_answer(item, result, notes, actor, source) -> None:
    result = _enum(ItemResult, result, "result") if result not in (None, "") else None
    notes = (notes or "").strip()
    if len(notes) > 5000:
        raise ValidationError(_l("Máximo %(n)s caracteres.", n=5000), field="notes")
    if result in (ItemResult.NONCONFORM, ItemResult.OBSERVATION) and not notes:
        raise ValidationError(_l("Anote la evidencia de la pregunta %(n)s (%(r)s).",
                                 n=item.position, r=result.label), field="notes")
    item.result = result
    item.notes = notes
    item.answered_by_id = actor.id
    item.answered_at = now_utc()
    item.source = source


def add_evidence(item: AuditChecklistItem, stream, filename: str, *, represents_on: date | None,
                 description: str, actor: User) -> AuditEvidence:
    _performing(item.audit)
    if not isinstance(represents_on, date):
        raise ValidationError(_l("Indique la fecha que representa la evidencia."),
                              field="represents_on")
    if represents_on > today_local():
        raise ValidationError(_l("La fecha que representa la evidencia no puede ser futura."),
                              field="represents_on")
    stored = store(stream, filename)
    evidence = AuditEvidence(item=item, stored=stored, represents_on=represents_on,
                             description=(description or "").strip()[:300],
                             uploaded_by_id=actor.id)
    db.session.add(evidence)
    db.session.flush()
    return evidence


# ------------------------------------------------------------------------ findings


def open_findings_to_follow(audit: Audit, process_ids: list[int] | None = None) -> list[Finding]:
    """NC findings of earlier audits of the same processes not yet found effective."""
    if process_ids is None:
        process_ids = [link.process_id for link in audit.scope_links]
    if not process_ids:
        return []
    rows = db.session.scalars(
        select(Finding).join(Audit, Finding.audit_id == Audit.id)
        .where(Finding.process_id.in_(process_ids), Audit.id != audit.id,
               Audit.planned_start <= audit.planned_start,
               Finding.finding_type.in_([FindingType.MAJOR_NC, FindingType.MINOR_NC]),
               Finding.follows_up_id.is_(None),
               Audit.status.in_([S.REPORTED, S.CLOSED]))
        .order_by(Audit.planned_start, Finding.number))
    verified = set(db.session.scalars(
        select(Finding.follows_up_id).where(Finding.follow_up_effective.is_(True))))
    return [f for f in rows if f.id not in verified]


def record_finding(audit: Audit, *, finding_type: FindingType | str, clause: str,
                   process: Process | None, description: str, evidence: str, actor: User,
                   item: AuditChecklistItem | None = None, follows_up: Finding | None = None,
                   follow_up_effective: bool | None = None) -> Finding:
    """Record a finding; a major or minor NC raises a Nonconformity (source internal or
    external audit) linked both ways, in this same transaction."""
    _performing(audit)
    finding_type = _enum(FindingType, finding_type, "finding_type")
    clause = check_clause(clause)
    description = _text(description, "description", _l("Describa el hallazgo."))
    evidence = (evidence or "").strip()
    if finding_type.is_nc and not evidence:
        raise ValidationError(_l("Una no conformidad necesita su evidencia objetiva."),
                              field="evidence")
    if process is None or process.id not in {link.process_id for link in audit.scope_links}:
        raise ValidationError(_l("Elija un proceso del alcance de la auditoría."),
                              field="process_id")
    if item is not None and item.audit_id != audit.id:
        raise ValidationError(_l("La pregunta no es de esta auditoría."), field="item_id")
    if follows_up is not None:
        if follows_up.id not in {f.id for f in open_findings_to_follow(audit)}:
            raise ValidationError(_l("Ese hallazgo no está pendiente de seguimiento en los "
                                     "procesos de esta auditoría."), field="follows_up_id")
        if follow_up_effective is None:
            raise ValidationError(_l("Indique si las acciones fueron eficaces."),
                                  field="follow_up_effective")
    number = (max((f.number for f in audit.findings), default=0)) + 1
    finding = Finding(audit=audit, number=number, finding_type=finding_type, clause=clause,
                      process=process, description=description, evidence=evidence, item=item,
                      follows_up=follows_up,
                      follow_up_effective=follow_up_effective if follows_up else None,
                      created_by_id=actor.id)
    db.session.add(finding)
    db.session.flush()
    if finding_type.is_nc:
        nc = report_nonconformity(
            title=f"{audit.code} {finding.label}: {description}"[:200],
            description=f"{description}\n\nEvidencia: {evidence}\n\nCláusula {clause} "
                        f"({STANDARD}) · {audit.title}",
            source="external_audit" if audit.audit_type.is_external else "internal_audit",
            process=process,
            severity="major" if finding_type == FindingType.MAJOR_NC else "minor",
            detected_on=today_local(),
            detected_by=actor, origin_type=ORIGIN_TYPE, origin_id=str(finding.id),
            origin_label=f"{audit.code} · {finding.label}")
        finding.nc_id = nc.id
        db.session.flush()
    audit.updated_at = now_utc()
    db.session.flush()
    return finding


def respond_finding(finding: Finding, *, expected_version: int | None, response: str,
                    actor: User) -> Finding:
    """The auditee's answer (process owner): allowed while running and once reported."""
    check_version(finding, expected_version)
    if finding.audit.status not in (S.IN_PROGRESS, S.REPORTED):
        raise TransitionError(_l("La auditoría %(code)s está «%(s)s»: no admite respuestas.",
                                 code=finding.audit.code, s=finding.audit.status.label))
    finding.auditee_response = _text(response, "response", _l("Escriba la respuesta."), 5000)
    finding.responded_by_id = actor.id
    finding.responded_at = now_utc()
    trail.annotate(db.session, finding, "finding_response")
    db.session.flush()
    return finding


def nc_facts_for(findings: Iterable[Finding]) -> dict[int, nc_facts.NCStatusFact]:
    return nc_facts.nc_status_facts(f.nc_id for f in findings if f.nc_id)


def check_can_perform(audit: Audit, user: User) -> None:
    """Service-side guard (the API and views also check the policy)."""
    if not any(m.user_id == user.id and m.role.audits for m in audit.members) \
            and user.role not in (Role.QUALITY_OFFICER, Role.ADMIN):
        raise PermissionDenied(_l("Solo el equipo auditor registra resultados."))


def auditor_candidates(external: bool = False) -> list[User]:
    roles = (*AUDITOR_ROLES, Role.CERTIFIER) if external else AUDITOR_ROLES
    return list(db.session.scalars(select(User).where(User.role.in_(roles),
                                                      User.active.is_(True))
                                   .order_by(User.full_name)))


def people() -> list[User]:
    return list(db.session.scalars(select(User).where(User.active.is_(True),
                                                      User.role != Role.CERTIFIER)
                                   .order_by(User.full_name)))
