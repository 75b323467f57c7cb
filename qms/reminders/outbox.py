"""The sender pass: claim committed outbox rows, send them, mark them — safely in parallel.

Delivery guarantees (SMTP itself cannot be exactly-once; the outbox makes it as close
as it can be, and says where it cannot):

1. **Nothing is lost.** A row is stored in the transaction that created the reminder
   and leaves ``pending`` only when a server accepted it (``sent``) or it failed
   ``MAX_ATTEMPTS`` times (``failed``, shown on the outbox page, retried by a button).
   SMTP down = back-off (1, 2, 4… minutes, at most 6 h), not loss.
2. **Never sent by two senders.** A claim is one statement that flips ``pending`` →
   ``sending`` and stamps a random token: ``UPDATE … WHERE id IN (SELECT … FOR UPDATE
   SKIP LOCKED) RETURNING id`` on PostgreSQL, the same ``UPDATE … RETURNING`` inside
   ``BEGIN IMMEDIATE`` on SQLite (one writer at a time). The claim commits before any
   mail leaves, so a second sender never sees the row as pending.
3. **A crash before the server accepted** (the sender is killed after the claim):
   the row stays ``sending``; once its lease (``LEASE``) expires the next pass claims it
   and sends it — once.
4. **A crash after the server accepted but before ``sent`` was committed** is the one
   window no SMTP client can close (the server has the mail, our database does not know).
   The row is resent after the lease **with the same Message-ID** (derived from the
   reminder's key), so the copy is recognisable as the same message; the window is the
   time between the server's ``250`` and our commit (milliseconds).
"""

from __future__ import annotations

import secrets
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update

from qms.auth.models import User
from qms.core.db import now_utc
from qms.core.time import to_local
from qms.core.uow import rollback, write_first
from qms.extensions import db
from qms.reminders import mail
from qms.reminders.models import MessageKind, Notification, OutboxMessage, OutboxStatus

#: A ``sending`` row older than this belongs to a sender that died; it is claimed again.
LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 8
BATCH = 200
#: The server refused this message (its sender, recipient or content): retry it alone.
#: Checked first: every SMTPException is also an OSError.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
                  smtplib.SMTPDataError, smtplib.SMTPNotSupportedError)
#: Errors that mean "this server, now" rather than "this message": stop the pass.
CONNECTION_ERRORS = (OSError,)


def backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), timedelta(hours=6))


@dataclass
class SendResult:
    sent: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def claim(now: datetime, limit: int = BATCH) -> tuple[str, list[int]]:
    """Claim up to ``limit`` due messages for this pass; commits the claim."""
    token = secrets.token_hex(16)
    due = or_(and_(OutboxMessage.status == OutboxStatus.PENDING,
                   OutboxMessage.next_attempt_at <= now),
              and_(OutboxMessage.status == OutboxStatus.SENDING,
                   OutboxMessage.claimed_at < now - LEASE))

    def work() -> list[int]:
        pick = select(OutboxMessage.id).where(due).order_by(
            OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
        if db.session.get_bind().dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        rows = db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(pick.scalar_subquery()))
            .values(status=OutboxStatus.SENDING, claimed_at=now, claim_token=token,
                    attempts=OutboxMessage.attempts + 1)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False))
        return sorted(rows.scalars())

    return token, write_first(work)


def _render(message: OutboxMessage, user: User) -> mail.Rendered:
    if message.kind is MessageKind.DIGEST:
        notifications = list(db.session.scalars(
            select(Notification).where(Notification.digest_id == message.id)
            .order_by(Notification.due_on, Notification.id)))
        return mail.render_digest(notifications, user, to_local(message.created_at).date())
    notification = db.session.scalar(select(Notification).where(Notification.key == message.key))
    return mail.render_single(notification, user)


def _finish(message_id: int, token: str, **values) -> None:
    """Record the outcome if this pass still holds the claim, in a write-first transaction
    of its own (on SQLite a read-then-write transaction could fail on a stale snapshot)."""
    write_first(lambda: db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id,
                                    OutboxMessage.claim_token == token)
        .values(**values).execution_options(synchronize_session=False)))


def _failure(message_id: int, attempts: int, token: str, error: str, now: datetime) -> bool:
    """Back to pending with back-off, or failed after the last attempt. True if final."""
    final = attempts >= MAX_ATTEMPTS
    _finish(message_id, token, last_error=error[:2000], claim_token=None, claimed_at=None,
            status=OutboxStatus.FAILED if final else OutboxStatus.PENDING,
            next_attempt_at=now + backoff(attempts))
    return final


def _release(ids: list[int], token: str, error: str, now: datetime, result: SendResult) -> None:
    rows = db.session.execute(select(OutboxMessage.id, OutboxMessage.key, OutboxMessage.attempts)
                              .where(OutboxMessage.id.in_(ids))).all()
    for message_id, key, attempts in rows:
        if _failure(message_id, attempts, token, error, now):
            result.failed.append(key)
        else:
            result.retried.append(key)


def send_pending(now: datetime | None = None, limit: int = BATCH) -> SendResult:
    """One sender pass over committed outbox rows. Safe to run in several processes."""
    now = now or now_utc()
    rollback()  # start from committed data only
    token, ids = claim(now, limit)
    result = SendResult()
    if not ids:
        return result
    with mail.transport() as transport:
        for index, message_id in enumerate(ids):
            message = db.session.get(OutboxMessage, message_id)
            key, attempts, user = message.key, message.attempts, message.user
            address = user.email
            try:
                rendered = _render(message, user)
                email = mail.build_message(rendered, to=address, message_id=message.message_id)
                rollback()  # end the read transaction before talking to the server
                transport.send(email)
            except MESSAGE_ERRORS as exc:
                rollback()
                final = _failure(message_id, attempts, token, f"{type(exc).__name__}: {exc}", now)
                (result.failed if final else result.retried).append(key)
                continue
            except CONNECTION_ERRORS as exc:  # the server is unreachable: stop this pass
                rollback()
                _release(ids[index:], token, f"{type(exc).__name__}: {exc}", now, result)
                current_app.logger.warning("mail server unavailable: %s", exc)
                break
            except Exception as exc:  # this message was refused (or could not be built)
                rollback()
                final = _failure(message_id, attempts, token, f"{type(exc).__name__}: {exc}", now)
                (result.failed if final else result.retried).append(key)
                continue
            _finish(message_id, token, status=OutboxStatus.SENT, sent_at=now_utc(),
                    claim_token=None, to_address=address, subject=rendered.subject,
                    last_error=None)
            result.sent.append(key)
    return result


def retry(message: OutboxMessage) -> None:
    """An administrator asks for a failed (or stuck pending) message to be tried again."""
    message.status = OutboxStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = now_utc()
    message.claim_token = None
    message.claimed_at = None
    db.session.flush()
