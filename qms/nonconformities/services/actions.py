"""Corrective actions [10.2.1 c)]: planned, started, done with their evidence, and the
move into implementation."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from qms.auth.models import User
from qms.core.db import now_utc
from qms.core.errors import TransitionError, ValidationError, check_version
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


def update_action(action: CorrectiveAction, *, expected_version: int | None,
                  status: ActionStatus | str | None = None,
                  evidence: str | None = None) -> CorrectiveAction:
    """Move an action planned → in_progress → done; done needs its evidence."""
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
            if nc.status != S.IMPLEMENTATION:
                raise TransitionError(_l("Inicie la implementación antes de dar acciones por "
                                         "realizadas."))
            if not action.evidence and not action.attachments:
                raise ValidationError(_l("Describa la evidencia de lo realizado (y adjunte "
                                         "archivos si los hay)."), field="evidence")
            action.completed_at = now_utc()
        if target == ActionStatus.IN_PROGRESS:
            action.started_on = today_local()
        ACTION_FLOW.move(action, target)
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
