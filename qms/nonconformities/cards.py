"""The nonconformities card on the home page: every figure links to its filtered list."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import case, func, select

from qms.core import summaries
from qms.core.dashboard import Card, Figure, card_provider
from qms.core.pending import pending_count
from qms.core.permissions import can
from qms.extensions import db
from qms.nonconformities.enums import OPEN_STATUSES
from qms.nonconformities.models import Nonconformity


def open_and_overdue_query():
    """Open NCs and those with an overdue action: one aggregate over the status index
    with a probe of the (nc, status, due) index per open NC."""
    return (select(func.count(), func.count(case((Nonconformity.overdue, 1))))
            .where(Nonconformity.status.in_([s.value for s in OPEN_STATUSES])))


def _open_and_overdue() -> tuple[int, int]:
    return tuple(db.session.execute(open_and_overdue_query()).one())  # kept while unchanged


@card_provider
def _nc_card(user) -> Card | None:
    if not can(user, "nc.create"):  # who only reads (the certifier) has nothing to act on
        return None
    open_, overdue = summaries.kept("nc_card", _open_and_overdue)
    return Card(title=_("No conformidades"), url=url_for("nonconformities.list"), order=30,
                figures=[
                    Figure(_("Abiertas"), open_, url_for("nonconformities.list", open_only=1)),
                    Figure(_("Con acciones vencidas"), overdue,
                           url_for("nonconformities.list", overdue=1)),
                    Figure(_("Mis acciones pendientes"), pending_count(user, "nc_action").total,
                           url_for("core.pending", tipo="nc_action")),
                ])
