"""Read-and-acknowledge: who must read a document's revision in force, and who confirmed."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from qms.auth.models import User
from qms.core.errors import TransitionError, ValidationError
from qms.documents import services
from qms.documents.models import Acknowledgement, Document, Revision
from qms.extensions import db


def recipients(document: Document) -> list[User]:
    """Active users on the distribution list, directly or through their role."""
    user_ids = [e.user_id for e in document.distribution if e.user_id]
    roles = [e.role for e in document.distribution if e.role]
    if not user_ids and not roles:
        return []
    conditions = []
    if user_ids:
        conditions.append(User.id.in_(user_ids))
    if roles:
        conditions.append(User.role.in_(roles))
    users = db.session.scalars(select(User).where(or_(*conditions)).order_by(User.full_name))
    return [u for u in users if u.is_active]


def is_recipient(user: User, document: Document) -> bool:
    return any(e.user_id == user.id or e.role == user.role for e in document.distribution)


def acknowledgement(revision: Revision, user: User) -> Acknowledgement | None:
    return db.session.scalar(select(Acknowledgement).where(
        Acknowledgement.revision_id == revision.id, Acknowledgement.user_id == user.id))


@dataclass
class ReadingStatus:
    revision: Revision | None
    confirmed: list[tuple[User, Acknowledgement]]
    pending: list[User]


def reading_status(document: Document) -> ReadingStatus:
    """Who has and has not confirmed reading the revision in force today."""
    revision = services.current_revision(document)
    if revision is None:
        return ReadingStatus(None, [], [])
    acks = {a.user_id: a for a in db.session.scalars(
        select(Acknowledgement).where(Acknowledgement.revision_id == revision.id))}
    confirmed, pending = [], []
    for user in recipients(document):
        if user.id in acks:
            confirmed.append((user, acks[user.id]))
        else:
            pending.append(user)
    return ReadingStatus(revision, confirmed, pending)


def acknowledge(revision: Revision, user: User) -> Acknowledgement:
    """Record that ``user`` read ``revision``; only the revision in force, only once."""
    document = revision.document
    if not is_recipient(user, document):
        raise ValidationError(_l("Usted no está en la lista de distribución de este documento."))
    if services.current_revision(document) is not revision:
        raise TransitionError(_l("Solo se confirma la lectura de la revisión vigente."))
    if acknowledgement(revision, user) is not None:
        raise TransitionError(_l("Usted ya confirmó la lectura de esta revisión."))
    ack = Acknowledgement(revision=revision, user=user)
    try:
        with db.session.begin_nested():
            db.session.add(ack)
    except IntegrityError:  # a double click that raced
        raise TransitionError(_l("Usted ya confirmó la lectura de esta revisión.")) from None
    return ack


def documents_to_read(user: User) -> list[tuple[Document, Revision]]:
    """Documents in force whose distribution includes ``user`` and that they have not
    confirmed, by code. One query whatever the number of documents."""
    from qms.core.time import today_local
    from qms.documents.queries import to_read

    return [(document, revision) for document, revision in db.session.execute(
        to_read(user, today_local()).order_by(Document.code))]
