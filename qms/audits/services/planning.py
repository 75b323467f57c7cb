"""Audit services: the yearly programme, planning an audit and its workflow."""


from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update

from qms.audits.enums import AuditType, MemberRole
from qms.audits.models import (
    Audit,
    AuditChecklistItem,
    AuditMember,
    AuditProcess,
    AuditProgramme,
    AuditYearCounter,
    ChecklistTemplate,
)
from qms.audits.services.rules import (
    AUDIT_FLOW,
    S,
    _check_clauses,
    _check_dates,
    _check_impartial,
    _check_member_user,
    _check_processes,
    _editable,
    _enum,
    _text,
)
from qms.auth.models import User
from qms.core import audit as trail
from qms.core.db import now_utc
from qms.core.errors import TransitionError, ValidationError, check_version
from qms.core.time import today_local
from qms.documents import facts as document_facts
from qms.extensions import db
from qms.processes.models import Process

# ------------------------------------------------------------------------ programme


def _lock_year(year: int) -> None:
    """Hold the year's counter row until commit, so two planners creating the first
    audit (and so the programme) of a year queue instead of one failing on the unique
    year. On SQLite the writer already holds the database (``write_first``)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    table = AuditYearCounter.__table__
    db.session.execute(pg_insert(table).values(year=year, last_number=0)
                       .on_conflict_do_nothing(index_elements=["year"]))
    db.session.execute(select(table.c.year).where(table.c.year == year).with_for_update())


def programme_for(year: int, *, create: bool = False) -> AuditProgramme | None:
    def find() -> AuditProgramme | None:
        return db.session.scalar(select(AuditProgramme).where(AuditProgramme.year == year))

    programme = find()
    if programme is None and create:
        if not 2000 <= year <= 2100:
            raise ValidationError(_l("Año no válido."), field="year")
        _lock_year(year)
        if (programme := find()) is not None:
            return programme
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


