"""Home-page cards. Each domain registers a function that returns its card for a user.

A card appears only for a user who can act on what it counts (the provider returns None
otherwise), and every figure links to a list filtered to exactly the records it counts:
that list shows the same number (``data-count``), so no counter leads nowhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple


class Figure(NamedTuple):
    label: str
    value: Any
    #: The register filtered to exactly the records counted.
    url: str


@dataclass
class Card:
    title: str
    url: str
    figures: list[Figure] = field(default_factory=list)
    order: int = 100


_PROVIDERS: list[Callable[[Any], Card | None]] = []


def card_provider(func: Callable[[Any], Card | None]) -> Callable[[Any], Card | None]:
    _PROVIDERS.append(func)
    return func


def cards_for(user: Any) -> list[Card]:
    cards = [card for provider in _PROVIDERS if (card := provider(user)) is not None]
    return sorted(cards, key=lambda c: c.order)


#: Home-page panels: wide sections shown above the cards (the managers' dashboard).
#: A provider returns rendered, safe markup for the user, or None when it has nothing.
_PANELS: list[tuple[int, Callable[[Any], Any]]] = []


def panel_provider(order: int = 100):
    """Register a function ``user -> Markup | None`` whose markup heads the home page."""

    def register(func: Callable[[Any], Any]) -> Callable[[Any], Any]:
        _PANELS.append((order, func))
        return func

    return register


def panels_for(user: Any) -> list[Any]:
    return [markup for _order, provider in sorted(_PANELS, key=lambda p: p[0])
            if (markup := provider(user)) is not None]
