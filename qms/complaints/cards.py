"""The complaints card on the home page: every figure links to its filtered list."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import case, func, select

from qms.complaints.models import Complaint
from qms.complaints.pending import _OPEN, late_condition
from qms.core import summaries
from qms.core.dashboard import Card, Figure, card_provider
from qms.core.pending import pending_count
from qms.core.permissions import can
from qms.core.time import today_local
from qms.extensions import db


def _open_and_late() -> tuple[int, int]:
    """Open complaints and the late ones (``services.overdue``): one aggregate."""
    return tuple(db.session.execute(
        select(func.count(), func.count(case((late_condition(today_local()), 1))))
        .where(Complaint.status.in_(_OPEN))).one())


@card_provider
def _complaints_card(user) -> Card | None:
    if not can(user, "complaint.handle"):  # readers of the register have nothing to do
        return None
    open_, late = summaries.kept("complaints_card", _open_and_late)
    return Card(title=_("Quejas ciudadanas"), url=url_for("complaints.list"), order=45,
                figures=[Figure(_("Abiertas"), open_, url_for("complaints.list", abiertas=1)),
                         Figure(_("Atrasadas"), late, url_for("complaints.list", atrasadas=1)),
                         Figure(_("Asignadas a usted"), pending_count(user, "complaint").total,
                                url_for("core.pending", tipo="complaint"))])
