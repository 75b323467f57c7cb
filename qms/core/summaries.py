"""Figures computed over a whole register (how many NCs are open, how many complaints
are late), kept per worker process and reused while nothing changed.

Every change to a quality record leaves an audit event in its own transaction, so the
head of the audit trail (its last event's id and hash: one primary-key read, once per
request) with today's date says whether a kept figure is still current; any change
anywhere recomputes it on the next request, in every worker. Use it for figures that
are the same for everyone who sees them and would otherwise cost a scan per request;
what depends on the reader (their own pending work) is counted for them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import g, has_request_context

from qms.core.time import today_local

T = TypeVar("T")

#: name → (stamp, value): one entry per figure (and extra key), the latest.
_KEPT: dict[Hashable, tuple[tuple, Any]] = {}


def trail_head() -> tuple:
    """(today, last audit event id, its hash), read once per request."""
    if has_request_context() and "qms_trail_head" in g:
        return g.qms_trail_head
    from sqlalchemy import select

    from qms.core.audit import AuditEvent
    from qms.extensions import db

    head = db.session.execute(select(AuditEvent.id, AuditEvent.hash)
                              .order_by(AuditEvent.id.desc()).limit(1)).first()
    stamp = (today_local(), *(head or (0, "")))
    if has_request_context():
        g.qms_trail_head = stamp
    return stamp


def kept(name: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, reused while the audit trail has not moved and the day is the same.
    ``name`` identifies the figure (add to it whatever else the value depends on, e.g.
    the language of its labels)."""
    stamp = trail_head()
    found = _KEPT.get(name)
    if found is not None and found[0] == stamp:
        return found[1]
    value = compute()
    _KEPT[name] = (stamp, value)
    return value


def forget() -> None:
    """Drop every kept figure (benchmarks measuring the first request after a change)."""
    _KEPT.clear()
