"""The whole story of an NC: its audit-trail events and those of its parts, in order,
with a readable title for each step."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from qms.core.audit import AuditEvent
from qms.extensions import db
from qms.nonconformities.models import (
    ActionStatus,
    NCStatus,
    Nonconformity,
    VerificationResult,
)

#: Bookkeeping columns not shown in the timeline's details.
HIDDEN = {"updated_at", "created_at", "id", "nc_id", "version", "year", "number"}


@dataclass
class Step:
    when: datetime
    actor: str
    title: str
    note: str | None = None
    changes: list[tuple[str, object, object]] = field(default_factory=list)
    kind: str = "nc"


def _children(nc: Nonconformity) -> dict[str, dict[str, object]]:
    return {
        "nc_analysis": {str(a.id): a for a in nc.analyses},
        "corrective_action": {str(a.id): a for a in nc.actions},
        "nc_verification": {str(v.id): v for v in nc.verifications},
        "nc_attachment": {str(f.id): f for f in nc.attachments},
    }


def _nc_title(event: AuditEvent) -> str | None:
    action = event.action
    if action in ("report", "insert"):
        return _("No conformidad reportada")
    if action == "correction":
        return _("Corrección / contención registrada")
    if action.startswith("transition:"):
        return _("Pasa a «%(s)s»", s=NCStatus(action.split(":", 1)[1]).label)
    keys = set((event.after or {}).keys()) - HIDDEN
    return _("Datos de la no conformidad modificados") if keys else None


def _action_title(event: AuditEvent, action) -> str:
    label = action.label if action else "AC"
    if event.action == "insert":
        return _("Acción %(a)s planificada", a=label)
    if event.action.startswith("transition:"):
        return _("Acción %(a)s: %(s)s", a=label,
                 s=ActionStatus(event.action.split(":", 1)[1]).label)
    return _("Acción %(a)s actualizada", a=label)


def _verification_title(event: AuditEvent) -> str:
    if event.action == "insert":
        return _("Verificación de eficacia planificada")
    if event.action.startswith("result:"):
        return _("Verificación de eficacia: %(r)s",
                 r=VerificationResult(event.action.split(":", 1)[1]).label)
    return _("Verificación de eficacia actualizada")


def _analysis_title(event: AuditEvent, analysis) -> str:
    round_ = analysis.round if analysis else "?"
    if event.action == "insert":
        return _("Análisis de causas, ronda %(n)s, iniciado", n=round_)
    return _("Análisis de causas, ronda %(n)s, actualizado", n=round_)


def timeline(nc: Nonconformity) -> list[Step]:
    children = _children(nc)
    clauses = [and_(AuditEvent.entity_type == "nonconformity",
                    AuditEvent.entity_id == str(nc.id))]
    clauses += [and_(AuditEvent.entity_type == kind, AuditEvent.entity_id.in_(list(rows)))
                for kind, rows in children.items() if rows]
    events = db.session.scalars(select(AuditEvent).where(or_(*clauses)).order_by(AuditEvent.id))
    steps: list[Step] = []
    for event in events:
        obj = children.get(event.entity_type, {}).get(event.entity_id)
        if event.entity_type == "nonconformity":
            title = _nc_title(event)
        elif event.entity_type == "corrective_action":
            title = _action_title(event, obj)
        elif event.entity_type == "nc_verification":
            title = _verification_title(event)
        elif event.entity_type == "nc_analysis":
            title = _analysis_title(event, obj)
        else:
            title = _("Archivo adjuntado: %(n)s", n=obj.stored.original_name if obj else "")
        if title is None:
            continue
        changes = []
        if event.action not in ("insert", "report") and event.after:
            changes = [(k, (event.before or {}).get(k), v) for k, v in event.after.items()
                       if k not in HIDDEN]
        elif event.entity_type in ("corrective_action", "nc_verification") and event.after:
            changes = [(k, None, v) for k, v in event.after.items()
                       if k in ("description", "due_on", "planned_on") and v]
        steps.append(Step(when=event.occurred_at, actor=event.actor_label, title=title,
                          note=event.note, changes=changes, kind=event.entity_type))
    return steps
