"""Who may see and change processes."""

from qms.auth.models import Role
from qms.core.permissions import SGC_EDITORS, STAFF_ROLES, allow_roles, policy

allow_roles("process.view", *STAFF_ROLES)
allow_roles("process.create", *SGC_EDITORS)
allow_roles("process.reassign", *SGC_EDITORS)


@policy("process.edit")
def can_edit_process(user, process=None) -> bool:
    """The SGC's editors, and a process owner for their own process."""
    if user.role in SGC_EDITORS:
        return True
    return (
        user.role == Role.PROCESS_OWNER and process is not None and process.owner_id == user.id
    )
