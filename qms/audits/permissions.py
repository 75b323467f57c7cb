"""Who may see and act on audits.

Everybody on the staff reads audits (certifiers too, within their dates). Auditors and
the SGC's editors plan them; the lead auditor edits the plan and team of their own audit;
the audit team (lead and auditors) answers the checklist and records findings — for an
external audit the quality officer records what the certification body found; only the
lead signs the report; the owner of a finding's process answers it.
"""

from qms.audits.enums import EDITABLE_STATUSES, AuditStatus
from qms.auth.models import Role
from qms.core.permissions import SGC_EDITORS, STAFF_ROLES, allow_roles, policy

allow_roles("audit.view", *STAFF_ROLES)
allow_roles("audit.plan", *SGC_EDITORS, Role.AUDITOR)
allow_roles("audit.programme.edit", *SGC_EDITORS)


def is_lead(user, audit) -> bool:
    return audit is not None and any(m.user_id == user.id and m.role.value == "lead"
                                     for m in audit.members)


def on_team(user, audit) -> bool:
    return audit is not None and any(m.user_id == user.id and m.role.audits
                                     for m in audit.members)


@policy("audit.edit")
def can_edit(user, audit=None) -> bool:
    """Change the plan and the team, start, cancel, close."""
    if user.role == Role.CERTIFIER:
        return False
    if user.role in SGC_EDITORS:
        return True
    return user.role == Role.AUDITOR and (audit is None or is_lead(user, audit))


@policy("audit.perform")
def can_perform(user, audit=None) -> bool:
    """Answer the checklist, attach evidence, record findings, import offline results."""
    if audit is None or user.role == Role.CERTIFIER:
        return False
    if audit.audit_type.is_external:
        return user.role in SGC_EDITORS
    return on_team(user, audit)


@policy("audit.sign")
def can_sign(user, audit=None) -> bool:
    """Sign the report: the lead auditor (for an external audit, the quality officer who
    registers the certification body's report)."""
    if audit is None or user.role == Role.CERTIFIER:
        return False
    if audit.audit_type.is_external:
        return user.role in SGC_EDITORS
    return is_lead(user, audit)


@policy("audit.correct")
def can_correct(user, audit=None) -> bool:
    """Record a correction of a reported audit (an audit-trail event)."""
    if audit is None or audit.status in EDITABLE_STATUSES or audit.status == AuditStatus.CANCELLED:
        return user.role in SGC_EDITORS if audit is None else False
    return user.role in SGC_EDITORS or is_lead(user, audit)


@policy("audit.finding.respond")
def can_respond(user, finding=None) -> bool:
    """The owner of the finding's process answers it (and the SGC's editors)."""
    if finding is None or user.role == Role.CERTIFIER:
        return False
    if user.role in SGC_EDITORS:
        return True
    return finding.process is not None and finding.process.owner_id == user.id
