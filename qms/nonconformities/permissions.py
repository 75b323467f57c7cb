"""Who may see and act on nonconformities and their corrective actions.

Quality officers and admins run every NC; a process owner acts on the NCs of the
processes they own and on the actions assigned to them; auditors (and managers and
process owners) may report an NC; certifiers only read.
"""

from qms.auth.models import Role
from qms.core.permissions import SGC_EDITORS, STAFF_ROLES, allow_roles, policy

allow_roles("nc.view", *STAFF_ROLES)
allow_roles("nc.create", Role.ADMIN, Role.QUALITY_OFFICER, Role.PROCESS_OWNER, Role.MANAGER,
            Role.AUDITOR)
#: Closing is signed by the SGC's editors (quality officer, admin).
allow_roles("nc.close", *SGC_EDITORS)
#: Moving an NC to another process (and so to another owner) is for the SGC's editors.
allow_roles("nc.reassign", *SGC_EDITORS)


def owns_process(user, nc) -> bool:
    return (user.role == Role.PROCESS_OWNER and nc is not None
            and nc.process is not None and nc.process.owner_id == user.id)


@policy("nc.manage")
def can_manage(user, nc=None) -> bool:
    """Edit, analyse, plan actions, move through the workflow, cancel."""
    return user.role in SGC_EDITORS or owns_process(user, nc)


@policy("nc.action.update")
def can_update_action(user, action=None) -> bool:
    """Start or complete an action and record its evidence."""
    if user.role in SGC_EDITORS:
        return True
    if action is None or user.role == Role.CERTIFIER:
        return False
    return action.owner_id == user.id or owns_process(user, action.nc)


@policy("nc.action.complete")
def can_complete_action(user, action=None) -> bool:
    """Mark an action done: its owner, or a quality officer on the owner's behalf (with a
    reason, see services.update_action). The process owner does not tick off someone
    else's action."""
    if user.role in SGC_EDITORS:
        return True
    return action is not None and user.role != Role.CERTIFIER and action.owner_id == user.id


@policy("nc.attach")
def can_attach(user, nc=None) -> bool:
    """Attach files to the NC (or as evidence to one of its actions)."""
    if can_manage(user, nc):
        return True
    if nc is None or user.role == Role.CERTIFIER:
        return False
    return any(a.owner_id == user.id for a in nc.actions)


@policy("nc.verify")
def can_verify(user, nc=None) -> bool:
    """Record the effectiveness result: only the assigned verifier (whoever records is whoever
    the record names), never the owner of the NC's process. A quality officer who must record
    it reassigns the verification to themselves first, with a reason."""
    if nc is None or user.role == Role.CERTIFIER:
        return False
    if nc.process is not None and nc.process.owner_id == user.id:
        return False
    pending = nc.pending_verification
    return pending is not None and pending.verifier_id == user.id


#: NCs raised by somebody outside the process: the auditee answers them, but only the
#: quality officer changes their severity or origin, or cancels them.
INDEPENDENT_SOURCES = frozenset({"internal_audit", "external_audit", "citizen_complaint",
                                 "satisfaction_survey"})


@policy("nc.settle")
def can_settle(user, nc=None) -> bool:
    """Change the severity or origin of an NC, or cancel it."""
    if user.role in SGC_EDITORS:
        return True
    if nc is not None and getattr(nc.source, "value", nc.source) in INDEPENDENT_SOURCES:
        return False
    return can_manage(user, nc)


#: Handing a pending verification to another verifier (audit event with the reason).
allow_roles("nc.verifier.reassign", *SGC_EDITORS)
