""""Mis pendientes" of the complaints register: open complaints assigned to me."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from qms.complaints import services
from qms.complaints.models import Complaint, ComplaintStatus
from qms.core.pending import PendingItem, pending_provider
from qms.extensions import db


@pending_provider("complaint", _l("Quejas asignadas a mí"))
def my_complaints(user) -> list[PendingItem]:
    complaints = db.session.scalars(select(Complaint).where(
        Complaint.handled_by_id == user.id,
        Complaint.status.in_([ComplaintStatus.RECEIVED, ComplaintStatus.UNDER_REVIEW]))
        .order_by(Complaint.received_at))
    items = []
    for c in complaints:
        acknowledge = c.acknowledged_at is None and c.status == ComplaintStatus.RECEIVED
        items.append(PendingItem(
            "complaint", _("Acusar recibo") if acknowledge else _("Responder"),
            f"{c.tracking_code} · {c.category.label}",
            url_for("complaints.detail", complaint_id=c.id),
            due_on=services.acknowledge_due(c) if acknowledge else services.answer_due(c)))
    return items
