"""Who may generate, read, share and audit evidence packs.

The SGC's editors (quality officer, admin) generate and share packs and read the log of
what certifiers opened; top management reads the packs. A certifier reads a pack only
while a share of it to them is in force.
"""

from __future__ import annotations

from qms.core.permissions import SGC_EDITORS, allow_roles, policy
from qms.core.roles import Role

#: Generate, share, widen, revoke; read every pack and the certifiers' log.
allow_roles("evidence.manage", *SGC_EDITORS)
allow_roles("evidence.access_log", *SGC_EDITORS)
#: The list of packs: editors and managers see all, a certifier the ones shared with it.
allow_roles("evidence.list", *SGC_EDITORS, Role.MANAGER, Role.CERTIFIER)


@policy("evidence.view")
def can_view_pack(user, pack=None) -> bool:
    """See a pack's page and download it."""
    if user.role in SGC_EDITORS or user.role == Role.MANAGER:
        return True
    if user.role != Role.CERTIFIER or pack is None:
        return False
    from qms.evidence.services import active_shares

    return any(s.pack_id == pack.id for s in active_shares(user.id))
