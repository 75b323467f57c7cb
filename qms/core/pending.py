""""Mis pendientes": everything waiting for one person, gathered from every domain.

Each domain registers, per kind of work, a provider of items (:func:`pending_provider`)
and a counter (:func:`pending_counter`); core never imports a domain.

* The **counter** answers "how many, and how many overdue" for a user as a SQL aggregate:
  it returns a one-row ``Select`` of two columns (see :func:`count_columns`), and core
  runs every kind's counter as **one** statement (``UNION ALL``), once per request. The
  home page and its cards read only these counts, so their cost does not depend on how
  much is waiting.
* The **provider** returns the items themselves for a :class:`PendingWindow`: in the
  page's order (due date, undated last), overdue only if asked, at most ``limit`` of
  them — filtered, ordered and limited in SQL (:meth:`PendingWindow.apply`), so a page
  of "Mis pendientes" loads one page of rows whatever the backlog.

A kind without a counter is counted by running its provider unlimited (kept for
providers that are cheap by nature; every provider in the product has a counter).

Items are sorted overdue first (oldest due date first), then by due date, then those
without one; ties keep the kinds' registration order. ``kind`` names the provider's
section, so a home-card figure can link to ``/pendientes?tipo=<kind>`` and show exactly
as many items as the list.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from math import ceil
from typing import Any, NamedTuple

from flask import g, has_request_context
from sqlalchemy import Select, case, false, func, literal, select, union_all

from qms.core.paging import ListPage
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


class PendingCount(NamedTuple):
    total: int = 0
    overdue: int = 0


@dataclass(frozen=True)
class PendingWindow:
    """What a provider is asked for: its items in the page's order (due date ascending,
    undated last), only the overdue ones if ``overdue_only``, at most ``limit``."""

    today: date
    limit: int | None = None
    overdue_only: bool = False

    def apply(self, query: Select, due, *tiebreak) -> Select:
        """``query`` filtered, ordered by ``due`` (then ``tiebreak``) and limited; ``due``
        None for items without a due date (none of them is ever overdue)."""
        if due is None:
            query = query.where(false()) if self.overdue_only else query.order_by(*tiebreak)
        else:
            if self.overdue_only:
                query = query.where(due < self.today)
            # a NOT NULL column orders plainly (an index on it gives the order); anything
            # else puts the undated last (by its label, not computed twice)
            nullable = getattr(due, "nullable", True)
            query = query.order_by(due.asc().nulls_last() if nullable else due, *tiebreak)
        return query if self.limit is None else query.limit(self.limit)

    def keep(self, items: list[PendingItem]) -> list[PendingItem]:
        """The same window applied to items a provider had to compute in Python."""
        items = [i for i in items if not self.overdue_only or i.overdue(self.today)]
        items.sort(key=_due_order)
        return items if self.limit is None else items[:self.limit]


def count_columns(due, today: date) -> tuple:
    """The two columns a counter selects: how many rows, and how many due before today."""
    overdue = func.count(case((due < today, 1))) if due is not None else literal(0)
    return func.count().label("total"), overdue.label("overdue")


Provider = Callable[[Any, PendingWindow], list[PendingItem]]
#: ``(user, today) -> Select | PendingCount | None`` (None: nothing for this user).
Counter = Callable[[Any, date], "Select | PendingCount | None"]


@dataclass
class PendingKind:
    kind: str
    #: Plural heading of the section, e.g. «Revisiones por aprobar».
    title: Any
    provider: Provider
    counter: Counter | None = None


_KINDS: dict[str, PendingKind] = {}


def pending_provider(kind: str, title: Any) -> Callable[[Provider], Provider]:
    """Register ``func(user, window) -> list[PendingItem]`` under ``kind`` (unique)."""

    def register(func: Provider) -> Provider:
        if kind in _KINDS and _KINDS[kind].provider is not func:
            raise ValueError(f"pending kind {kind!r} registered twice")
        entry = _KINDS.get(kind)
        _KINDS[kind] = PendingKind(kind, title, func, entry.counter if entry else None)
        return func

    return register


def pending_counter(kind: str) -> Callable[[Counter], Counter]:
    """Register the counter of ``kind`` (after its provider): ``func(user, today)``
    returning a one-row ``Select`` of :func:`count_columns`, a :class:`PendingCount`, or
    None when the kind does not concern the user."""

    def register(func: Counter) -> Counter:
        if kind not in _KINDS:
            raise ValueError(f"pending kind {kind!r} has no provider")
        _KINDS[kind].counter = func
        return func

    return register


def kinds() -> list[PendingKind]:
    return list(_KINDS.values())


def kind_title(kind: str) -> Any:
    return _KINDS[kind].title if kind in _KINDS else None


def _memo(name: str) -> dict:
    return g.setdefault(name, {}) if has_request_context() else {}


def _items(entry: PendingKind, user: Any, window: PendingWindow) -> list[PendingItem]:
    """One provider's items for one window, computed once per request."""
    memo = _memo("qms_pending")
    key = (entry.kind, getattr(user, "id", None), window)
    if key not in memo:
        memo[key] = entry.provider(user, window)
    return memo[key]


