"""What a certifier may read, and the log of what it read.

A certifier (role ``certifier``, account already expiring by date) reads the records of
the processes shared with it, only between the start and end dates of an active share,
and never beneficiaries' survey answers or complainants' contacts. The rule is one
:func:`qms.core.permissions.restriction` applied to every policy answer, so the other
domains' views, API and templates enforce it without knowing this domain.

Every request a certifier makes is logged (:class:`CertifierView`) by an
``after_request`` hook registered at app init; the quality officer reads it by day and
record.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request
from flask_login import current_user
from sqlalchemy import insert

from qms.core.db import now_utc
from qms.core.permissions import process_scope_provider, restriction
from qms.core.roles import Role
from qms.core.time import to_local, today_local
from qms.core.uow import rollback
from qms.extensions import db

#: Never for certifiers, whatever the share: individual answers and personal contacts.
HIDDEN_FROM_CERTIFIERS = frozenset({
    "survey.read_comments", "survey.export_responses", "complaint.contact",
})
#: Routes a certifier reaches without a share (its own packs, signing in and out).
_UNLOGGED_ENDPOINTS = frozenset({"static"})


def certifier_scope(user) -> tuple[bool, frozenset[str]]:
    """(has an active share today, process codes shared), cached for the request."""
    from qms.evidence.services import active_shares

    cache = g.setdefault("_evidence_scope", {}) if _has_g() else {}
    if user.id not in cache:
        shares = active_shares(user.id, today_local())
        cache[user.id] = (bool(shares),
                          frozenset(c for s in shares for c in s.process_codes))
    return cache[user.id]


def _has_g() -> bool:
    from flask import has_app_context

    return has_app_context()


def process_codes_of(obj: Any) -> frozenset[str] | None:
    """The processes a record belongs to; None for a record bound to no process."""
    if getattr(obj, "__tablename__", None) == "process":
        return frozenset({obj.code})
    for name in ("processes",):
        value = getattr(obj, name, None)
        if isinstance(value, list | tuple):
            return frozenset(p.code for p in value)
    if hasattr(obj, "process_id"):
        process = getattr(obj, "process", None)
        return frozenset({process.code}) if process is not None else frozenset()
    for parent in ("document", "nc", "audit", "finding"):
        holder = getattr(obj, parent, None)
        if holder is not None:
            return process_codes_of(holder)
    return None


@restriction
def certifier_window(user, action: str, obj: Any) -> bool:
    """A certifier reads process-bound records only within an active share's scope."""
    if getattr(user, "role", None) != Role.CERTIFIER:
        return True
    if action in HIDDEN_FROM_CERTIFIERS:
        return False
    if obj is None or action.startswith("evidence."):
        return True
    codes = process_codes_of(obj)
    if codes is None:
        return True
    active, shared = certifier_scope(user)
    if not active:
        return False
    return not codes or bool(codes & shared)


@process_scope_provider
def certifier_processes(user) -> frozenset[str] | None:
    """A certifier's lists hold the records of the processes shared with it today (none
    without an active share), the same scope :func:`certifier_window` allows to open."""
    if getattr(user, "role", None) != Role.CERTIFIER:
        return None
    active, shared = certifier_scope(user)
    return shared if active else frozenset()


def _record(view_args: dict | None) -> tuple[str, str]:
    for key, value in (view_args or {}).items():
        if key.endswith("_id"):
            return key[:-3], str(value)
    return "", ""


def log_request(response):
    """Log a certifier's request (page or file, allowed or refused)."""
    if request.endpoint in _UNLOGGED_ENDPOINTS:
        return response
    user = current_user._get_current_object()  # one context lookup, not three
    if not getattr(user, "is_authenticated", False) \
            or getattr(user, "role", None) != Role.CERTIFIER:
        return response
    from qms.evidence.models import CertifierView

    kind, ident = _record(request.view_args)
    mimetype = response.mimetype or ""
    is_file = bool(response.headers.get("Content-Disposition")) or not (
        mimetype.startswith("text/html") or mimetype == "application/json")
    now = now_utc()
    user_id = user.id
    # The request's unit of work is over (committed or rolled back); what the session holds
    # now is at most a read begun while rendering (an error page). On SQLite a write
    # request's transactions begin IMMEDIATE, so that read would hold the write lock and
    # the log's own connection below would wait the whole busy timeout for it: end it.
    if db.session().in_transaction():
        rollback()
    try:
        with db.engine.begin() as connection:
            connection.execute(insert(CertifierView.__table__).values(
                user_id=user_id, occurred_at=now, day=to_local(now).date(),
                method=request.method[:10], path=request.full_path.rstrip("?")[:500],
                endpoint=(request.endpoint or "")[:120], record_type=kind[:60],
                record_id=ident[:60], status_code=response.status_code, is_file=is_file))
    except Exception:
        from flask import current_app

        current_app.logger.exception("could not log the certifier's request %s", request.path)
    return response


def init_app(app: Flask) -> None:
    app.after_request(log_request)
