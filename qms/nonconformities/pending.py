""""Mis pendientes" of the NC register: actions I own, verifications assigned to me, and
the open NCs of the processes I own. Each kind has a counter (one aggregate, read from an
index on its owner column) and a provider that loads one page of rows."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Index, func, select
from sqlalchemy.orm import contains_eager

from qms.auth.models import Role
from qms.core.pending import (
    PendingItem,
    PendingWindow,
    count_columns,
    pending_counter,
    pending_provider,
)
from qms.extensions import db
from qms.nonconformities.enums import OPEN_STATUSES, ActionStatus
from qms.nonconformities.models import CorrectiveAction, EffectivenessVerification, Nonconformity
from qms.processes.models import Process

_OPEN = [s.value for s in OPEN_STATUSES]

# The indexes behind these counters and pages (migration 0018_home_indexes), declared
# beside the queries they serve: a person's actions in due-date order with what the
# filters read (status, NC), and their pending verifications, without a table read.
Index("ix_corrective_action_owner_due", CorrectiveAction.owner_id, CorrectiveAction.due_on,
      CorrectiveAction.id, CorrectiveAction.status, CorrectiveAction.nc_id)
Index("ix_nc_verification_verifier_result", EffectivenessVerification.verifier_id,
      EffectivenessVerification.result, EffectivenessVerification.planned_on,
      EffectivenessVerification.nc_id)


def _nc_title(nc: Nonconformity) -> str:
    return f"{nc.code} · {nc.title}"


def open_actions_owned_by(user_id: int):
    """The query of open actions of open NCs that ``user_id`` owns (card and page)."""
    return (select(CorrectiveAction).join(CorrectiveAction.nc)
            .where(CorrectiveAction.owner_id == user_id,
                   CorrectiveAction.status != ActionStatus.DONE,
                   Nonconformity.status.in_(_OPEN)))


@pending_provider("nc_action", _l("Acciones correctivas a mi cargo"))
def my_actions(user, window: PendingWindow) -> list[PendingItem]:
    actions = db.session.scalars(window.apply(
        open_actions_owned_by(user.id).options(contains_eager(CorrectiveAction.nc)),
        CorrectiveAction.due_on, CorrectiveAction.id))
    return [PendingItem("nc_action", _("Realizar %(a)s", a=a.label),
                        f"{a.label} · {a.description[:120]}",
                        url_for("nonconformities.detail", nc_id=a.nc_id,
                                _anchor=f"accion-{a.number}"),
                        due_on=a.due_on, detail=_nc_title(a.nc)) for a in actions]


@pending_counter("nc_action")
def count_my_actions(user, today):
    return (select(*count_columns(CorrectiveAction.due_on, today))
            .select_from(CorrectiveAction).join(CorrectiveAction.nc)
            .where(CorrectiveAction.owner_id == user.id,
                   CorrectiveAction.status != ActionStatus.DONE,
                   Nonconformity.status.in_(_OPEN)))


def _my_verifications(user_id: int):
    return (select(EffectivenessVerification).join(EffectivenessVerification.nc)
            .where(EffectivenessVerification.verifier_id == user_id,
                   EffectivenessVerification.result.is_(None), Nonconformity.status.in_(_OPEN)))


@pending_provider("nc_verification", _l("Verificaciones de eficacia asignadas a mí"))
def my_verifications(user, window: PendingWindow) -> list[PendingItem]:
    rows = db.session.scalars(window.apply(
        _my_verifications(user.id).options(contains_eager(EffectivenessVerification.nc)),
        EffectivenessVerification.planned_on, EffectivenessVerification.id))
    return [PendingItem("nc_verification", _("Verificar la eficacia"), _nc_title(v.nc),
                        url_for("nonconformities.detail", nc_id=v.nc_id),
                        due_on=v.planned_on) for v in rows]


@pending_counter("nc_verification")
def count_my_verifications(user, today):
    return (select(*count_columns(EffectivenessVerification.planned_on, today))
            .select_from(EffectivenessVerification).join(EffectivenessVerification.nc)
            .where(EffectivenessVerification.verifier_id == user.id,
                   EffectivenessVerification.result.is_(None), Nonconformity.status.in_(_OPEN)))


def _earliest_open_action():
    """An NC's earliest due date among its actions not done (one probe of the
    (nc, status, due) index per NC)."""
    return (select(func.min(CorrectiveAction.due_on))
            .where(CorrectiveAction.nc_id == Nonconformity.id,
                   CorrectiveAction.status != ActionStatus.DONE)
            .correlate(Nonconformity).scalar_subquery())


def _my_process_ncs(user_id: int):
    return (Nonconformity.status.in_(_OPEN),
            Nonconformity.process_id.in_(select(Process.id).where(Process.owner_id == user_id)))


@pending_provider("nc_process", _l("No conformidades de mis procesos"))
def my_process_ncs(user, window: PendingWindow) -> list[PendingItem]:
    """Open NCs of the processes the user owns; due = their earliest open action's date."""
    if user.role != Role.PROCESS_OWNER:
        return []
    due = _earliest_open_action().label("due")
    rows = db.session.execute(window.apply(
        select(Nonconformity, due).where(*_my_process_ncs(user.id)), due,
        Nonconformity.year, Nonconformity.number))
    return [PendingItem("nc_process", _("Siguiente paso: %(s)s", s=nc.status.label),
                        _nc_title(nc),
                        url_for("nonconformities.detail", nc_id=nc.id), due_on=due)
            for nc, due in rows]


@pending_counter("nc_process")
def count_my_process_ncs(user, today):
    if user.role != Role.PROCESS_OWNER:
        return None
    return select(*count_columns(_earliest_open_action(), today)).where(
        *_my_process_ncs(user.id))
