"""Corrective actions [10.2.1 c)]: planned, started, done with their evidence, and the
move into implementation."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from qms.auth.models import User
from qms.core import audit
from qms.core.db import now_utc
from qms.core.errors import PermissionDenied, TransitionError, ValidationError, check_version
from qms.core.permissions import SGC_EDITORS
from qms.core.time import today_local
from qms.extensions import db
from qms.nonconformities.enums import ActionStatus
from qms.nonconformities.models import CorrectiveAction, Nonconformity
from qms.nonconformities.services.rules import (
    ACTION_FLOW,
    ACTION_STATES,
    NC_FLOW,
    S,
    _check_person,
    _enum,
    _text,
    _touch,
)

# ----------------------------------------------------------------------- actions


def _check_due(nc: Nonconformity, due_on: date | None) -> date:
    if not isinstance(due_on, date):
        raise ValidationError(_l("Indique la fecha límite."), field="due_on")
    if due_on < nc.detected_on:
        raise ValidationError(
            _l("La fecha límite no puede ser anterior a la fecha de detección (%(d)s).",
               d=nc.detected_on.strftime("%d/%m/%Y")), field="due_on")
    return due_on


def add_action(nc: Nonconformity, *, expected_version: int | None, description: str,
               owner: User | None, due_on: date | None) -> CorrectiveAction:
    check_version(nc, expected_version)
    if nc.status not in ACTION_STATES:
        raise TransitionError(_l("Las acciones correctivas se planifican después del análisis "
                                 "de causas, en el plan de acción o la implementación."))
    action = CorrectiveAction(
        nc=nc, number=max((a.number for a in nc.actions), default=0) + 1,
        round=nc.analysis_round, status=ActionStatus.PLANNED,
        description=_text(description, "description", _l("Describa la acción correctiva.")),
        owner=_check_person(owner, "owner_id", _l("Elija un responsable activo.")),
        due_on=_check_due(nc, due_on))
    db.session.add(action)
    _touch(nc)
    db.session.flush()
    return action


def update_action(action: CorrectiveAction, *, expected_version: int | None, actor: User,
                  status: ActionStatus | str | None = None, evidence: str | None = None,
                  on_behalf_reason: str | None = None) -> CorrectiveAction:
    """Move an action planned → in_progress → done; done needs its evidence.

    Whoever records an action as done is whoever the record names: its owner, or a
    quality officer acting on the owner's behalf, who gives a reason that the audit trail
    keeps (``complete_on_behalf``). Nobody else marks someone's action done."""
    check_version(action, expected_version)
    nc = action.nc
    if nc.status not in ACTION_STATES:
        raise TransitionError(_l("La no conformidad no está en plan de acción ni en "
                                 "implementación."))
    if evidence is not None and action.status != ActionStatus.DONE:
        action.evidence = evidence.strip() or None
    target = _enum(ActionStatus, status, "status") if status else None
    if target is not None and target != action.status:
        ACTION_FLOW.check(action, target)
        if target == ActionStatus.DONE:
            note = _completion_note(action, actor, on_behalf_reason)
            if nc.status != S.IMPLEMENTATION:
                raise TransitionError(_l("Inicie la implementación antes de dar acciones por "
                                         "realizadas."))
            if not action.evidence and not action.attachments:
                raise ValidationError(_l("Describa la evidencia de lo realizado (y adjunte "
                                         "archivos si los hay)."), field="evidence")
            action.completed_at = now_utc()
            action.completed_by = actor
        if target == ActionStatus.IN_PROGRESS:
            action.started_on = today_local()
        if target == ActionStatus.DONE and note:
            # the step is named for what it is: done by someone else, with the reason
            action.status = target
            audit.annotate(db.session, action, "complete_on_behalf", note)
        else:
            ACTION_FLOW.move(action, target)
    _touch(nc)
    db.session.flush()
    return action


def _completion_note(action: CorrectiveAction, actor: User, reason: str | None) -> str | None:
    """None when the owner completes their own action; the audit note when a quality
    officer does it for them; a refusal for anybody else."""
    if actor.id == action.owner_id:
        return None
    if actor.role not in SGC_EDITORS:
        raise PermissionDenied(_l(
            "Solo el responsable de %(a)s (%(name)s) puede registrarla como realizada; un "
            "responsable de calidad puede hacerlo en su nombre, indicando el motivo.",
            a=action.label, name=action.owner.full_name))
    reason = _text(reason, "on_behalf_reason", _l(
        "%(a)s es de %(name)s: indique por qué la registra usted en su nombre.",
        a=action.label, name=action.owner.full_name), 1000)
    return f"{actor.full_name} en nombre de {action.owner.full_name}: {reason}"


def replan_action(action: CorrectiveAction, *, expected_version: int | None, actor: User,
                  reason: str, due_on: date | None = None,
                  owner: User | None = None) -> CorrectiveAction:
    """Change the due date and/or the owner of an open action, with a reason kept in the
    audit trail (``replan``); the due date it replaces stays on the action."""
    check_version(action, expected_version)
    nc = action.nc
    if nc.status not in ACTION_STATES or action.status == ActionStatus.DONE:
        raise TransitionError(_l("Solo se replanifica una acción abierta de una no conformidad "
                                 "en plan de acción o implementación."))
    new_due = _check_due(nc, due_on) if due_on is not None else action.due_on
    new_owner = (_check_person(owner, "owner_id", _l("Elija un responsable activo."))
                 if owner is not None else action.owner)
    if new_due == action.due_on and new_owner.id == action.owner_id:
        raise ValidationError(_l("Cambie la fecha límite o el responsable."), field="due_on")
    if new_due != action.due_on and new_due < today_local():
        raise ValidationError(_l("La nueva fecha límite no puede ser anterior a hoy."),
                              field="due_on")
    reason = _text(reason, "reason", _l("Indique el motivo de la replanificación."), 1000)
    changes = []
    if new_due != action.due_on:
        changes.append(f"fecha límite {action.due_on.isoformat()} → {new_due.isoformat()}")
        action.previous_due_on = action.due_on
        action.due_on = new_due
    if new_owner.id != action.owner_id:
        changes.append(f"responsable {action.owner.full_name} → {new_owner.full_name}")
        action.owner = new_owner
    audit.annotate(db.session, action, "replan",
                   f"{'; '.join(changes)} ({actor.full_name}): {reason}")
    _touch(nc)
    db.session.flush()
    return action


def start_implementation(nc: Nonconformity, *, expected_version: int | None) -> Nonconformity:
    check_version(nc, expected_version)
    NC_FLOW.check(nc, S.IMPLEMENTATION)
    if not nc.current_actions:
        raise TransitionError(_l("Planifique al menos una acción correctiva."))
    NC_FLOW.move(nc, S.IMPLEMENTATION)
    return nc


def _open_actions_error(nc: Nonconformity, message) -> None:
    if nc.open_actions:
        raise TransitionError(_l("%(msg)s Acciones abiertas: %(list)s.", msg=message,
                                 list=", ".join(a.label for a in nc.open_actions)))
