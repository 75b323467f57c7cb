"""The reminder rule of management reviews: actions decided in a review [9.3.3] that are
coming due or overdue, for their owners. Reads only ``qms.reviews.facts``."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

from qms.reminders.models import Stage
from qms.reminders.rules import Context, Item, register
from qms.reviews import facts as review_facts


@register("review_action", label=_l("Acciones de la revisión por la dirección"), days_before=7,
          texts={Stage.DUE: _l("La acción %(label)s de la revisión %(code)s vence el %(due)s"),
                 Stage.OVERDUE: _l("La acción %(label)s de la revisión %(code)s venció el "
                                   "%(due)s"),
                 Stage.ESCALATED: _l("Acción %(label)s de la revisión %(code)s vencida hace "
                                     "%(late)s días")})
def review_actions(ctx: Context) -> Iterable[Item]:
    for action in review_facts.due_review_actions(ctx.horizon("review_action")):
        yield Item("review_decision", action.decision_id, action.due_on, [action.owner_id],
                   {"code": action.review_code, "label": action.label, "title": action.text},
                   ("reviews.detail", {"review_id": action.review_id}))
