""""Mis pendientes": everything waiting for one person, gathered from every domain.

Each domain registers providers (:func:`pending_provider`) that read their own models
and return :class:`PendingItem` rows for a user; core never imports a domain. A
provider makes one or two bounded queries whatever the number of records (no query per
row), and returns nothing for a user it does not concern.

Items are sorted overdue first (oldest due date first), then by due date, then those
without one. ``kind`` names the provider's section, so a home-card figure can link to
``/pendientes?tipo=<kind>`` and show exactly as many items as the list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import g, has_request_context

from qms.core.time import today_local


@dataclass(frozen=True)
class PendingItem:
    #: The provider's section, e.g. "revision_approve" (a filter value of the page).
    kind: str
    #: What has to be done, e.g. «Aprobar la revisión».
    label: str
    #: The record, as its code and title («PR-SGC-01 rev. 3 · Control de documentos»).
    title: str
    url: str
    due_on: date | None = None
    #: A short context line («No conformidad NC-2026-014»), optional.
    detail: str = ""

    def overdue(self, today: date) -> bool:
        return self.due_on is not None and self.due_on < today


@dataclass(frozen=True)
class PendingKind:
    kind: str
    #: Plural heading of the section, e.g. «Revisiones por aprobar».
    title: Any
    provider: Callable[[Any], list[PendingItem]]


_KINDS: dict[str, PendingKind] = {}


def pending_provider(kind: str, title: Any) -> Callable:
    """Register ``func(user) -> list[PendingItem]`` under ``kind`` (unique)."""

    def register(func: Callable[[Any], list[PendingItem]]):
        if kind in _KINDS and _KINDS[kind].provider is not func:
            raise ValueError(f"pending kind {kind!r} registered twice")
        _KINDS[kind] = PendingKind(kind, title, func)
        return func

    return register


def kinds() -> list[PendingKind]:
    return list(_KINDS.values())


def kind_title(kind: str) -> Any:
    return _KINDS[kind].title if kind in _KINDS else None


def sort_key(today: date) -> Callable[[PendingItem], tuple]:
    def key(item: PendingItem) -> tuple:
        if item.due_on is None:
            return (2, date.max, item.title)
        return (0 if item.due_on < today else 1, item.due_on, item.title)

    return key


def _items(entry: PendingKind, user: Any) -> list[PendingItem]:
    """One provider's items, computed once per request (the home's card and the page's
    sections ask for the same lists)."""
    if not has_request_context():
        return entry.provider(user)
    memo = g.setdefault("qms_pending", {})
    key = (entry.kind, getattr(user, "id", None))
    if key not in memo:
        memo[key] = entry.provider(user)
    return memo[key]


def pending_for(user: Any, kind: str | None = None) -> list[PendingItem]:
    """What waits for ``user`` (of one ``kind`` if given), overdue first."""
    selected = [_KINDS[kind]] if kind in _KINDS else ([] if kind else list(_KINDS.values()))
    items = [item for entry in selected for item in _items(entry, user)]
    return sorted(items, key=sort_key(today_local()))
