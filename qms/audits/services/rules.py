"""Audit services: the shared checks (input, impartiality) and constants."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from qms.audits.enums import (
    AuditStatus,
    AuditType,
    FindingType,
    MemberRole,
)
from qms.audits.models import STANDARD, Audit, Finding
from qms.auth.models import Role, User
from qms.core.checklists import clause_titles
from qms.core.errors import TransitionError, ValidationError
from qms.core.workflow import Workflow
from qms.extensions import db
from qms.nonconformities import facts as nc_facts
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
