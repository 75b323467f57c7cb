"""Where a record came from, as a link: domains register how their records are reached.

A nonconformity (or any record) stores its origin as ``(origin_type, origin_id)``; the domain
that owns that type registers a resolver here, so the page shows a link with a readable name
("Ronda 2026-S1 de la encuesta de satisfacción") instead of ``survey_wave #7`` — without the
core or the NC domain importing the survey domain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class OriginLink:
    label: str
    #: None when the reader may not open the record (the label is still shown).
    url: str | None


#: origin_type → resolver(origin_id) returning the link, or None if the record is gone.
_RESOLVERS: dict[str, Callable[[str], OriginLink | None]] = {}


def register_origin(origin_type: str, resolver: Callable[[str], OriginLink | None]) -> None:
    _RESOLVERS[origin_type] = resolver


def origin_link(origin_type: str | None, origin_id: str | None) -> OriginLink | None:
    """The link to the record an origin names, or None (unknown type, or record gone)."""
    resolver = _RESOLVERS.get(origin_type or "")
    if resolver is None or not origin_id:
        return None
    return resolver(str(origin_id))
