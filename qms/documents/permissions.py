"""Who may see, change, approve and publish controlled documents.

Coarse rules by role; per-object rules (owner of the document or of its process,
segregation of duties for approval) live here too, so views, API and templates agree.
"""

from __future__ import annotations

from qms.auth.models import Role
from qms.core.permissions import SGC_EDITORS, STAFF_ROLES, allow_roles, policy

#: Who signs approvals. Policy-level documents (policy, manual) need top management.
APPROVER_ROLES = frozenset({Role.QUALITY_OFFICER, Role.MANAGER})
POLICY_LEVEL_APPROVERS = frozenset({Role.MANAGER})

allow_roles("document.view", *STAFF_ROLES)
allow_roles("document.create", *SGC_EDITORS)
allow_roles("document.export", *STAFF_ROLES)
#: Publishing (approved → effective) and withdrawing are document control's job.
allow_roles("document.publish", *SGC_EDITORS)
allow_roles("document.withdraw", *SGC_EDITORS)
#: Moving a document to another process, or changing its owner, type or confidentiality.
allow_roles("document.reclassify", *SGC_EDITORS)
#: Anyone with a login has a reading list (possibly empty).
allow_roles("document.reading_list", *STAFF_ROLES)


def owns(user, document) -> bool:
    """The document's named owner, or the owner of its process."""
    if document is None:
        return False
    if document.owner_id == user.id:
        return True
    return document.process is not None and document.process.owner_id == user.id


@policy("document.edit")
def can_edit_document(user, document=None) -> bool:
    """Edit the register entry and the drafts of a document."""
    if user.role in SGC_EDITORS:
        return True
    return user.role == Role.PROCESS_OWNER and owns(user, document)


@policy("document.draft")
def can_draft(user, document=None) -> bool:
    """Start a new revision, edit a draft or send it for review."""
    return can_edit_document(user, document)


def approver_roles_for(document) -> frozenset[Role]:
    from qms.documents.models import DocumentType

    if document is not None and document.doc_type in (DocumentType.POLICY, DocumentType.MANUAL):
        return POLICY_LEVEL_APPROVERS
    return APPROVER_ROLES


@policy("revision.approve")
def can_approve(user, revision=None) -> bool:
    """Approvers for the document's type, never the revision's author or submitter."""
    document = revision.document if revision is not None else None
    if user.role not in approver_roles_for(document):
        return False
    if revision is None:
        return True
    return user.id not in (revision.author_id, revision.submitted_by_id)


@policy("revision.return")
def can_return(user, revision=None) -> bool:
    """Send a revision under review back to its author with comments."""
    document = revision.document if revision is not None else None
    return user.role in approver_roles_for(document) or user.role in SGC_EDITORS
