"""Who sees the dashboard on their home page."""

from qms.core.permissions import allow_roles
from qms.core.roles import Role

allow_roles("dashboard.view", Role.MANAGER, Role.QUALITY_OFFICER)
