"""Who may see and change management reviews.

Quality officers (and administrators) plan, compile, enter inputs, hold and record
decisions; top management approves the minutes; action owners record their action's
progress; every staff role reads (process owners see, certifiers read)."""

from qms.auth.models import Role
from qms.core.permissions import SGC_EDITORS, STAFF_ROLES, allow_roles, policy
from qms.reviews.enums import ReviewStatus

allow_roles("review.view", *STAFF_ROLES)
allow_roles("review.create", *SGC_EDITORS)


@policy("review.edit")
def can_edit_review(user, review=None) -> bool:
    """Editors, on a review not yet approved nor cancelled."""
    if user.role not in SGC_EDITORS:
        return False
    return review is None or review.status in (ReviewStatus.PLANNED, ReviewStatus.HELD)


@policy("review.approve")
def can_approve_minutes(user, review=None) -> bool:
    """Top management, on a held review."""
    if user.role != Role.MANAGER:
        return False
    return review is None or review.status == ReviewStatus.HELD


@policy("review.action_update")
def can_update_action(user, decision=None) -> bool:
    """Editors and the action's owner, on a decision with an action of a live review."""
    if decision is None:
        return user.role in SGC_EDITORS
    if not decision.has_action or decision.review.status not in (
            ReviewStatus.HELD, ReviewStatus.MINUTES_APPROVED):
        return False
    return user.role in SGC_EDITORS or decision.action_owner_id == user.id
