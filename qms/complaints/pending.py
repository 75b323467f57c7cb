""""Mis pendientes" of the complaints register: open complaints assigned to me."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import g, has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Index, and_, case, func, or_, select

from qms.complaints import services
from qms.complaints.models import Complaint, ComplaintStatus
from qms.core.pending import PendingItem, PendingWindow, pending_counter, pending_provider
from qms.core.settings import get_setting
from qms.core.time import local_zone
from qms.extensions import db

_OPEN = [ComplaintStatus.RECEIVED, ComplaintStatus.UNDER_REVIEW]

#: Open complaints assigned to a person (migration 0018_home_indexes).
Index("ix_complaint_handler_status", Complaint.handled_by_id, Complaint.status)


def late_if_received_before(today: date, working_days: int) -> datetime:
    """The instant before which a complaint received is late today for a deadline of
    ``working_days``: ``today > add_working_days(local day received, working_days)`` holds
    exactly for the local days before the first one whose deadline is today or later."""
    day = today
    while services.add_working_days(day - timedelta(days=1), working_days) >= today:
        day -= timedelta(days=1)
    return datetime.combine(day, time.min, tzinfo=local_zone()).astimezone(UTC)


def _awaiting_acknowledgement():
    return and_(Complaint.acknowledged_at.is_(None), Complaint.status == ComplaintStatus.RECEIVED)


def _thresholds(today: date) -> tuple[datetime, datetime]:
    """(acknowledge, answer): received before these instants is late today (read once
    per request: the card and the counter both need them)."""
    memo = g.setdefault("qms_complaint_thresholds", {}) if has_request_context() else {}
    if today not in memo:
        memo[today] = (
            late_if_received_before(today, int(get_setting(services.ACK_DAYS.key))),
            late_if_received_before(today, int(get_setting(services.ANSWER_DAYS.key))))
    return memo[today]


def late_condition(today: date):
    """``services.overdue(complaint, today)`` is not empty, as a condition."""
    ack, answer = _thresholds(today)
    return or_(and_(_awaiting_acknowledgement(), Complaint.received_at < ack),
               and_(Complaint.status.in_(_OPEN), Complaint.received_at < answer))


def _pending_late_condition(today: date):
    """The item's own deadline has passed: acknowledging while it awaits acknowledgement,
    answering afterwards."""
    ack, answer = _thresholds(today)
    return case((_awaiting_acknowledgement(), Complaint.received_at < ack),
                else_=Complaint.received_at < answer)


@pending_provider("complaint", _l("Quejas asignadas a mí"))
def my_complaints(user, window: PendingWindow) -> list[PendingItem]:
    # A handler's own open complaints (a short list): their deadlines are working days,
    # computed here, then the window keeps the page's share.
    complaints = db.session.scalars(select(Complaint).where(
        Complaint.handled_by_id == user.id, Complaint.status.in_(_OPEN))
        .order_by(Complaint.received_at))
    items = []
    for c in complaints:
        acknowledge = c.acknowledged_at is None and c.status == ComplaintStatus.RECEIVED
        items.append(PendingItem(
            "complaint", _("Acusar recibo") if acknowledge else _("Responder"),
            f"{c.tracking_code} · {c.category.label}",
            url_for("complaints.detail", complaint_id=c.id),
            due_on=services.acknowledge_due(c) if acknowledge else services.answer_due(c)))
    return window.keep(items)


@pending_counter("complaint")
def count_my_complaints(user, today):
    return select(func.count().label("total"),
                  func.count(case((_pending_late_condition(today), 1))).label("overdue")).where(
        Complaint.handled_by_id == user.id, Complaint.status.in_(_OPEN))
