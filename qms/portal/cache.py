"""Aggregates cached per process and refreshed on change, never recomputed per request.

The :class:`~qms.portal.datasets.Snapshot` and every page rendered from it are kept in
memory (per application). At most every ``portal.refresh_seconds`` one request checks
the data stamp (a handful of indexed MAX() queries); only when it changed is the
snapshot rebuilt and the rendered pages dropped. Between checks a page is served from
memory without touching the database.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app

from qms.portal import datasets

_LOCK = threading.Lock()


@dataclass
class _State:
    snapshot: datasets.Snapshot | None = None
    checked: float = 0.0
    refresh: float = 30.0
    pages: dict[tuple, tuple[bytes, str, str]] = field(default_factory=dict)


def _state() -> _State:
    return current_app.extensions.setdefault("qms_portal_cache", _State())


def clear() -> None:
    """Forget everything (tests; a deployment that wants an immediate refresh)."""
    current_app.extensions["qms_portal_cache"] = _State()


def snapshot() -> datasets.Snapshot:
    state = _state()
    if state.snapshot is not None and time.monotonic() - state.checked < state.refresh:
        return state.snapshot
    with _LOCK:
        state = _state()
        if state.snapshot is not None and time.monotonic() - state.checked < state.refresh:
            return state.snapshot
        from qms.core.settings import get_setting

        current = datasets.stamp()
        if state.snapshot is None or state.snapshot.stamp != current:
            state.snapshot = datasets.build(current)
            state.pages = {}
        state.refresh = float(get_setting("portal.refresh_seconds"))
        state.checked = time.monotonic()
        return state.snapshot


def page(key: tuple, render: Callable[[datasets.Snapshot], bytes | str],
         mimetype: str = "text/html; charset=utf-8") -> tuple[bytes, str, str]:
    """(body, ETag, mimetype) of a page, rendered once per snapshot."""
    snap = snapshot()
    state = _state()
    cached = state.pages.get(key)
    if cached is not None:
        return cached
    body = render(snap)
    if isinstance(body, str):
        body = body.encode("utf-8")
    etag = hashlib.sha256(body).hexdigest()[:32]
    state.pages[key] = (body, etag, mimetype)
    return body, etag, mimetype
