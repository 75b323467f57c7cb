"""One record per submission: a form sent twice at once (a double click, a retried
request, two tabs) is saved once.

At the request boundary every web form POST claims a key derived from who sent what to
where (the user, the path, the fields, the names and sizes of the files; the CSRF token
left out). The claim is written in the request's own transaction, so:

- the claim is made when the request's work commits, and only if it inserted a record, so a
  repeat that the domain itself refuses ("already approved", "already acknowledged")
  keeps the domain's message;
- the first submission keeps the claim (committed with the record); an identical one
  within ``FORM_REPEAT_SECONDS`` finds it — on SQLite it waited for the first one's
  write lock (BEGIN IMMEDIATE), on PostgreSQL its insert waits on the unique key — and
  is rolled back whole with a message (409 on the API) instead of saving a twin;
- a submission that fails (refused, invalid, crashed) is rolled back with its claim,
  so sending it again works.

API clients opt in with an ``Idempotency-Key`` header; without it their calls are not
deduplicated (API writes of one record carry a version and conflict anyway).
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import datetime, timedelta

from flask import current_app, g, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, delete, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from qms.core.audit import AuditEvent
from qms.core.db import Model, UTCDateTime, now_utc
from qms.core.errors import ConflictError

#: Endpoints a person legitimately sends again with the same fields.
NOT_DEDUPLICATED = frozenset({"auth.login", "auth.login_submit", "auth.logout", "static"})


class Submission(Model):
    """A form submission already processed (only its digest is kept)."""

    __tablename__ = "submission"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)


def repeated_message():
    return _l("Este formulario ya se envió y se guardó hace un momento; no se guardó dos "
              "veces. Revise el registro antes de volver a enviarlo.")


def _fingerprint(user_id: str) -> str | None:
    from qms.core.web import wants_json

    if wants_json():
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return None
        parts = ["api", user_id, request.method, request.path, key[:200]]
    else:
        fields = sorted((k, v) for k, v in request.form.items(multi=True) if k != "csrf_token")
        files = sorted((k, f.filename or "", f.content_length or _size(f))
                       for k, f in request.files.items(multi=True))
        parts = ["web", user_id, request.method, request.full_path, fields, files]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def _size(storage) -> int:
    stream = storage.stream
    try:
        position = stream.tell()
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(position)
    except (OSError, ValueError):
        return -1
    return size


_INSERTED_KEY = "qms_inserted_records"
_REQUEST_KEY = "qms_request_session"


@event.listens_for(Session, "before_flush")
def _note_inserts(session: Session, flush_context, instances) -> None:
    if any(not isinstance(obj, (Submission, AuditEvent)) for obj in session.new):
        session.info[_INSERTED_KEY] = True


def start() -> None:
    """Called by the boundary before the view: nothing inserted yet."""
    from qms.extensions import db

    db.session.info.pop(_INSERTED_KEY, None)
    db.session.info[_REQUEST_KEY] = True  # only the request's own session claims


@event.listens_for(Session, "before_commit")
def _claim_before_commit(session: Session) -> None:
    """Whatever commits a write request's work (the boundary, a write-first unit, a view
    that still commits by hand): claim the submission first if it created records."""
    if (not has_request_context() or request.method in ("GET", "HEAD", "OPTIONS")
            or not session.info.get(_REQUEST_KEY)):
        return  # a job started by the request commits in a session of its own
    session.flush()
    if session.info.pop(_INSERTED_KEY, False) and not g.get("qms_submission_claimed"):
        claim(session)
        g.qms_submission_claimed = True  # a view that commits twice claims once


def claim(session: Session) -> None:
    """Claim this submission for the current transaction, or refuse a repeat."""
    from flask_login import current_user

    if request.endpoint in NOT_DEDUPLICATED or request.endpoint is None:
        return
    user_id = str(current_user.get_id()) if current_user.is_authenticated else "-"
    key = _fingerprint(user_id)
    if key is None:
        return
    window = timedelta(seconds=int(current_app.config.get("FORM_REPEAT_SECONDS", 30)))
    now = now_utc()
    found = session.get(Submission, key)
    if found is not None:
        if now - found.created_at < window:
            raise ConflictError(repeated_message())
        found.created_at = now
    else:
        try:
            with session.begin_nested():
                session.add(Submission(key=key, created_at=now))
        except IntegrityError:  # PostgreSQL: the twin committed while we waited
            raise ConflictError(repeated_message()) from None
    if random.random() < 0.01:  # noqa: S311 - housekeeping, not security
        session.execute(delete(Submission).where(Submission.created_at < now - timedelta(days=1)))


def count() -> int:
    from sqlalchemy import func

    from qms.extensions import db

    return db.session.scalar(select(func.count()).select_from(Submission)) or 0

