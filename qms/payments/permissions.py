"""Who sees and imports the payment aggregates."""

from qms.core.permissions import SGC_EDITORS, STAFF_ROLES, allow_roles

allow_roles("payments.view", *STAFF_ROLES)
allow_roles("payments.import", *SGC_EDITORS)
