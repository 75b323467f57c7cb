"""Who may see objectives, manage them, and enter their KPI values.

Quality officers (and administrators) manage objectives and may enter any value; a
process owner enters values for the objectives of the processes they own; managers,
auditors and certifiers read.
"""

from qms.core.permissions import SGC_EDITORS, STAFF_ROLES, allow_roles, policy
from qms.core.roles import Role

allow_roles("objective.view", *STAFF_ROLES)
allow_roles("objective.manage", *SGC_EDITORS)
allow_roles("objective.compute", *SGC_EDITORS)
#: Importing a CSV: each row is still checked against ``objective.record``.
allow_roles("objective.import", *SGC_EDITORS, Role.PROCESS_OWNER)


@policy("objective.record")
def can_record_value(user, objective=None) -> bool:
    """The SGC's editors; a process owner for an objective of a process they own."""
    if user.role in SGC_EDITORS:
        return True
    if user.role != Role.PROCESS_OWNER:
        return False
    if objective is None:
        return True  # coarse check (a page with objectives of their own)
    return objective.process is not None and objective.process.owner_id == user.id
