"""Who may manage accounts and read the audit trail."""

from qms.auth.models import Role
from qms.core.permissions import allow_roles, policy

allow_roles("user.manage", Role.ADMIN)
allow_roles("audit_log.view", Role.ADMIN, Role.QUALITY_OFFICER, Role.MANAGER, Role.AUDITOR,
            Role.CERTIFIER)
#: "Mis pendientes": everybody who can be given work (an external certifier only reads).
allow_roles("pending.view", *(role for role in Role if role != Role.CERTIFIER))


@policy("token.manage")
def can_manage_tokens(user, obj=None) -> bool:
    """Everybody but certifiers may hold API tokens; a token is managed by its owner."""
    if user.role == Role.CERTIFIER:
        return False
    return obj is None or obj.user_id == user.id
