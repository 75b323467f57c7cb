"""The nonconformities card on the home page: every figure links to its filtered list."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from qms.core.dashboard import Card, Figure, card_provider
from qms.core.pending import pending_for
from qms.core.permissions import can
from qms.extensions import db
from qms.nonconformities import services
from qms.nonconformities.models import Nonconformity


@card_provider
def _nc_card(user) -> Card | None:
    if not can(user, "nc.create"):  # who only reads (the certifier) has nothing to act on
        return None
    overdue = db.session.scalar(select(db.func.count(Nonconformity.id))
                                .where(Nonconformity.overdue))
    return Card(title=_("No conformidades"), url=url_for("nonconformities.list"), order=30,
                figures=[
                    Figure(_("Abiertas"), services.count_open(),
                           url_for("nonconformities.list", open_only=1)),
                    Figure(_("Con acciones vencidas"), overdue,
                           url_for("nonconformities.list", overdue=1)),
                    Figure(_("Mis acciones pendientes"), len(pending_for(user, "nc_action")),
                           url_for("core.pending", tipo="nc_action")),
                ])
