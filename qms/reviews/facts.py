"""Facts about management reviews other domains may read (evidence packs, reminders,
the dashboard): plain frozen data, no models.

Each function is self-contained and returns plain data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

#: Where the reviews live in the web UI (the blueprint's prefix; links in facts).
URL_PREFIX = "/revision-direccion"


@dataclass(frozen=True)
class ReviewDecisionFact:
    kind_label: str
    text: str
    action_owner: str | None
    action_due: date | None
    action_status_label: str | None


@dataclass(frozen=True)
class ReviewFact:
    id: int
    code: str
    title: str
    held_on: date | None
    period_start: date
    period_end: date
    status_label: str
    minutes_approved_at: datetime | None
    approved_by: str | None
    snapshot_sha256: str | None
    decisions: tuple[ReviewDecisionFact, ...]
    url: str


def reviews_in_period(start: date, end: date) -> list[ReviewFact]:
    """Reviews held (or, not yet held, planned) within ``start``–``end`` (local dates,
    both included), cancelled ones left out, by date. Two queries."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import joinedload, selectinload

    from qms.extensions import db
    from qms.reviews.enums import ReviewStatus
    from qms.reviews.models import ManagementReview, ReviewDecision

    day = func.coalesce(ManagementReview.held_on, ManagementReview.planned_on)
    reviews = db.session.scalars(
        select(ManagementReview)
        .options(joinedload(ManagementReview.minutes_approved_by),
                 selectinload(ManagementReview.decisions)
                 .joinedload(ReviewDecision.action_owner))
        .where(ManagementReview.status != ReviewStatus.CANCELLED, day >= start, day <= end)
        .order_by(day, ManagementReview.id)).unique().all()
    facts = []
    for r in reviews:
        decisions = tuple(ReviewDecisionFact(
            d.kind.label, d.text, d.action_owner.full_name if d.action_owner else None,
            d.action_due_on, d.action_status.label if d.action_status else None)
            for d in r.decisions)
        facts.append(ReviewFact(
            r.id, r.code, r.title, r.held_on, r.period_start, r.period_end, r.status.label,
            r.minutes_approved_at,
            r.minutes_approved_by.full_name if r.minutes_approved_by else None,
            r.snapshot_sha256, decisions, f"{URL_PREFIX}/{r.id}"))
    return facts


def review_minutes_pdf(review_id: int) -> bytes | None:
    """The approved, signed minutes PDF exactly as stored; None if not approved."""
    from qms.core.storage import blob_path
    from qms.extensions import db
    from qms.reviews.enums import ReviewStatus
    from qms.reviews.models import ManagementReview

    review = db.session.get(ManagementReview, review_id)
    if review is None or review.status != ReviewStatus.MINUTES_APPROVED \
            or review.minutes_file is None:
        return None
    return blob_path(review.minutes_file.sha256).read_bytes()


@dataclass(frozen=True)
class DueReviewActionFact:
    decision_id: int
    review_id: int
    review_code: str
    label: str
    text: str
    owner_id: int
    due_on: date


def due_review_actions(until: date) -> list[DueReviewActionFact]:
    """Actions decided in management reviews, not done, due on or before ``until``
    (reviews not cancelled). One query."""
    from sqlalchemy import select

    from qms.extensions import db
    from qms.reviews.enums import ReviewActionStatus, ReviewStatus
    from qms.reviews.models import ManagementReview, ReviewDecision

    rows = db.session.execute(
        select(ReviewDecision.id, ReviewDecision.number, ReviewDecision.text,
               ReviewDecision.action_owner_id, ReviewDecision.action_due_on,
               ManagementReview.id.label("review_id"), ManagementReview.code)
        .join(ManagementReview, ManagementReview.id == ReviewDecision.review_id)
        .where(ReviewDecision.action_owner_id.is_not(None),
               ReviewDecision.action_status != ReviewActionStatus.DONE,
               ReviewDecision.action_due_on <= until,
               ManagementReview.status != ReviewStatus.CANCELLED))
    return [DueReviewActionFact(r.id, r.review_id, r.code, f"D-{r.number}", r.text,
                                r.action_owner_id, r.action_due_on) for r in rows]
