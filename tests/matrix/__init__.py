"""The route × role matrix: every registered route, for every role and for anonymous.

Each domain lists its routes in a module of this package (``ROUTES``). A row names the
Flask rule, a concrete path (placeholders in braces are filled by ``objects()`` in
``test_route_matrix.py``) and who is allowed:

- ``PUBLIC``: everybody, anonymous included;
- ``ANY_USER``: every logged-in role;
- a set of role values: those roles; other roles get 403 and anonymous is sent to the
  login page (web) or gets 401 (API).

The test fails on any route that no row lists, so a new route cannot ship without one.

A module whose paths need objects defines ``objects(users, actor) -> dict`` returning
placeholder → value (``users`` maps usernames to the seeded users, plus the placeholders
of modules built before it; ``actor`` is the user of the case or None) and ``ORDER``
(smaller first; processes use 20, so records that need a process come after).
"""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("admin", "quality_officer", "process_owner", "manager", "auditor", "certifier")
PUBLIC = "public"
ANY_USER = frozenset(ROLES)
EDITORS = frozenset({"admin", "quality_officer"})


@dataclass(frozen=True)
class Row:
    method: str
    rule: str
    allowed: frozenset[str] | str
    path: str | None = None
    #: Form or JSON data sent with a POST/PATCH (CSRF is added for web forms).
    data: dict = field(default_factory=dict)
    #: A note shown in failures, e.g. "owner of another process".
    note: str = ""

    @property
    def url(self) -> str:
        return self.path or self.rule

    @property
    def is_api(self) -> bool:
        return self.rule.startswith("/api/")
