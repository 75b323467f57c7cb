"""The route × role matrix: every registered route, for every role and for anonymous.

Each domain lists its routes in a module of this package (``ROUTES``). A row names the
Flask rule, a concrete path (placeholders in braces are filled from the domains'
``objects()``, see below) and who is allowed:

- ``PUBLIC``: everybody, anonymous included;
- ``ANY_USER``: every logged-in role;
- a set of role values: those roles; other roles get 403 and anonymous is sent to the
  login page (web) or gets 401 (API).

The test fails on any route that no row lists, and on any row whose route does not
exist, so a new route cannot ship without one.

Building the objects
--------------------
A module whose paths need objects defines ``ORDER`` and ``objects(users) -> dict``:

- ``objects`` runs ONCE per test session (per xdist worker), not per case: the builders
  run in ``ORDER`` (smaller first; modules without one run last, as 100) inside one app
  context acting as the system, then the database, ``INSTANCE_DIR`` and ``STORAGE_DIR``
  are saved as the matrix template. Every case starts from a copy of that template, so a
  case that changes a record (a POST that closes an NC, starts an import) cannot affect
  another case. Orders today: auth 10, processes 20, documents 30, nonconformities 40,
  surveys 50; a new domain takes the next free ten after every module it reads from.
- ``users`` maps each seeded username (tests.conftest.USERS) to its ``User`` and holds
  the placeholders returned by the modules built before (``users["own_process"]``).
- Return placeholder → value; values are formatted into ``Row.path``. Names are shared by
  every module and must be new (the build fails on a name returned twice). Flush, do
  not commit (the harness commits once), and create everything the rows need in one
  state: a case cannot build anything for itself.
- There is no acting user while building. A value that depends on who makes the request
  is a :class:`PerActor` mapping username → value, with ``None`` for anonymous (build
  one with :func:`per_actor`); each case formats its path with its actor's value.

Besides the builders, the harness issues one API token per role user and logs each of
them in once through the login form; a case replays that user's session cookie.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import ROLE_USER

ROLES = ("admin", "quality_officer", "process_owner", "manager", "auditor", "certifier")
PUBLIC = "public"
ANY_USER = frozenset(ROLES)
EDITORS = frozenset({"admin", "quality_officer"})


class PerActor(dict):
    """A placeholder value that depends on the case's actor: username → value, and
    ``None`` → the value for anonymous. It must cover every role user (ROLE_USER)."""


def per_actor(users: dict, value_for: Callable[[Any], Any], anonymous: Any = 0) -> PerActor:
    """``value_for(user)`` for each user that stands for a role, ``anonymous`` for None."""
    return PerActor({None: anonymous, **{name: value_for(users[name])
                                         for name in ROLE_USER.values()}})


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
