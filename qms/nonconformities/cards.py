"""The nonconformities card on the home page."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from qms.core.dashboard import Card, card_provider
from qms.core.permissions import can
from qms.extensions import db
from qms.nonconformities import services
from qms.nonconformities.enums import OPEN_STATUSES, ActionStatus
from qms.nonconformities.models import CorrectiveAction, Nonconformity


@card_provider
def _nc_card(user) -> Card | None:
    if not can(user, "nc.view"):
        return None
    overdue = db.session.scalar(select(db.func.count(Nonconformity.id))
                                .where(Nonconformity.overdue))
    mine = db.session.scalar(
        select(db.func.count(CorrectiveAction.id)).join(CorrectiveAction.nc).where(
            CorrectiveAction.owner_id == user.id, CorrectiveAction.status != ActionStatus.DONE,
            Nonconformity.status.in_([s.value for s in OPEN_STATUSES])))
    return Card(title=_("No conformidades"), url=url_for("nonconformities.list"), order=30,
                figures=[(_("Abiertas"), services.count_open()),
                         (_("Con acciones vencidas"), overdue),
                         (_("Mis acciones pendientes"), mine)])
