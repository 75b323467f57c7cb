"""Audit services: performing the audit (checklist, evidence) and its findings."""


from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from qms.audits.enums import AnswerSource, FindingType, ItemResult
from qms.audits.models import (
    STANDARD,
    Audit,
    AuditChecklistItem,
    AuditEvidence,
    Finding,
)
from qms.audits.services.rules import (
    AUDITOR_ROLES,
    ORIGIN_TYPE,
    S,
    _enum,
    _text,
    check_clause,
    open_findings_to_follow,
)
from qms.auth.models import Role, User
from qms.core import audit as trail
from qms.core.db import now_utc
from qms.core.errors import PermissionDenied, TransitionError, ValidationError, check_version
from qms.core.storage import store
from qms.core.time import today_local
from qms.extensions import db
from qms.nonconformities import facts as nc_facts
from qms.nonconformities.services import report_nonconformity
from qms.processes.models import Process

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