def counts_for(user: Any) -> dict[str, PendingCount]:
    """Every kind's count for ``user``: the counters' selects in one statement, once per
    request (the home's "Mis pendientes" card and each domain's card share it)."""
    memo = _memo("qms_pending_counts")
    user_id = getattr(user, "id", None)
    if user_id in memo:
        return memo[user_id]
    today = today_local()
    counts: dict[str, PendingCount] = {}
    selects = []
    for entry in _KINDS.values():
        if entry.counter is None:
            items = _items(entry, user, PendingWindow(today))
            counts[entry.kind] = PendingCount(len(items), sum(i.overdue(today) for i in items))
            continue
        found = entry.counter(user, today)
        if found is None:
            counts[entry.kind] = PendingCount()
        elif isinstance(found, PendingCount):
            counts[entry.kind] = found
        else:
            row = found.subquery()
            selects.append(select(literal(entry.kind).label("kind"), row.c.total,
                                  row.c.overdue).select_from(row))
    if selects:
        from qms.extensions import db

        statement = selects[0] if len(selects) == 1 else union_all(*selects)
        for kind, total, overdue in db.session.execute(statement):
            counts[kind] = PendingCount(int(total or 0), int(overdue or 0))
    ordered = {kind: counts.get(kind, PendingCount()) for kind in _KINDS}
    memo[user_id] = ordered
    return ordered


def pending_count(user: Any, kind: str | None = None) -> PendingCount:
    """How much waits for ``user`` (of one ``kind`` if given), and how much is overdue."""
    counts = counts_for(user)
    if kind is not None:
        return counts.get(kind, PendingCount())
    return PendingCount(sum(c.total for c in counts.values()),
                        sum(c.overdue for c in counts.values()))


def _selected(kind: str | None) -> list[PendingKind]:
    return [_KINDS[kind]] if kind in _KINDS else ([] if kind else list(_KINDS.values()))


def _due_order(item: PendingItem) -> tuple:
    return (item.due_on is None, item.due_on or date.max)


def _merged(entries: list[PendingKind], user: Any, window: PendingWindow) -> list[PendingItem]:
    """The kinds' items in one order: each provider's list is already sorted by due date
    (undated last), so a stable merge keeps ties in the kinds' order."""
    streams = [_items(entry, user, window) for entry in entries]
    merged = list(heapq.merge(*streams, key=_due_order))
    return merged if window.limit is None else merged[:window.limit]


def pending_for(user: Any, kind: str | None = None) -> list[PendingItem]:
    """Everything that waits for ``user`` (of one ``kind`` if given), overdue first.
    Unbounded: for a job or a test; pages use :func:`pending_page`."""
    return _merged(_selected(kind), user, PendingWindow(today_local()))


def pending_page(user: Any, *, kind: str | None = None, overdue_only: bool = False,
                 page: int = 1, per_page: int = 25) -> ListPage:
    """One page of what waits for ``user``: each provider is asked for at most
    ``page * per_page`` rows (one bounded query each), then the lists are merged."""
    entries = _selected(kind)
    counts = counts_for(user)
    total = sum(counts[e.kind].overdue if overdue_only else counts[e.kind].total
                for e in entries)
    page = min(max(page, 1), max(1, ceil(total / per_page)))
    window = PendingWindow(today_local(), limit=page * per_page, overdue_only=overdue_only)
    items = _merged(entries, user, window)[(page - 1) * per_page:]
    return ListPage(items, page, per_page, total)
