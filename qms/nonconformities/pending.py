""""Mis pendientes" of the NC register: actions I own, verifications assigned to me, and
the open NCs of the processes I own. One query each, whatever the number of rows."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from qms.auth.models import Role
from qms.core.pending import PendingItem, pending_provider
from qms.extensions import db
from qms.nonconformities.enums import OPEN_STATUSES, ActionStatus
from qms.nonconformities.models import CorrectiveAction, EffectivenessVerification, Nonconformity
from qms.processes.models import Process

_OPEN = [s.value for s in OPEN_STATUSES]


def _nc_title(nc: Nonconformity) -> str:
    return f"{nc.code} · {nc.title}"


def open_actions_owned_by(user_id: int):
    """The query of open actions of open NCs that ``user_id`` owns (card and page)."""
    return (select(CorrectiveAction).join(CorrectiveAction.nc)
            .where(CorrectiveAction.owner_id == user_id,
                   CorrectiveAction.status != ActionStatus.DONE,
                   Nonconformity.status.in_(_OPEN)))


@pending_provider("nc_action", _l("Acciones correctivas a mi cargo"))
def my_actions(user) -> list[PendingItem]:
    actions = db.session.scalars(open_actions_owned_by(user.id)
                                 .options(contains_eager(CorrectiveAction.nc))
                                 .order_by(CorrectiveAction.due_on))
    return [PendingItem("nc_action", _("Realizar %(a)s", a=a.label),
                        f"{a.label} · {a.description[:120]}",
                        url_for("nonconformities.detail", nc_id=a.nc_id, _anchor=f"accion-{a.number}"),
                        due_on=a.due_on, detail=_nc_title(a.nc)) for a in actions]


@pending_provider("nc_verification", _l("Verificaciones de eficacia asignadas a mí"))
def my_verifications(user) -> list[PendingItem]:
    rows = db.session.scalars(
        select(EffectivenessVerification).join(EffectivenessVerification.nc)
        .where(EffectivenessVerification.verifier_id == user.id,
               EffectivenessVerification.result.is_(None), Nonconformity.status.in_(_OPEN))
        .options(contains_eager(EffectivenessVerification.nc)))
    return [PendingItem("nc_verification", _("Verificar la eficacia"), _nc_title(v.nc),
                        url_for("nonconformities.detail", nc_id=v.nc_id),
                        due_on=v.planned_on) for v in rows]


@pending_provider("nc_process", _l("No conformidades de mis procesos"))
def my_process_ncs(user) -> list[PendingItem]:
    """Open NCs of the processes the user owns; due = their earliest open action's date."""
    if user.role != Role.PROCESS_OWNER:
        return []
    earliest = (select(CorrectiveAction.nc_id, func.min(CorrectiveAction.due_on).label("due"))
                .where(CorrectiveAction.status != ActionStatus.DONE)
                .group_by(CorrectiveAction.nc_id).subquery())
    rows = db.session.execute(
        select(Nonconformity, earliest.c.due).join(Nonconformity.process)
        .outerjoin(earliest, earliest.c.nc_id == Nonconformity.id)
        .where(Process.owner_id == user.id, Nonconformity.status.in_(_OPEN))
        .order_by(Nonconformity.code))
    return [PendingItem("nc_process", _("Siguiente paso: %(s)s", s=nc.status.label),
                        _nc_title(nc),
                        url_for("nonconformities.detail", nc_id=nc.id), due_on=due)
            for nc, due in rows]
