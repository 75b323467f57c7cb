"""Who may see what of the reminders: one's own inbox; the outbox is the administrator's."""

from qms.auth.models import Role
from qms.core.permissions import SGC_EDITORS, STAFF_ROLES, allow_roles

#: Every signed-in user has an inbox and preferences (their own only).
allow_roles("reminders.inbox", *STAFF_ROLES)
#: Lead days, escalation and digest hour: those who run the SGC.
allow_roles("reminders.configure", *SGC_EDITORS)
#: The outbox (addresses, errors) and managers for escalation: administrators.
allow_roles("reminders.outbox", Role.ADMIN)
allow_roles("reminders.managers", Role.ADMIN)
