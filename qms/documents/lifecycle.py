"""The lifecycle of a revision: each transition a function with its guard.

``draft → in_review → approved → effective → superseded | obsolete``; every step is
recorded in the audit trail (named by the workflow), approval is an electronic signature,
and a concurrent change becomes a clear conflict, never a silent overwrite.
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from qms.auth.models import User
from qms.core.audit import AuditEvent
from qms.core.db import now_utc
from qms.core.errors import (
    ConflictError,
    PermissionDenied,
    TransitionError,
    ValidationError,
    check_version,
    stale_message,
)
from qms.core.storage import StoredFile
from qms.core.time import today_local
from qms.core.workflow import Workflow
from qms.documents.models import Document, Revision, RevisionStatus
from qms.documents.permissions import approver_roles_for
from qms.documents.services import flush_or_conflict, open_revision
from qms.extensions import db

S = RevisionStatus
REVISION_FLOW = Workflow("status", {
    S.DRAFT: {S.IN_REVIEW, S.OBSOLETE},
    S.IN_REVIEW: {S.DRAFT, S.APPROVED, S.OBSOLETE},
    S.APPROVED: {S.EFFECTIVE, S.OBSOLETE},
    S.EFFECTIVE: {S.SUPERSEDED, S.OBSOLETE},
})
#: The meaning recorded with an approval signature (21 CFR 11-style "meaning").
APPROVAL_MEANING = "aprobado"
MAX_CONTENT_CHARS = 200_000

def _move(revision: Revision, target: RevisionStatus, note=None) -> None:
    """A workflow step; a concurrent change caught at flush becomes a clear conflict."""
    try:
        REVISION_FLOW.move(revision, target, note=note)
    except StaleDataError:
        raise ConflictError(stale_message()) from None



# ---------------------------------------------------------------------- revisions


def _clean_content(content_md: str | None) -> str:
    content = (content_md or "").replace("\r\n", "\n")
    if len(content) > MAX_CONTENT_CHARS:
        raise ValidationError(_l("El contenido supera %(n)s caracteres.", n=MAX_CONTENT_CHARS),
                              field="content_md")
    return content


def new_revision(document: Document, *, author: User | None, content_md: str = "",
                 change_summary: str = "", file: StoredFile | None = None,
                 source_hash: str | None = None) -> Revision:
    """Start a draft revision; only one revision may be in preparation at a time."""
    pending = open_revision(document)
    if pending is not None:
        raise TransitionError(_l(
            "La revisión %(n)s de este documento aún está en preparación (%(s)s): termínela o "
            "descártela antes de iniciar otra.", n=pending.number, s=pending.status.label))
    number = (db.session.scalar(select(func.max(Revision.number))
                                .where(Revision.document_id == document.id)) or 0) + 1
    revision = Revision(number=number, status=S.DRAFT,
                        content_md=_clean_content(content_md),
                        change_summary=(change_summary or "").strip()[:1000], file=file,
                        author=author, source_hash=source_hash)
    try:
        with db.session.begin_nested():
            db.session.add(revision)
            revision.document = document
    except IntegrityError:
        raise ConflictError(_l("Otra persona inició una revisión de este documento al mismo "
                               "tiempo. Recargue la página.")) from None
    return revision


def update_draft(revision: Revision, *, expected_version: int | None, content_md: str,
                 change_summary: str, file: StoredFile | None = None,
                 remove_file: bool = False) -> Revision:
    """Change a draft. A stale version (someone saved in between) is refused, never merged."""
    if revision.status != S.DRAFT:
        raise TransitionError(_l("Solo se puede editar una revisión en borrador; esta está "
                                 "«%(s)s».", s=revision.status.label))
    check_version(revision, expected_version)
    revision.content_md = _clean_content(content_md)
    revision.change_summary = (change_summary or "").strip()[:1000]
    if file is not None:
        revision.file = file
    elif remove_file:
        revision.file = None
    flush_or_conflict()
    return revision


def submit_for_review(revision: Revision, actor: User, *, expected_version: int | None = None
                      ) -> Revision:
    if expected_version is not None:
        check_version(revision, expected_version)
    REVISION_FLOW.check(revision, S.IN_REVIEW)
    if not revision.content_md.strip() and revision.file_id is None:
        raise ValidationError(_l("La revisión no tiene contenido: escriba el texto o adjunte un "
                                 "archivo antes de enviarla a revisión."), field="content_md")
    revision.submitted_by = actor
    revision.submitted_at = now_utc()
    _move(revision, S.IN_REVIEW)
    return revision


def return_to_draft(revision: Revision, actor: User, reason: str) -> Revision:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_l("Indique qué debe corregirse."), field="reason")
    REVISION_FLOW.check(revision, S.DRAFT)
    revision.status_reason = reason[:1000]
    revision.submitted_by = None
    revision.submitted_at = None
    _move(revision, S.DRAFT, note=reason)
    return revision


def contributed(revision: Revision, user: User) -> bool:
    """Whether ``user`` wrote, edited or submitted the revision (segregation of duties)."""
    if user.id in (revision.author_id, revision.submitted_by_id):
        return True
    return db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.entity_type == Revision.__tablename__,
        AuditEvent.entity_id == str(revision.id),
        AuditEvent.actor_id == user.id,
        AuditEvent.action.in_(("insert", "update")),
    ).limit(1)) is not None


def approve(revision: Revision, approver: User, password: str, *,
            expected_version: int | None = None) -> Revision:
    """Approve with an electronic signature: password re-entered, meaning and time recorded."""
    from qms.auth.services import verify_signature

    if revision.status in (S.APPROVED, S.EFFECTIVE, S.SUPERSEDED):
        raise TransitionError(_l("Esta revisión ya fue aprobada por %(who)s el %(when)s.",
                                 who=revision.approved_by.full_name if revision.approved_by else "—",
                                 when=revision.approved_at.strftime("%Y-%m-%d %H:%M UTC")
                                 if revision.approved_at else "—"))
    if expected_version is not None:
        check_version(revision, expected_version)
    REVISION_FLOW.check(revision, S.APPROVED)
    if approver.role not in approver_roles_for(revision.document):
        raise PermissionDenied(_l("Su rol no puede aprobar documentos de tipo «%(t)s».",
                                  t=revision.document.doc_type.label))
    if contributed(revision, approver):
        raise PermissionDenied(_l("No puede aprobar una revisión que usted elaboró, editó o envió "
                                  "a revisión (separación de funciones)."))
    verify_signature(approver, password)
    when = now_utc()
    revision.approved_by = approver
    revision.approved_at = when
    revision.approval_meaning = APPROVAL_MEANING
    _move(revision, S.APPROVED, note=(
        f"Firma electrónica: {approver.full_name} ({approver.username}), "
        f"significado «{APPROVAL_MEANING}», {when.strftime('%Y-%m-%dT%H:%M:%SZ')}"))
    return revision


def make_effective(revision: Revision, actor: User, effective_from: date | None = None) -> Revision:
    """Publish an approved revision; the one in force is superseded in the same transaction."""
    REVISION_FLOW.check(revision, S.EFFECTIVE)
    today = today_local()
    effective_from = effective_from or today
    if effective_from < today:
        raise ValidationError(_l("La fecha de entrada en vigor no puede ser anterior a hoy."),
                              field="effective_from")
    previous = next((r for r in revision.document.revisions
                     if r.status == S.EFFECTIVE and r.id != revision.id), None)
    if previous is not None:
        if previous.effective_from and effective_from < previous.effective_from:
            raise ValidationError(_l(
                "La revisión %(n)s entra en vigor el %(d)s: la nueva no puede entrar en vigor "
                "antes.", n=previous.number, d=previous.effective_from.isoformat()),
                field="effective_from")
        previous.effective_until = effective_from
        _move(previous, S.SUPERSEDED, note=f"sustituida por la revisión {revision.number}")
    revision.effective_from = effective_from
    revision.published_by = actor
    _move(revision, S.EFFECTIVE, note=f"vigente desde {effective_from.isoformat()}")
    return revision


def make_obsolete(revision: Revision, actor: User, reason: str) -> Revision:
    """Withdraw the effective revision (the document leaves force) or discard one in preparation."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_l("Indique el motivo."), field="reason")
    REVISION_FLOW.check(revision, S.OBSOLETE)
    if revision.status == S.EFFECTIVE:
        revision.effective_until = max(today_local(), revision.effective_from or today_local())
    revision.status_reason = reason[:1000]
    _move(revision, S.OBSOLETE, note=reason)
    return revision


def possible_approvers(revision: Revision, submitter: User) -> list[User]:
    """Who could sign ``revision`` once ``submitter`` sends it: active people of the roles
    that approve its document type, minus everyone who wrote, edited or would submit it
    (two queries). Shown before "Enviar a revisión", so the author knows who will read it."""
    from qms.auth.services import people

    contributors = set(db.session.scalars(select(AuditEvent.actor_id).where(
        AuditEvent.entity_type == Revision.__tablename__,
        AuditEvent.entity_id == str(revision.id),
        AuditEvent.action.in_(("insert", "update")))))
    contributors |= {revision.author_id, submitter.id}
    return [u for u in people(roles=approver_roles_for(revision.document))
            if u.id not in contributors]


def revisions_to_approve(user: User) -> list[Revision]:
    """Revisions under review that ``user`` may sign (one query, documents loaded with it)."""
    candidates = db.session.scalars(select(Revision).where(Revision.status == S.IN_REVIEW)
                                    .options(joinedload(Revision.document))
                                    .order_by(Revision.submitted_at))
    return [r for r in candidates if user.role in approver_roles_for(r.document)
            and user.id not in (r.author_id, r.submitted_by_id)]
